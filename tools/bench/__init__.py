"""`make bench`: the job against baselines (job.py), end-to-end latency in LocalStack (e2e.py)."""
