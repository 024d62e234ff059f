"""emulator.kms_policy_propagation: CloudWatch Logs cannot use a key until its policy allows it and has propagated."""

from __future__ import annotations

import json

import botocore.config
import botocore.exceptions
import pytest
from aws_profile_support import FOREVER, unique

NO_RETRIES = botocore.config.Config(retries={"max_attempts": 1})
REGION = "us-east-1"
ACCOUNT = "123456789012"


def key_policy(logs_allowed: bool = True) -> str:
    statements = [
        {
            "Sid": "Account",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if logs_allowed:
        statements.append(
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def refused(call, group: str, **kwargs) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as error:
        call(logGroupName=group, **kwargs)
    assert error.value.response["Error"] == {
        "Code": "AccessDeniedException",
        "Message": "The specified KMS key does not exist or is not allowed to be used with Arn "
        f"'arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}'",
    }


def test_a_new_key_and_a_changed_policy_are_not_usable_until_they_propagate(aws_profile):
    aws_profile.set(durations={"kms.policy.propagation": FOREVER})
    kms, logs = aws_profile.client("kms"), aws_profile.client("logs", config=NO_RETRIES)
    key = kms.create_key(Policy=key_policy())["KeyMetadata"]["Arn"]
    group = unique("/tap/encrypted")
    refused(logs.create_log_group, group, kmsKeyId=key)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []

    aws_profile.set(durations={"kms.policy.propagation": 0})
    logs.create_log_group(logGroupName=group, kmsKeyId=key)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["kmsKeyId"] == key

    aws_profile.set(durations={"kms.policy.propagation": FOREVER})
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=key_policy())
    other = unique("/tap/plain")
    logs.create_log_group(logGroupName=other)
    refused(logs.associate_kms_key, other, kmsKeyId=key)
    aws_profile.set(durations={"kms.policy.propagation": 0})
    logs.associate_kms_key(logGroupName=other, kmsKeyId=key)


def test_logs_cannot_use_a_key_its_policy_does_not_allow_or_that_does_not_exist(aws_profile):
    aws_profile.set(durations={"kms.policy.propagation": 0})
    kms, logs = aws_profile.client("kms"), aws_profile.client("logs", config=NO_RETRIES)
    account_only = kms.create_key(Policy=key_policy(logs_allowed=False))["KeyMetadata"]["Arn"]
    refused(logs.create_log_group, unique("/tap/denied"), kmsKeyId=account_only)
    missing = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    refused(logs.create_log_group, unique("/tap/missing"), kmsKeyId=missing)


def test_the_default_profile_lets_logs_use_any_key_at_once(aws):
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    group = unique("/tap/instant")
    aws("logs").create_log_group(logGroupName=group, kmsKeyId=key)
    assert aws("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["kmsKeyId"] == key
