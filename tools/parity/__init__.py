"""Parity of the local emulators with AWS, on the responses of the calls the pipeline makes.

`record.py` records, after a day's run on a deployed environment (`make e2e-aws`), the
responses of the calls the LocalStack plugin emulates, redacted (`redact.py`), one file per
call (`calls.py`); `compare.py` checks a recording against botocore's API model (`shapes.py`)
and against another recording of the same calls (AWS against LocalStack). `cli.py` only
parses arguments (`make parity`, `python -m tools.parity`). docs/sandbox-runbook.md has the
steps; localstack/README.md the parity table.
"""
