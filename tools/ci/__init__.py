"""CI helpers: which test tiers a change needs (selection.py)."""
