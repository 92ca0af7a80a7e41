"""Backfill: load a range of past days through the deployed state machine.

`runner.py` is the library (other programs and the tests import it); `cli.py` only parses
arguments (`make backfill ENV=... FROM=... TO=...`, `python -m tools.backfill`).
"""
