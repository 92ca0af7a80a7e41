"""The dashboard: one definition (dashboards/), a page locally, Amazon QuickSight on AWS."""
