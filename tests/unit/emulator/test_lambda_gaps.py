"""emulator.lambda_gaps in-process (moto's decorator mode): each filled gap behaves as AWS documents."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws

from emulator import lambda_gaps

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    lambda_gaps.install()
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


def package():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("processor.py", "def handler(e, c):\n    return e\n")
    return buffer.getvalue()


def make_function(aws, key_arn=None):
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = aws("iam").create_role(RoleName="gaps", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    kwargs = {"KMSKeyArn": key_arn} if key_arn else {}
    aws("lambda").create_function(
        FunctionName="gaps", Runtime="python3.11", Role=role, Handler="processor.handler",
        Code={"ZipFile": package()}, **kwargs,
    )  # fmt: skip
    return role


def test_update_function_configuration_changes_and_removes_the_key(aws):
    kms = aws("kms")
    first, second = kms.create_key()["KeyMetadata"]["Arn"], kms.create_key()["KeyMetadata"]["Arn"]
    make_function(aws, first)
    lam = aws("lambda")
    lam.update_function_configuration(FunctionName="gaps", KMSKeyArn=second)
    assert lam.get_function(FunctionName="gaps")["Configuration"]["KMSKeyArn"] == second
    lam.update_function_configuration(FunctionName="gaps", KMSKeyArn="")
    assert not lam.get_function(FunctionName="gaps")["Configuration"].get("KMSKeyArn")


def test_dead_letter_config_is_kept_answered_and_removed(aws):
    role = make_function(aws)
    lam = aws("lambda")
    assert "DeadLetterConfig" not in lam.get_function(FunctionName="gaps")["Configuration"]
    queue = "arn:aws:sqs:%s:123456789012:failures" % REGION
    lam.update_function_configuration(FunctionName="gaps", DeadLetterConfig={"TargetArn": queue})
    assert lam.get_function(FunctionName="gaps")["Configuration"]["DeadLetterConfig"] == {"TargetArn": queue}
    lam.update_function_configuration(FunctionName="gaps", DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in lam.get_function_configuration(FunctionName="gaps")
    created = lam.create_function(
        FunctionName="gaps-dlq", Runtime="python3.11", Role=role, Handler="processor.handler",
        Code={"ZipFile": package()},
        DeadLetterConfig={"TargetArn": queue},
    )  # fmt: skip
    assert created["DeadLetterConfig"] == {"TargetArn": queue}
    assert lam.get_function_configuration(FunctionName="gaps-dlq")["DeadLetterConfig"] == {"TargetArn": queue}


def test_put_function_event_invoke_config_replaces_the_configuration(aws):
    make_function(aws)
    lam = aws("lambda")
    for queue in ("q1", "q2"):
        lam.put_function_event_invoke_config(
            FunctionName="gaps",
            MaximumRetryAttempts=1,
            DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:%s:123456789012:%s" % (REGION, queue)}},
        )
    config = lam.get_function_event_invoke_config(FunctionName="gaps")
    assert config["DestinationConfig"]["OnFailure"]["Destination"].endswith(":q2")
    assert len(lam.list_function_event_invoke_configs(FunctionName="gaps")["FunctionEventInvokeConfigs"]) == 1


def test_log_group_key_can_be_associated_and_disassociated(aws):
    logs = aws("logs")
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="/gaps")
    logs.associate_kms_key(logGroupName="/gaps", kmsKeyId=key)
    assert logs.describe_log_groups(logGroupNamePrefix="/gaps")["logGroups"][0]["kmsKeyId"] == key
    logs.disassociate_kms_key(logGroupName="/gaps")
    assert "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix="/gaps")["logGroups"][0]
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.associate_kms_key(logGroupName="/missing", kmsKeyId=key)


def test_add_permission_with_an_existing_statement_id_is_a_conflict(aws):
    make_function(aws)
    lam = aws("lambda")
    kwargs = {"FunctionName": "gaps", "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"}
    lam.add_permission(
        StatementId="api", SourceArn="arn:aws:execute-api:%s:123456789012:a/dev/POST/x" % REGION, **kwargs
    )
    revision = lam.get_policy(FunctionName="gaps")["RevisionId"]
    with pytest.raises(lam.exceptions.ResourceConflictException, match=r"statement id \(api\) provided already exists"):
        lam.add_permission(StatementId="api", **kwargs)
    policy = lam.get_policy(FunctionName="gaps")
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["api"]
    assert policy["RevisionId"] == revision
    # Removed first, the same id can be added again (how a changed statement is replaced).
    lam.remove_permission(FunctionName="gaps", StatementId="api")
    lam.add_permission(StatementId="api", **kwargs)
    assert [s["Sid"] for s in json.loads(lam.get_policy(FunctionName="gaps")["Policy"])["Statement"]] == ["api"]
