"""Following the deployed pipeline from outside (follow.py) and `make e2e-aws` (run_day.py)."""
