"""lambda_function against the emulator (run in-process through run_module)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import botocore.client
import pytest
from botocore.exceptions import ClientError

from ansible_collections.tap.multiregion.plugins.module_utils import base
from ansible_collections.tap.multiregion.plugins.module_utils import lambda_function as logic
from ansible_collections.tap.multiregion.plugins.module_utils.lambda_package import code_sha256
from ansible_collections.tap.multiregion.plugins.modules import lambda_function as module
from emulator import control
from lambda_api_support import CallRecorder

REGION = "eu-central-1"
ACCOUNT = "123456789012"
TAGS = {"Environment": "test", "Region": REGION, "CostCenter": "cc-1", "ManagedBy": "ansible", "Project": "tap"}


@pytest.fixture
def calls(monkeypatch):
    return CallRecorder().install(monkeypatch)


def make_zip(path, body="def handler(event, context):\n    return {}\n"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("processor.py", date_time=(1980, 1, 1, 0, 0, 0))
        archive.writestr(info, body)
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture(scope="module")
def env(aws, tmp_path_factory):
    """Role, key, subnets, security group and bucket shared by the tests (each test uses its own function)."""
    iam = aws("iam", REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role_arn = iam.create_role(RoleName="lambda-function-test", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    other_role_arn = iam.create_role(RoleName="lambda-function-test-2", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    kms = aws("kms", REGION)
    key = kms.create_key(Description="lambda function test")["KeyMetadata"]["Arn"]
    other_key = kms.create_key(Description="lambda function test 2")["KeyMetadata"]["Arn"]
    ec2 = aws("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.%d.0/24" % (10 + i), AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones)
    ]
    sg = ec2.create_security_group(GroupName="app-lambda-test", Description="app", VpcId=vpc)["GroupId"]
    tmp = tmp_path_factory.mktemp("lambda-zips")
    return {
        "role": role_arn,
        "other_role": other_role_arn,
        "key": key,
        "other_key": other_key,
        "subnets": subnets,
        "sg": sg,
        "zip": make_zip(tmp / "v1.zip"),
        "zip2": make_zip(tmp / "v2.zip", "def handler(event, context):\n    return {'v': 2}\n"),
        "tmp": tmp,
    }


def make_bucket(aws, name):
    aws("s3", REGION).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def args(env, name, bucket=None, **overrides):
    result = {
        "name": name,
        "role": env["role"],
        "runtime": "python3.11",
        "handler": "processor.handler",
        "zip_file": env["zip"],
        "description": "test function %s" % name,
        "memory_size": 256,
        "timeout": 30,
        "environment_variables": {"TABLE_NAME": "sessions-test", "REGION": REGION},
        "kms_key_arn": env["key"],
        "vpc_subnet_ids": env["subnets"],
        "vpc_security_group_ids": [env["sg"]],
        "reserved_concurrency": 5,
        "log_group": {"retention_days": 14, "kms_key_arn": env["key"]},
        "additional_log_groups": [
            {"name": "/tap/test/%s/api-access" % name, "retention_days": 30, "kms_key_arn": env["key"]}
        ],
        "failure_queue": {"name": "%s-failures" % name, "kms_key_arn": env["key"]},
        "tags": TAGS,
    }
    if bucket:
        result["permissions"] = [
            {"sid": "s3-invoke", "principal": "s3.amazonaws.com", "source_arn": "arn:aws:s3:::%s" % bucket,
             "source_account": ACCOUNT},
        ]  # fmt: skip
        result["s3_notifications"] = [{"bucket": bucket}]
    result.update(overrides)
    return result


def function_state(aws, name):
    lam = aws("lambda", REGION)
    found = lam.get_function(FunctionName=name)
    return (
        found["Configuration"],
        found.get("Tags", {}),
        (found.get("Concurrency") or {}).get("ReservedConcurrentExecutions"),
    )


def check_converged(aws, env, name, bucket):
    config, tags, concurrency = function_state(aws, name)
    assert config["Runtime"] == "python3.11" and config["Handler"] == "processor.handler"
    assert config["MemorySize"] == 256 and config["Timeout"] == 30
    assert config["Role"] == env["role"]
    assert config["Environment"]["Variables"] == {"TABLE_NAME": "sessions-test", "REGION": REGION}
    assert config["KMSKeyArn"] == env["key"]
    assert sorted(config["VpcConfig"]["SubnetIds"]) == sorted(env["subnets"])
    assert config["VpcConfig"]["SecurityGroupIds"] == [env["sg"]]
    assert config["CodeSha256"] == code_sha256(Path(env["zip"]).read_bytes())
    assert tags == TAGS and concurrency == 5

    lam = aws("lambda", REGION)
    invoke = lam.get_function_event_invoke_config(FunctionName=name)
    queue_arn = "arn:aws:sqs:%s:%s:%s-failures" % (REGION, ACCOUNT, name)
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn
    assert config["DeadLetterConfig"] == {"TargetArn": queue_arn}
    assert invoke["MaximumRetryAttempts"] == 2

    sqs = aws("sqs", REGION)
    url = sqs.get_queue_url(QueueName="%s-failures" % name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == env["key"] and attributes["MessageRetentionPeriod"] == "1209600"
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == TAGS

    logs = aws("logs", REGION)
    for group_name, retention in (("/aws/lambda/%s" % name, 14), ("/tap/test/%s/api-access" % name, 30)):
        group = logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"][0]
        assert group["retentionInDays"] == retention and group["kmsKeyId"] == env["key"]

    if bucket:
        statements = json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]
        assert [s["Sid"] for s in statements] == ["s3-invoke"]
        assert statements[0]["Principal"] == {"Service": "s3.amazonaws.com"}
        assert statements[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::%s" % bucket
        assert statements[0]["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT
        notification = aws("s3", REGION).get_bucket_notification_configuration(Bucket=bucket)
        assert notification["LambdaFunctionConfigurations"] == [
            {"Id": name, "LambdaFunctionArn": config["FunctionArn"], "Events": ["s3:ObjectCreated:*"]}
        ]


def test_create_then_rerun_makes_no_write_call(run_module, aws, env, calls):
    name = "lf-create"
    bucket = make_bucket(aws, "lf-create-bucket")
    first = run_module(module.main, args(env, name, bucket), region=REGION, diff=True)
    assert first["changed"] is True, first
    assert first["changes"][0] == "create log group /aws/lambda/%s" % name
    assert first["diff"]["before"]["function"] is None
    assert first["function_arn"] == "arn:aws:lambda:%s:%s:function:%s" % (REGION, ACCOUNT, name)
    assert first["function"]["environment"]["variables"]["TABLE_NAME"] == "sessions-test"
    assert first["function"]["reserved_concurrency"] == 5
    assert first["queue_arn"] == "arn:aws:sqs:%s:%s:%s-failures" % (REGION, ACCOUNT, name)
    check_converged(aws, env, name, bucket)

    calls.clear()
    second = run_module(module.main, args(env, name, bucket), region=REGION, diff=True)
    assert second["changed"] is False, second["changes"]
    assert calls.writes() == []
    # Every read once (made at the same time): function, policy, invoke settings, bucket, log groups, queue.
    assert sorted(calls.calls) == [
        ("lambda", "GetFunction"), ("lambda", "GetFunctionEventInvokeConfig"), ("lambda", "GetPolicy"),
        ("logs", "DescribeLogGroups"), ("logs", "DescribeLogGroups"), ("logs", "ListTagsForResource"),
        ("logs", "ListTagsForResource"), ("s3", "GetBucketNotificationConfiguration"), ("sqs", "GetQueueAttributes"),
        ("sqs", "GetQueueUrl"), ("sqs", "ListQueueTags"),
    ]  # fmt: skip
    assert second["diff"]["before"] == second["diff"]["after"]
    assert second["event_invoke_config"]["on_failure"] == first["queue_arn"]
    assert second["permissions"]["s3-invoke"]["source_arn"] == "arn:aws:s3:::%s" % bucket
    assert second["s3_notifications"] == {bucket: [{"id": name, "events": ["s3:ObjectCreated:*"], "filter_rules": {}}]}


def test_check_mode_reports_and_writes_nothing(run_module, aws, env, calls):
    name = "lf-check"
    bucket = make_bucket(aws, "lf-check-bucket")
    calls.clear()
    preview = run_module(module.main, args(env, name, bucket), region=REGION, check_mode=True)
    assert preview["changed"] is True
    assert "create function %s" % name in preview["changes"]
    assert calls.writes() == []
    with pytest.raises(ClientError):
        aws("lambda", REGION).get_function(FunctionName=name)

    run_module(module.main, args(env, name, bucket), region=REGION)
    calls.clear()
    drifted = args(env, name, bucket, memory_size=512)
    preview = run_module(module.main, drifted, region=REGION, check_mode=True, diff=True)
    assert preview["changed"] is True
    assert preview["changes"] == ["function %s: memory size 256 -> 512" % name]
    assert preview["diff"]["after"]["function"]["memory_size"] == 512
    assert calls.writes() == []
    assert function_state(aws, name)[0]["MemorySize"] == 256

    again = run_module(module.main, args(env, name, bucket), region=REGION, check_mode=True)
    assert again["changed"] is False


def test_drift_is_repaired(run_module, aws, env):
    name = "lf-drift"
    bucket = make_bucket(aws, "lf-drift-bucket")
    run_module(module.main, args(env, name, bucket), region=REGION)

    lam, logs, sqs = aws("lambda", REGION), aws("logs", REGION), aws("sqs", REGION)
    lam.update_function_configuration(
        FunctionName=name,
        MemorySize=128,
        Role=env["other_role"],
        Environment={"Variables": {"TABLE_NAME": "other", "EXTRA": "1"}},
        KMSKeyArn="",
        VpcConfig={"SubnetIds": env["subnets"][:1], "SecurityGroupIds": [env["sg"]]},
    )
    lam.update_function_code(FunctionName=name, ZipFile=Path(env["zip2"]).read_bytes())
    lam.update_function_configuration(
        FunctionName=name, DeadLetterConfig={"TargetArn": "arn:aws:sqs:%s:%s:elsewhere" % (REGION, ACCOUNT)}
    )
    lam.delete_function_concurrency(FunctionName=name)
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:%s:%s:elsewhere" % (REGION, ACCOUNT)}},
    )
    lam.remove_permission(FunctionName=name, StatementId="s3-invoke")
    lam.add_permission(
        FunctionName=name, StatementId="s3-invoke", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::someone-elses-bucket",
    )  # fmt: skip
    function_arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=function_arn, Tags={"Environment": "drifted", "Stray": "x"})
    logs.put_retention_policy(logGroupName="/aws/lambda/%s" % name, retentionInDays=1)
    logs.associate_kms_key(logGroupName="/tap/test/%s/api-access" % name, kmsKeyId=env["other_key"])
    url = sqs.get_queue_url(QueueName="%s-failures" % name)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": env["other_key"]})
    sqs.untag_queue(QueueUrl=url, TagKeys=["CostCenter"])
    aws("s3", REGION).put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})

    repaired = run_module(module.main, args(env, name, bucket), region=REGION, diff=True)
    assert repaired["changed"] is True
    show = base.show
    queue_arn = "arn:aws:sqs:%s:%s:%s-failures" % (REGION, ACCOUNT, name)
    label = "function %s" % name
    assert repaired["changes"] == [
        "log group /aws/lambda/%s: retention days 1 -> 14" % name,
        "log group /tap/test/%s/api-access: KMS key %s -> %s" % (name, show(env["other_key"]), show(env["key"])),
        "queue %s-failures: KmsMasterKeyId %s -> %s" % (name, env["other_key"], env["key"]),
        "queue %s-failures: tags CostCenter=cc-1" % name,
        "%s: role %s -> %s, memory size 128 -> 256, environment variables %s -> %s, KMS key none -> %s, "
        "VPC subnets %s -> %s, dead-letter queue arn:aws:sqs:%s:%s:elsewhere -> %s"
        % (label, env["other_role"], env["role"], show({"EXTRA": "1", "TABLE_NAME": "other"}),
           show({"REGION": REGION, "TABLE_NAME": "sessions-test"}), show(env["key"]), show(env["subnets"][:1]),
           show(sorted(env["subnets"])), REGION, ACCOUNT, queue_arn),
        "%s: code sha256 %s -> %s" % (label, code_sha256(Path(env["zip2"]).read_bytes()),
                                      code_sha256(Path(env["zip"]).read_bytes())),
        "%s: remove tags Stray" % label,
        "%s: tags Environment drifted -> test" % label,
        "%s: reserved concurrency none -> 5" % label,
        "%s: on-failure destination arn:aws:sqs:%s:%s:elsewhere -> %s, maximum retry attempts 0 -> 2, "
        "maximum event age seconds none -> 21600" % (label, REGION, ACCOUNT, queue_arn),
        "%s: permission s3-invoke source ARN arn:aws:s3:::someone-elses-bucket -> arn:aws:s3:::%s, "
        "source account none -> %s" % (label, bucket, ACCOUNT),
        "bucket %s: notifications to %s none -> %s s3:ObjectCreated:*" % (bucket, label, name),
    ]  # fmt: skip
    assert repaired["diff"]["before"]["function"]["memory_size"] == 128
    assert repaired["diff"]["after"]["function"]["memory_size"] == 256
    check_converged(aws, env, name, bucket)
    assert run_module(module.main, args(env, name, bucket), region=REGION)["changed"] is False


def test_other_notifications_of_the_bucket_are_kept(run_module, aws, env):
    name = "lf-shared"
    bucket = make_bucket(aws, "lf-shared-bucket")
    queue_arn = aws("sqs", REGION).get_queue_attributes(
        QueueUrl=aws("sqs", REGION).create_queue(QueueName="lf-shared-events")["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    other_function = "arn:aws:lambda:%s:%s:function:someone-else" % (REGION, ACCOUNT)
    s3 = aws("s3", REGION)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"Id": "to-queue", "QueueArn": queue_arn, "Events": ["s3:ObjectRemoved:*"]}],
            "LambdaFunctionConfigurations": [
                {"Id": "other", "LambdaFunctionArn": other_function, "Events": ["s3:ObjectCreated:Put"]}
            ],
        },
    )
    overrides = {"s3_notifications": [{"bucket": bucket, "id": "mine", "prefix": "in/", "suffix": ".json"}]}
    result = run_module(module.main, args(env, name, bucket, **overrides), region=REGION)
    assert result.get("changed") is True, result
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert [q["Id"] for q in config["QueueConfigurations"]] == ["to-queue"]
    by_id = {c["Id"]: c for c in config["LambdaFunctionConfigurations"]}
    assert set(by_id) == {"other", "mine"}
    assert by_id["other"]["LambdaFunctionArn"] == other_function
    rules = {r["Name"].lower(): r["Value"] for r in by_id["mine"]["Filter"]["Key"]["FilterRules"]}
    assert rules == {"prefix": "in/", "suffix": ".json"}
    assert run_module(module.main, args(env, name, bucket, **overrides), region=REGION)["changed"] is False

    # Renaming our notification replaces it; the others stay.
    renamed = {"s3_notifications": [{"bucket": bucket, "id": "mine-v2"}]}
    assert run_module(module.main, args(env, name, bucket, **renamed), region=REGION)["changed"] is True
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert sorted(c["Id"] for c in config["LambdaFunctionConfigurations"]) == ["mine-v2", "other"]

    removed = run_module(
        module.main,
        {"name": name, "state": "absent", "s3_notifications": [{"bucket": bucket, "id": "mine-v2"}]},
        region=REGION,
    )
    assert removed["changed"] is True
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert [c["Id"] for c in config["LambdaFunctionConfigurations"]] == ["other"]
    assert [q["Id"] for q in config["QueueConfigurations"]] == ["to-queue"]


def test_unreserved_concurrency_and_no_vpc(run_module, aws, env):
    name = "lf-plain"
    overrides = {"reserved_concurrency": None, "vpc_subnet_ids": [], "vpc_security_group_ids": [], "kms_key_arn": None}
    run_module(module.main, args(env, name, reserved_concurrency=3), region=REGION)
    result = run_module(module.main, args(env, name, **overrides), region=REGION)
    assert result["changed"] is True
    assert "function %s: reserved concurrency 3 -> none" % name in result["changes"]
    config, dummy, concurrency = function_state(aws, name)
    assert concurrency is None and not config.get("KMSKeyArn")
    assert not (config.get("VpcConfig") or {}).get("SubnetIds")
    assert run_module(module.main, args(env, name, **overrides), region=REGION)["changed"] is False


def test_state_absent_removes_everything(run_module, aws, env):
    name = "lf-absent"
    bucket = make_bucket(aws, "lf-absent-bucket")
    run_module(module.main, args(env, name, bucket), region=REGION)
    absent = {
        "name": name,
        "state": "absent",
        "log_group": {},
        "additional_log_groups": [{"name": "/tap/test/%s/api-access" % name}],
        "failure_queue": {"name": "%s-failures" % name},
        "s3_notifications": [{"bucket": bucket}],
    }
    preview = run_module(module.main, absent, region=REGION, check_mode=True)
    assert preview["changed"] is True
    aws("lambda", REGION).get_function(FunctionName=name)  # still there

    result = run_module(module.main, absent, region=REGION)
    assert result["changed"] is True
    with pytest.raises(ClientError):
        aws("lambda", REGION).get_function(FunctionName=name)
    with pytest.raises(ClientError):
        aws("sqs", REGION).get_queue_url(QueueName="%s-failures" % name)
    assert aws("logs", REGION).describe_log_groups(logGroupNamePrefix="/aws/lambda/%s" % name)["logGroups"] == []
    assert "LambdaFunctionConfigurations" not in aws("s3", REGION).get_bucket_notification_configuration(Bucket=bucket)
    assert run_module(module.main, absent, region=REGION)["changed"] is False


def test_throttling_is_retried_once(run_module, aws, env, monkeypatch):
    name = "lf-throttle"
    original = botocore.client.BaseClient._make_api_call
    seen = []

    def throttle_first_get_function(client, operation_name, api_params):
        if operation_name == "GetFunction":
            seen.append(operation_name)
            if len(seen) == 1:
                raise ClientError(
                    {"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}}, operation_name
                )
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle_first_get_function)
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", lambda _: None)
    result = run_module(module.main, args(env, name), region=REGION)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert seen[:2] == ["GetFunction", "GetFunction"]


def test_new_role_is_retried_while_iam_propagates(run_module, aws, env, monkeypatch):
    name = "lf-propagation"
    original = botocore.client.BaseClient._make_api_call
    attempts = []

    def role_not_ready_once(client, operation_name, api_params):
        if operation_name == "CreateFunction":
            attempts.append(operation_name)
            if len(attempts) == 1:
                raise ClientError(
                    {
                        "Error": {
                            "Code": "InvalidParameterValueException",
                            "Message": "The role defined for the function cannot be assumed by Lambda.",
                        }
                    },
                    operation_name,
                )
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", role_not_ready_once)
    monkeypatch.setattr(base.IAM_ROLE_PROPAGATION, "delay", 0)
    result = run_module(module.main, args(env, name), region=REGION)
    assert result.get("failed") is not True, result
    assert attempts == ["CreateFunction", "CreateFunction"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"vpc_security_group_ids": []}, "vpc_subnet_ids and vpc_security_group_ids must be given together"),
        ({"log_group": {"retention_days": 13}}, "log group /aws/lambda/lf-invalid: 13 days is not allowed"),
        ({"role": "not-an-arn"}, "role must be the ARN of an IAM role"),
        ({"maximum_retry_attempts": 3}, "maximum_retry_attempts must be 0, 1 or 2"),
        ({"s3_notifications": [{"bucket": "b"}, {"bucket": "b"}]}, "two notifications of bucket b have the id"),
    ],
)
def test_invalid_parameters_fail_before_any_call(run_module, env, calls, overrides, message):
    result = run_module(module.main, args(env, "lf-invalid", **overrides), region=REGION)
    assert result["failed"] is True
    assert message in result["msg"]
    assert calls.calls == []


def test_permission_and_notification_logic():
    policy = {
        "Statement": [
            {
                "Sid": "api",
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:r:1:abc/*/*/process"}},
            },
            {
                "Sid": "s3",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": "arn:aws:s3:::b"},
                    "StringEquals": {"aws:SourceAccount": "1"},
                },
            },
        ]
    }
    current = logic.current_permissions(json.dumps(policy))
    desired = logic.desired_permissions(
        [{"sid": "s3", "principal": "s3.amazonaws.com", "source_arn": "arn:aws:s3:::b", "source_account": "1"}]
    )
    assert logic.permission_changes(current, desired) == ([], [])
    assert logic.permission_changes(current, desired, purge=True) == (["api"], [])
    desired["s3"]["source_account"] = "2"
    assert logic.permission_changes(current, desired) == (["s3"], ["s3"])

    arn = "arn:aws:lambda:r:1:function:f"
    configs, error = logic.desired_notifications(arn, [{"bucket": "b"}], "f")
    assert error is None
    current = {
        "LambdaFunctionConfigurations": [{"Id": "f", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]
    }
    assert logic.merge_notifications(current, configs["b"], arn)[1] is False
    new, changed = logic.merge_notifications({"EventBridgeConfiguration": {}}, configs["b"], arn)
    assert changed is True and "EventBridgeConfiguration" in new


def test_code_sha256_spares_reading_the_package(run_module, aws, env):
    name = "lf-sha"
    sha = code_sha256(Path(env["zip"]).read_bytes())
    missing = str(env["tmp"] / "not-built-yet.zip")
    preview = run_module(
        module.main, args(env, name, zip_file=missing, code_sha256=sha), region=REGION, check_mode=True
    )
    assert preview.get("failed") is not True, preview
    assert "create function %s" % name in preview["changes"]

    assert run_module(module.main, args(env, name, code_sha256=sha), region=REGION)["changed"] is True
    converged = run_module(module.main, args(env, name, zip_file=missing, code_sha256=sha), region=REGION)
    assert converged["changed"] is False, converged
    new_sha = code_sha256(Path(env["zip2"]).read_bytes())
    updated = run_module(module.main, args(env, name, zip_file=env["zip2"], code_sha256=new_sha), region=REGION)
    assert updated["changes"] == ["function %s: code sha256 %s -> %s" % (name, sha, new_sha)]
    assert function_state(aws, name)[0]["CodeSha256"] == new_sha


@pytest.mark.parametrize(
    "drift, sentence",
    [
        ({"Timeout": 5}, "timeout 5 -> 30"),
        ({"DeadLetterConfig": {"TargetArn": ""}}, "dead-letter queue none -> arn:aws:sqs:%s:%s:lf-plan-failures"),
    ],
    ids=["timeout", "dead-letter-queue"],
)
def test_drift_is_named_in_check_mode_without_a_write(run_module, aws, env, emulator_url, drift, sentence):
    name = "lf-plan"
    run_module(module.main, args(env, name), region=REGION)
    aws("lambda", REGION).update_function_configuration(FunctionName=name, **drift)
    mark = control.last_call_seq(emulator_url)
    plan = run_module(module.main, args(env, name), region=REGION, check_mode=True, diff=True)
    assert plan["changes"] == ["function %s: %s" % (name, sentence.replace("%s:%s", "%s:%s" % (REGION, ACCOUNT)))]
    assert plan["diff"]["before"]["function"] != plan["diff"]["after"]["function"]
    assert control.write_calls(emulator_url, mark) == []
    assert run_module(module.main, args(env, name), region=REGION)["changed"] is True
    assert run_module(module.main, args(env, name), region=REGION, check_mode=True)["changes"] == []


def patch_lambda(monkeypatch, change):
    """change(operation, params, response) edits or replaces what the emulator answered (or raises)."""
    original = botocore.client.BaseClient._make_api_call
    seen = []

    def call(client, operation_name, api_params):
        if client.meta.service_model.service_name in ("lambda", "s3") and not operation_name.startswith("List"):
            seen.append(operation_name)
            response = change(operation_name, api_params, lambda: original(client, operation_name, api_params))
            if response is not None:
                return response
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    monkeypatch.setattr(module, "CREATE_POLL", 0.0)
    monkeypatch.setattr(module, "UPDATE_POLL", 0.0)
    return seen


def after(seen, operation):
    return seen[seen.index(operation):]


def test_waits_until_the_function_is_active_and_each_update_is_done(run_module, env, monkeypatch):
    """AWS answers State Pending to CreateFunction (a VPC function for a minute or more) and LastUpdateStatus
    InProgress to an update; the next write would meet ResourceConflictException."""
    name = "lf-states"
    pending = {"State": 0, "LastUpdateStatus": 0}

    def states(operation, params, call):
        if operation not in ("CreateFunction", "UpdateFunctionConfiguration", "GetFunctionConfiguration"):
            return None
        response = call()
        key = "State" if operation == "CreateFunction" else "LastUpdateStatus"
        if operation != "GetFunctionConfiguration":
            pending[key] = 2
        for key, value in (("State", "Pending"), ("LastUpdateStatus", "InProgress")):
            if pending[key]:
                pending[key] -= 1
                response[key] = value
        return response

    seen = patch_lambda(monkeypatch, states)
    created = run_module(module.main, args(env, name), region=REGION)
    assert created["changed"] is True, created
    # The response (Pending), one more Pending read, then Active: only then the next write.
    assert after(seen, "CreateFunction")[:4] == [
        "CreateFunction", "GetFunctionConfiguration", "GetFunctionConfiguration", "PutFunctionConcurrency"
    ]  # fmt: skip

    del seen[:]
    updated = run_module(module.main, args(env, name, memory_size=512, zip_file=env["zip2"]), region=REGION)
    assert updated["changed"] is True, updated
    assert after(seen, "UpdateFunctionConfiguration")[:4] == [
        "UpdateFunctionConfiguration", "GetFunctionConfiguration", "GetFunctionConfiguration", "UpdateFunctionCode"
    ]  # fmt: skip


def test_a_failed_update_fails_the_task_naming_the_reason(run_module, env, monkeypatch):
    name = "lf-failed"
    run_module(module.main, args(env, name), region=REGION)

    def fail_the_update(operation, params, call):
        if operation == "UpdateFunctionConfiguration":
            return dict(call(), LastUpdateStatus="InProgress")
        if operation == "GetFunctionConfiguration":
            return dict(call(), LastUpdateStatus="Failed", LastUpdateStatusReasonCode="SubnetOutOfIPAddresses",
                        LastUpdateStatusReason="All subnets of the function are out of IP addresses.")
        return None

    seen = patch_lambda(monkeypatch, fail_the_update)
    result = run_module(module.main, args(env, name, memory_size=512), region=REGION)
    assert result["failed"] is True
    assert result["msg"] == (
        "function %s: configuration update LastUpdateStatus Failed (SubnetOutOfIPAddresses): "
        "All subnets of the function are out of IP addresses." % name
    )
    assert result["changes"] == ["function %s: memory size 256 -> 512" % name]
    assert "PutFunctionConcurrency" not in after(seen, "UpdateFunctionConfiguration")


def test_a_failed_creation_fails_the_task_naming_the_reason(run_module, env, monkeypatch):
    def fail_the_creation(operation, params, call):
        if operation == "CreateFunction":
            return dict(call(), State="Pending")
        if operation == "GetFunctionConfiguration":
            return dict(call(), State="Failed", StateReasonCode="EniLimitExceeded",
                        StateReason="The function could not create its network interfaces.")
        return None

    patch_lambda(monkeypatch, fail_the_creation)
    result = run_module(module.main, args(env, "lf-failed-creation"), region=REGION)
    assert result["failed"] is True
    assert result["msg"] == (
        "function lf-failed-creation: creation State Failed (EniLimitExceeded): "
        "The function could not create its network interfaces."
    )


def test_a_function_left_failed_fails_the_task_when_nothing_would_change(run_module, env, monkeypatch):
    name = "lf-left-failed"
    run_module(module.main, args(env, name), region=REGION)

    def left_failed(operation, params, call):
        if operation == "GetFunction":
            found = call()
            found["Configuration"].update(State="Failed", StateReasonCode="KMSKeyAccessDenied",
                                          StateReason="Lambda was unable to decrypt the environment variables.")
            return found
        return None

    patch_lambda(monkeypatch, left_failed)
    result = run_module(module.main, args(env, name), region=REGION)
    assert result["failed"] is True
    assert result["msg"] == (
        "function %s: State Failed (KMSKeyAccessDenied): Lambda was unable to decrypt the environment variables." % name
    )
    # A change is made: the update may repair the function.
    assert run_module(module.main, args(env, name, timeout=45), region=REGION).get("failed") is not True


def conflict(operation, message):
    return ClientError({"Error": {"Code": "ResourceConflictException", "Message": message}}, operation)


def test_writes_wait_while_an_update_or_the_policy_is_in_progress(run_module, aws, env, monkeypatch):
    name = "lf-conflict"
    bucket = make_bucket(aws, "lf-conflict-bucket")
    run_module(module.main, args(env, name), region=REGION)
    refused = []

    def busy_once(operation, params, call):
        if operation in ("UpdateFunctionConfiguration", "AddPermission") and operation not in refused:
            refused.append(operation)
            raise conflict(operation, "The operation cannot be performed at this time. An update is in progress "
                                      "for resource: arn:aws:lambda:%s:%s:function:%s" % (REGION, ACCOUNT, name))
        if operation == "PutBucketNotificationConfiguration" and operation not in refused:
            refused.append(operation)
            raise ClientError({"Error": {"Code": "InvalidArgument",
                                         "Message": "Unable to validate the following destination configurations"}},
                              operation)  # fmt: skip
        return None

    monkeypatch.setattr(logic.LAMBDA_CONFLICT, "delay", 0)
    monkeypatch.setattr(logic.S3_DESTINATION_VALIDATION, "delay", 0)
    seen = patch_lambda(monkeypatch, busy_once)
    result = run_module(module.main, args(env, name, bucket, timeout=60), region=REGION)
    assert result.get("failed") is not True, result
    assert refused == ["UpdateFunctionConfiguration", "AddPermission", "PutBucketNotificationConfiguration"]
    assert [op for op in seen if op in refused] == [op for op in refused for attempt in (1, 2)]
    assert function_state(aws, name)[0]["Timeout"] == 60


def test_an_existing_statement_id_is_not_retried(run_module, aws, env, monkeypatch):
    bucket = make_bucket(aws, "lf-exists-bucket")
    tries = []

    def exists(operation, params, call):
        if operation == "AddPermission":
            tries.append(operation)
            raise conflict(operation, "The statement id (s3-invoke) provided already exists. Please provide a new "
                                      "statement id, or remove the existing statement.")
        return None

    patch_lambda(monkeypatch, exists)
    result = run_module(module.main, args(env, "lf-exists", bucket), region=REGION)
    assert result["failed"] is True and "already exists" in result["msg"]
    assert tries == ["AddPermission"]
