"""A project's Amazon S3 cache: the buildspec's `cache: paths`, kept between builds.

As the AWS CodeBuild User Guide describes it ("Amazon S3 caching"; the `cache` section of
"Build specification reference for CodeBuild"): files under the listed paths are stored in
the project's S3 cache location and restored into the next build. Here they are restored
when the source is in place (before install) and stored in UPLOAD_ARTIFACTS.

Where AWS is not documented, or this emulator does not go, it fails closed:
- the cache is stored only after a build that succeeded;
- a cache `key`, an absolute path, or a LOCAL cache with `cache: paths` fails the build
  (AWS keeps a local cache on one build host for a while, which a laptop cannot model);
- the objects' layout under the location is AWS's own: here one zip per project,
  `<location>/<project>.zip`.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from flightline_localstack.services.codebuild.build_inputs import BuildError, parse_s3_location


def cache_paths(spec: dict, cache: dict) -> list[str]:
    """The buildspec's cache paths the project's cache keeps (none without an S3 cache)."""
    section = spec.get("cache") or {}
    paths = [str(p) for p in section.get("paths") or []]
    if not paths:
        return []
    kind = cache.get("type", "NO_CACHE")
    if kind == "NO_CACHE":
        return []
    if kind != "S3":
        raise BuildError(f"cache type {kind} with cache paths is not emulated locally (use S3)")
    if section.get("key"):
        raise BuildError("a buildspec cache key is not emulated locally")
    for path in paths:
        if PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
            raise BuildError(f"cache path {path}: only paths under the source are emulated")
    return paths


def _object(cache: dict, project: str) -> tuple[str, str]:
    bucket, prefix = parse_s3_location(cache.get("location") or "")
    if not bucket:
        raise BuildError("S3 cache without a location")
    return bucket, f"{prefix.rstrip('/')}/{project}.zip".lstrip("/")


def restore(s3, cache: dict, project: str, paths: list[str], src: Path) -> int:
    """Unpack the project's cache into the source folder; the number of files restored."""
    if not paths:
        return 0
    bucket, key = _object(cache, project)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return 0  # the project's first build
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        archive.extractall(src)
        return len(archive.namelist())


def store(s3, cache: dict, project: str, paths: list[str], src: Path) -> int:
    """Zip what the paths match under the source folder into the project's cache; the
    number of files stored (nothing is written when they match none)."""
    if not paths:
        return 0
    files = sorted({f for pattern in paths for f in src.glob(pattern) if f.is_file()})
    if not files:
        return 0
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(src).as_posix())
    bucket, key = _object(cache, project)
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    return len(files)
