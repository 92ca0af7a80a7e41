"""Offline IAM check of the stacks' principals (`make check-iam`); see docs/iam-check.md."""
