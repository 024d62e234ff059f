"""caller_identity against the emulator (run in-process through run_module)."""

from __future__ import annotations

import pytest

from ansible_collections.tap.multiregion.plugins.modules import caller_identity as module
from lambda_api_support import CallRecorder

ACCOUNT = "123456789012"


@pytest.fixture
def calls(monkeypatch):
    return CallRecorder().install(monkeypatch)


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_one_sts_call_returns_account_arn_user_and_partition(run_module, aws, calls, check_mode):
    result = run_module(module.main, {}, check_mode=check_mode)
    assert calls.calls == [("sts", "GetCallerIdentity")]  # one call, nothing else (no account alias lookup)
    expected = aws("sts").get_caller_identity()
    assert result["changed"] is False, result
    assert result["account"] == ACCOUNT == expected["Account"]
    assert result["arn"] == expected["Arn"] and result["user_id"] == expected["UserId"]
    assert result["partition"] == "aws"


def test_partition_comes_from_the_arn():
    response = {"Account": "210987654321", "Arn": "arn:aws-cn:iam::210987654321:user/deployer", "UserId": "AIDA1"}
    assert module.identity_facts(response) == {
        "account": "210987654321",
        "arn": "arn:aws-cn:iam::210987654321:user/deployer",
        "user_id": "AIDA1",
        "partition": "aws-cn",
    }


def test_unreachable_endpoint_fails_with_a_message():
    from support import FAKE_CREDENTIALS, call_module

    args = {
        "region": "us-east-1",
        "endpoint_url": "http://127.0.0.1:9",  # nothing listens on the discard port
        "access_key": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "secret_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "aws_config": {"retries": {"max_attempts": 1}, "connect_timeout": 2},
    }
    result = call_module(module.main, args)
    assert result["failed"] is True and "Failed to get the caller identity" in result["msg"]
