"""Flightline's Glue job: one day of flight files to the warehouse staging schema.

The logic is plain functions (Python and Spark DataFrames) so it runs and is tested the same
way on AWS Glue 6.0 and on a laptop; `glue/glue_entry.py` is the thin Glue wrapper and
`flightline_glue.local` the local one.
"""
