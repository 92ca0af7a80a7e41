"""ETags of encrypted objects are not the MD5 of their bytes, as on AWS.

"Object" (Amazon S3 API Reference), ETag: objects encrypted by SSE-C or SSE-KMS have ETags that
are not an MD5 digest of their object data. LocalStack 2026.3.0 always answers the MD5, so a
fingerprint built on ETags finds "the same bytes again" unchanged here and not on AWS. AWS does
not document what such an ETag is; failing closed, each write gets a fresh random one, so code
that compares ETags of re-uploaded bytes fails here as it would there. The content checksums
S3 keeps ("Checking object integrity in Amazon S3") stay as LocalStack computes them.

Only the object's ETag changes: the stored file keeps its MD5, which LocalStack still uses to
check a request's Content-MD5 (as S3 checks it whatever the encryption).
"""

from __future__ import annotations

import uuid

_ENCRYPTED_WITHOUT_MD5_ETAG = frozenset({"aws:kms", "aws:kms:dsse"})


def etag_is_content_md5(encryption: str | None, sse_customer_key_md5: str | None) -> bool:
    """False for the encryptions whose ETags S3 documents as not the MD5 of the data."""
    return encryption not in _ENCRYPTED_WITHOUT_MD5_ETAG and not sse_customer_key_md5


def opaque_etag() -> str:
    """An ETag shaped like S3's (32 hex digits) that says nothing about the content."""
    return uuid.uuid4().hex


def give_encrypted_objects_opaque_etags() -> None:
    """Wrap the stored object's write (on_infra_start): PutObject writes through it and reads
    the object's ETag afterwards for its response and the S3 event. (CopyObject and multipart
    uploads set the ETag themselves afterwards: not covered; a multipart ETag is not a content
    MD5 anyway.)"""
    from localstack.services.s3.storage.ephemeral import EphemeralS3StoredObject
    from localstack.utils.patch import patch

    @patch(EphemeralS3StoredObject.write)
    def write(fn, self, stream):
        written = fn(self, stream)
        s3_object = self.s3_object
        if not etag_is_content_md5(
            getattr(s3_object, "encryption", None), getattr(s3_object, "sse_key_hash", None)
        ):
            s3_object.etag = opaque_etag()
        return written
