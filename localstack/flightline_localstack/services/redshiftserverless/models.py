"""Redshift Serverless namespaces and workgroups as the emulator keeps them.

One store per account and region: `redshiftserverless_stores[account][region]`; each entry is
the API's own shape (GetNamespace's `namespace`, GetWorkgroup's `workgroup`).
"""

from __future__ import annotations

import threading
from typing import Any

from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute


class RedshiftServerlessStore(BaseStore):
    # namespace name -> the Namespace structure
    namespaces: dict[str, dict[str, Any]] = LocalAttribute(default=dict)
    # workgroup name -> the Workgroup structure
    workgroups: dict[str, dict[str, Any]] = LocalAttribute(default=dict)


# Held while namespaces or workgroups change: a create never races a delete of the same name.
LOCK = threading.RLock()

redshiftserverless_stores = AccountRegionBundle(
    "redshift-serverless", RedshiftServerlessStore, validate=False
)
