"""SNS: LocalStack's own provider, with the Publish limits it does not check (`publish_limits`)."""
