"""The deploy tool's clients: boto3's chain for AWS, localstack-client for an emulator."""

from __future__ import annotations

import pytest

from tools.deploy.config import ConfigError
from tools.deploy.session import make_session


@pytest.fixture
def no_endpoint_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ENDPOINT_URL", "USE_SSL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)


@pytest.mark.usefixtures("no_endpoint_env")
def test_emulator_clients_reach_the_given_endpoint_with_dummy_credentials() -> None:
    client, region = make_session("eu-west-1", "http://127.0.0.1:4599")
    for service in ("s3", "cloudformation", "stepfunctions", "glue", "codebuild"):
        made = client(service)
        assert made.meta.endpoint_url == "http://127.0.0.1:4599"
        assert made.meta.region_name == region == "eu-west-1"
    assert client("s3")._request_signer._credentials.access_key == "test"


@pytest.mark.usefixtures("no_endpoint_env")
def test_aws_clients_use_the_regional_endpoint() -> None:
    client, _ = make_session("eu-west-1", None)
    assert client("s3").meta.endpoint_url == "https://s3.eu-west-1.amazonaws.com"


@pytest.mark.usefixtures("no_endpoint_env")
@pytest.mark.parametrize("url", ["https://127.0.0.1:4566", "http://127.0.0.1", "http://h:1/x"])
def test_an_endpoint_localstack_client_cannot_take_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="expected http://host:port"):
        make_session("us-east-1", url)


def test_an_aws_endpoint_url_that_would_win_over_the_given_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # localstack-client prefers AWS_ENDPOINT_URL to the host it is given: refuse, not replace.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    with pytest.raises(ConfigError, match="overrides the endpoint"):
        make_session("us-east-1", "http://127.0.0.1:2222")
    client, _ = make_session("us-east-1", "http://127.0.0.1:1111")
    assert client("sqs").meta.endpoint_url == "http://127.0.0.1:1111"
