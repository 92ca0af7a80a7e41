"""COPY manifests: Redshift loads exactly the files the job staged, never a whole prefix
(which also holds Spark's `_SUCCESS` marker and whatever else lands there).

Manifest format: "COPY examples" / "Using a manifest to specify data files" (Amazon
Redshift Database Developer Guide); for Parquet every entry needs `meta.content_length`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..storage import Storage


def manifest_uri(folder_uri: str) -> str:
    """Beside the staged folder, so it lives under the same prefix (the COPY role reads it)."""
    return folder_uri.rstrip("/") + ".manifest"


def copy_manifest(storage: Storage, files: Sequence[str]) -> bytes:
    entries = [
        {"url": uri, "mandatory": True, "meta": {"content_length": storage.size(uri)}}
        for uri in files
    ]
    return json.dumps({"entries": entries}, indent=1).encode()


def write_manifest(storage: Storage, folder_uri: str, files: Sequence[str]) -> str:
    """Write the manifest of `files` next to `folder_uri`; returns its URI."""
    if not files:
        raise ValueError(f"nothing staged under {folder_uri}: no manifest to load")
    uri = manifest_uri(folder_uri)
    storage.write_bytes(uri, copy_manifest(storage, files))
    return uri
