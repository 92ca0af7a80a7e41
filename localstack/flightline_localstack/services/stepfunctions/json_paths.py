"""A JSONPath with a wildcard or slice selects a list, even of one value, as on AWS.

"Paths" (Step Functions Developer Guide, JsonPath): Step Functions evaluates paths with the
Jayway JsonPath semantics, where an indefinite path (`[*]`, a slice) always yields an array.
LocalStack 2026.3.0 unwraps a single match of `$.Contents[*].Key` into a bare string, so a Map
over the keys of a one-file day fails here and not on AWS. Its own rule for "no match" already
answers `[]` for such paths (`_contains_slice_or_wildcard_array`); this extends it to one match.
"""

from __future__ import annotations

import functools

# Distinct paths in a deployment are few (those in its ASL); the bound only stops a runaway.
PARSED_PATHS_KEPT = 4096


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


def parse_each_path_once() -> None:
    """Keep each parsed JsonPath: LocalStack 2026.3.0 parses a path on every evaluation, and
    jsonpath-ng builds a new parser for each parse (ply regenerates its LALR tables): in the
    end-to-end lanes that was 43 % of LocalStack's CPU (a py-spy profile). A parsed path is an
    immutable expression tree, so sharing it across executions and threads changes nothing."""
    import jsonpath_ng
    import jsonpath_ng.ext
    from localstack.services.stepfunctions.asl.component.common.path import result_path
    from localstack.services.stepfunctions.asl.utils import json_path

    json_path.parse = functools.lru_cache(maxsize=PARSED_PATHS_KEPT)(jsonpath_ng.ext.parse)
    result_path.parse = functools.lru_cache(maxsize=PARSED_PATHS_KEPT)(jsonpath_ng.parse)
