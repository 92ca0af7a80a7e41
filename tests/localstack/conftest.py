"""Clients of the running LocalStack that most tests here use."""

from __future__ import annotations

import pytest


@pytest.fixture
def glue(localstack_client):
    return localstack_client("glue")


@pytest.fixture
def s3(localstack_client):
    return localstack_client("s3")


@pytest.fixture
def codebuild(localstack_client):
    return localstack_client("codebuild")
