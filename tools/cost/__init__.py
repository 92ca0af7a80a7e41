"""Cost model of an environment (`make cost ENV=...`) and of one run (from its notice).

`prices.py` is the documented price table, `model.py` the model over the templates and
parameters, `cli.py` only parses arguments.
"""
