"""A JSONPath with a wildcard or slice selects a list, even of one value, as on AWS.

"Paths" (Step Functions Developer Guide, JsonPath): Step Functions evaluates paths with the
Jayway JsonPath semantics, where an indefinite path (`[*]`, a slice) always yields an array.
LocalStack 2026.3.0 unwraps a single match of `$.Contents[*].Key` into a bare string, so a Map
over the keys of a one-file day fails here and not on AWS. Its own rule for "no match" already
answers `[]` for such paths (`_contains_slice_or_wildcard_array`); this extends it to one match.
"""

from __future__ import annotations


def wildcard_paths_select_lists() -> None:
    """Wrap extract_json where LocalStack's evaluator imported it by name (on_infra_start)."""
    from localstack.services.stepfunctions.asl.component.common.string import string_expression
    from localstack.services.stepfunctions.asl.component.intrinsic.argument import argument
    from localstack.services.stepfunctions.asl.utils import json_path

    original = json_path.extract_json

    def extract_json(path: str, data):
        value = original(path, data)
        if json_path._contains_slice_or_wildcard_array(path) and not isinstance(value, list):
            return [value]
        return value

    for module in (json_path, string_expression, argument):
        module.extract_json = extract_json
