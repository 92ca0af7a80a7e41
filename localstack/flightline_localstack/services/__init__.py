"""One subpackage per AWS service the plugin provides or completes, as LocalStack lays out its
own: `provider.py` (the API handlers), `models.py` (the stores), the runners beside them and
`resource_providers/` (CloudFormation types)."""
