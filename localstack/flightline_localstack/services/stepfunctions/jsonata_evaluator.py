"""JSONata expressions of Step Functions states evaluated in-process, offline.

LocalStack 2026.3.0 evaluates a JSONata state's expressions (`"QueryLanguage": "JSONata"`) with
the Java implementation, dashjoin jsonata-java, through JPype, and fetches its jars at first use
(`jpype_jsonata_package`), which cannot be reached here: every JSONata state would fail. The
`jsonata-python` package is a pure-Python port of that same jsonata-java, so plugging it in
behind LocalStack's one evaluation function (`eval_jsonata_expression`: LocalStack builds the
whole expression, variable bindings included, and evaluates it without input) keeps LocalStack's
own handling of `$states`, variables, `Output` and `Arguments`, and changes only the engine.

Step Functions documents its JSONata as the JSONata language and function library ("Transforming
data with JSONata in Step Functions"); tests/localstack/test_stepfunctions_jsonata.py pins the
expressions the state machines use against Python's own calendar.
"""

from __future__ import annotations

import json
from typing import Any


def evaluate(expression: str) -> Any:
    """The value of a complete JSONata expression, as JSON values (what LocalStack's JVM bridge
    returns after its Jackson round trip); a failure as LocalStack's JSONataException."""
    import jsonata
    from localstack.services.stepfunctions.asl.jsonata.jsonata import JSONataException

    try:
        value = jsonata.Jsonata(expression).evaluate(None)
        return json.loads(json.dumps(value))
    except Exception as error:  # the JVM bridge maps every evaluation error the same way
        raise JSONataException("UNKNOWN", str(error)) from error


def evaluate_jsonata_in_process() -> None:
    """Install `evaluate` as LocalStack's evaluator before its first use (on_infra_start)."""
    from localstack.services.stepfunctions.asl.jsonata import jsonata as localstack_jsonata

    localstack_jsonata._eval_jsonata = evaluate
