"""Publish refuses a subject SNS refuses; LocalStack 2026.3.0 accepts any non-empty subject.

"Publish" (Amazon SNS API Reference), Subject: ASCII text that begins with a letter, number or
punctuation mark, with no line breaks or control characters, and less than 100 characters
long. AWS answers InvalidParameter; so does this. The message size limit of the same page
(256 KiB, 262,144 bytes, attributes included) LocalStack already enforces
(`_get_total_publish_size`), and tests/localstack/test_service_limits.py holds it to that.
"""

from __future__ import annotations

import string

SUBJECT_MAX_CHARACTERS = 99  # "must be less than 100 characters long"
_FIRST_CHARACTERS = frozenset(string.ascii_letters + string.digits + string.punctuation)
_PRINTABLE_ASCII = frozenset(chr(code) for code in range(0x20, 0x7F))


def subject_problem(subject: str | None) -> str | None:
    """Why SNS refuses this Publish subject, or None if it accepts it (no subject included)."""
    if subject is None:
        return None
    if len(subject) > SUBJECT_MAX_CHARACTERS:
        return f"must be less than 100 characters long, got {len(subject)}"
    if subject and subject[0] not in _FIRST_CHARACTERS:
        return "must begin with a letter, number or punctuation mark"
    if not set(subject) <= _PRINTABLE_ASCII:
        return "must be ASCII text without line breaks or control characters"
    return None


def check_publish_subjects() -> None:
    """Wrap SnsProvider.publish and publish_batch (on_infra_start, before the provider loads)."""
    from localstack.aws.api.sns import InvalidParameterException
    from localstack.services.sns.provider import SnsProvider
    from localstack.utils.patch import patch

    def refuse(subject: str | None) -> None:
        if problem := subject_problem(subject):
            # AWS's message names the parameter; the reason helps whoever reads the local log.
            raise InvalidParameterException(f"Invalid parameter: Subject ({problem})")

    @patch(SnsProvider.publish)
    def publish(fn, self, context, message, *args, subject=None, **kwargs):
        refuse(subject)
        return fn(self, context, message, *args, subject=subject, **kwargs)

    @patch(SnsProvider.publish_batch)
    def publish_batch(fn, self, context, topic_arn, publish_batch_request_entries, **kwargs):
        for entry in publish_batch_request_entries or []:
            refuse(entry.get("Subject"))
        return fn(self, context, topic_arn, publish_batch_request_entries, **kwargs)
