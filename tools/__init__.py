"""Developer tooling: local services, sample data, benchmark. Not shipped to Glue."""
