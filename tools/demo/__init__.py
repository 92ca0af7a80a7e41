"""The demo: `make demo` (demo.py) and the tables it and `make demo-local` print."""
