"""Where the job's files live: a local folder or S3, behind one small interface.

Spark on Glue reads and writes `s3://` itself. Local Spark cannot (there is no hadoop-aws
jar to be had), so against S3 from a laptop or LocalStack the job stages objects to a local
folder for Spark and uploads what Spark wrote. Everything else in the job only sees URIs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlparse


class Storage(Protocol):
    def join(self, *parts: str) -> str:
        """The URI of a key under this storage's root."""

    def list_files(self, uri: str) -> list[str]:
        """URIs of the files under a folder URI, sorted."""

    def open_binary(self, uri: str) -> BinaryIO:
        """A readable stream of one file, for streaming loads and header sniffing."""

    def write_bytes(self, uri: str, data: bytes) -> None: ...

    def size(self, uri: str) -> int:
        """The object's length in bytes."""

    def write_stream(self, uri: str, stream: BinaryIO) -> None:
        """Write a file from a readable stream, without holding it all in memory."""

    def spark_input(self, uri: str) -> str:
        """A path Spark can read that holds this file's bytes."""

    def spark_output(self, uri: str) -> contextlib.AbstractContextManager[str]:
        """A folder Spark writes into; on clean exit its files are at `uri`."""


class LocalStorage:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def join(self, *parts: str) -> str:
        return str(self.root.joinpath(*[p.strip("/") for p in parts]))

    def list_files(self, uri: str) -> list[str]:
        folder = Path(uri)
        if not folder.is_dir():
            return []
        return sorted(str(p) for p in folder.rglob("*") if p.is_file())

    def open_binary(self, uri: str) -> BinaryIO:
        return open(uri, "rb")  # the caller closes it

    def write_bytes(self, uri: str, data: bytes) -> None:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        Path(uri).write_bytes(data)

    def size(self, uri: str) -> int:
        return Path(uri).stat().st_size

    def write_stream(self, uri: str, stream: BinaryIO) -> None:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        with open(uri, "wb") as target:
            shutil.copyfileobj(stream, target, 1 << 20)

    def spark_input(self, uri: str) -> str:
        return uri

    @contextlib.contextmanager
    def spark_output(self, uri: str) -> Iterator[str]:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        yield uri


def _split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3":
        raise ValueError(f"not an s3:// URI: {uri}")
    return parsed.netloc, parsed.path.lstrip("/")


class S3Storage:
    """S3 (or LocalStack S3). `spark_native` is true on Glue, where Spark speaks s3:// itself."""

    def __init__(self, root: str, client, spark_native: bool, work_dir: str | None = None) -> None:
        self.bucket, self.prefix = _split_s3(root.rstrip("/") + "/")
        self.client = client
        self.spark_native = spark_native
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="flightline-s3-"))

    def join(self, *parts: str) -> str:
        key = self.prefix + "/".join(p.strip("/") for p in parts)
        return f"s3://{self.bucket}/{key}"

    def list_files(self, uri: str) -> list[str]:
        bucket, key_prefix = _split_s3(uri.rstrip("/") + "/")
        paginator = self.client.get_paginator("list_objects_v2")
        keys = [
            obj["Key"]
            for page in paginator.paginate(Bucket=bucket, Prefix=key_prefix)
            for obj in page.get("Contents", [])
            if not obj["Key"].endswith("/")
        ]
        return sorted(f"s3://{bucket}/{key}" for key in keys)

    def open_binary(self, uri: str) -> BinaryIO:
        bucket, key = _split_s3(uri)
        return self.client.get_object(Bucket=bucket, Key=key)["Body"]

    def write_bytes(self, uri: str, data: bytes) -> None:
        bucket, key = _split_s3(uri)
        self.client.put_object(Bucket=bucket, Key=key, Body=data)

    def size(self, uri: str) -> int:
        bucket, key = _split_s3(uri)
        return self.client.head_object(Bucket=bucket, Key=key)["ContentLength"]

    def write_stream(self, uri: str, stream: BinaryIO) -> None:
        bucket, key = _split_s3(uri)
        self.client.upload_fileobj(stream, bucket, key)

    def spark_input(self, uri: str) -> str:
        if self.spark_native:
            return uri
        bucket, key = _split_s3(uri)
        local = self.work_dir / "in" / bucket / key
        if not local.exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            self.client.download_file(bucket, key, str(local))
        return str(local)

    @contextlib.contextmanager
    def spark_output(self, uri: str) -> Iterator[str]:
        if self.spark_native:
            yield uri
            return
        bucket, key = _split_s3(uri.rstrip("/") + "/")
        local = Path(tempfile.mkdtemp(prefix="out-", dir=self.work_dir))
        try:
            yield str(local / "data")
            for path in sorted((local / "data").rglob("*")):
                if path.is_file() and not path.name.startswith((".", "_")):
                    relative = path.relative_to(local / "data").as_posix()
                    self.client.upload_file(str(path), bucket, key + relative)
        finally:
            shutil.rmtree(local, ignore_errors=True)


def storage_for(root: str, *, spark_native_s3: bool = False, s3_client=None) -> Storage:
    """A local path or `s3://bucket[/prefix]` -> the matching storage."""
    if root.startswith("s3://"):
        if s3_client is None:
            import boto3  # on Glue and locally; AWS_ENDPOINT_URL points it at LocalStack

            s3_client = boto3.client("s3")
        return S3Storage(root, s3_client, spark_native=spark_native_s3)
    return LocalStorage(root)
