"""The docs: generated pictures, links, the repository map and the import rules."""
