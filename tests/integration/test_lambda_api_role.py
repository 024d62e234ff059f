"""The lambda_api role in every region of the local inventory, run twice through a playbook."""

from __future__ import annotations

from integration.helpers import data_bucket
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from support import REPO_ROOT

PLAYBOOK = "tests/integration/playbooks/lambda_api.yml"
REGIONS = ("us-east-1", "us-east-2", "eu-west-1")
JWT_REGION = "eu-west-1"  # the playbook configures a JWT authorizer there, AWS_IAM elsewhere
ENV = "lapitest"  # tap_environment the playbook sets
ACCOUNT = "123456789012"  # the emulator's account


def run_playbook(emulator_url: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ)
    environment.update(
        TAP_EMULATOR_URL=emulator_url,
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        PATH=f"{Path(sys.executable).parent}:{environment.get('PATH', '')}",
        **env,
    )
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), PLAYBOOK, "-i", "inventories/local", *args]
    return subprocess.run(cmd, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False)


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host (lines `<host> : ok=N changed=N ...`)."""
    counters: dict[str, dict[str, int]] = {}
    for match in re.finditer(r"^(\S+)\s+:\s+(ok=\d+.*)$", stdout.split("PLAY RECAP", 1)[-1], re.MULTILINE):
        counters[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return counters


def actions(statement) -> list[str]:
    action = statement.get("Action", [])
    return action if isinstance(action, list) else [action]


def check_region(aws, region: str, facts: dict) -> None:
    function_name = f"data-processor-{ENV}-{region}"
    function_arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{function_name}"
    bucket = data_bucket(ENV, region)
    key_arn = facts["baseline_kms_key_arn"]
    queue_arn = f"arn:aws:sqs:{region}:{ACCOUNT}:tap-lambda-failures-{ENV}-{region}"
    role_name = f"tap-lambda-{ENV}-{region}"
    assert facts["lambda_api_function_arn"] == function_arn

    # Function: configuration, environment encrypted with the key, VPC, concurrency, failure destination.
    lam = aws("lambda", region)
    found = lam.get_function(FunctionName=function_name)
    config = found["Configuration"]
    assert (config["Runtime"], config["Handler"], config["MemorySize"], config["Timeout"]) == (
        "python3.11",
        "processor.handler",
        256,
        30,
    )
    assert config["Role"] == f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
    variables = config["Environment"]["Variables"]
    assert {k: variables[k] for k in ("BUCKET_NAME", "REGION", "ENVIRONMENT", "TABLE_NAME")} == {
        "BUCKET_NAME": bucket,
        "REGION": region,
        "ENVIRONMENT": ENV,
        "TABLE_NAME": f"sessions-{ENV}",
    }
    assert config["KMSKeyArn"] == key_arn
    assert sorted(config["VpcConfig"]["SubnetIds"]) == sorted(facts["vpc_private_subnet_ids"])
    assert len(config["VpcConfig"]["SubnetIds"]) == 3
    assert config["VpcConfig"]["SecurityGroupIds"] == [facts["aurora_app_security_group_id"]]
    # Unreserved by default (AWS keeps 100 of the account's concurrency unreserved).
    assert (found.get("Concurrency") or {}).get("ReservedConcurrentExecutions") is None
    assert found["Tags"]["Environment"] == ENV and found["Tags"]["Region"] == region
    invoke = lam.get_function_event_invoke_config(FunctionName=function_name)
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn
    assert config["DeadLetterConfig"] == {"TargetArn": queue_arn}

    sqs = aws("sqs", region)
    url = sqs.get_queue_url(QueueName=f"tap-lambda-failures-{ENV}-{region}")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"] == {
        "KmsMasterKeyId": key_arn
    }

    logs = aws("logs", region)
    for group_name in (f"/aws/lambda/{function_name}", f"/tap/{ENV}/{region}/api-access"):
        group = logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"][0]
        assert (group["logGroupName"], group["retentionInDays"], group["kmsKeyId"]) == (group_name, 14, key_arn)

    # Execution role: trust (lambda only, this account only), managed policies, least-privilege inline policy.
    iam = aws("iam", region)
    role = iam.get_role(RoleName=role_name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert len(trust["Statement"]) == 1
    statement = trust["Statement"][0]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    attached = sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"])
    assert attached == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    ]
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == ["data-processor"]
    policy = iam.get_role_policy(RoleName=role_name, PolicyName="data-processor")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    by_resource = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not [a for a in actions(statement) if "*" in a], statement
        assert statement["Resource"] != "*"
        by_resource[statement["Resource"]] = sorted(actions(statement))
    assert by_resource == {
        f"arn:aws:s3:::{bucket}/*": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
        key_arn: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/sessions-{ENV}": [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
        ],
        queue_arn: ["sqs:SendMessage"],
    }

    # The bucket notifies the function; S3 and only this API may invoke it.
    notification = aws("s3", region).get_bucket_notification_configuration(Bucket=bucket)
    assert notification["LambdaFunctionConfigurations"] == [
        {"Id": function_name, "LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}
    ]
    api_id = facts["lambda_api_api_id"]
    statements = {s["Sid"]: s for s in json.loads(lam.get_policy(FunctionName=function_name)["Policy"])["Statement"]}
    assert set(statements) == {"s3-invoke", "apigateway-invoke"}
    s3_invoke = statements["s3-invoke"]
    assert s3_invoke["Principal"] == {"Service": "s3.amazonaws.com"}
    assert s3_invoke["Condition"] == {
        "ArnLike": {"AWS:SourceArn": f"arn:aws:s3:::{bucket}"},
        "StringEquals": {"AWS:SourceAccount": ACCOUNT},
    }
    api_invoke = statements["apigateway-invoke"]
    assert api_invoke["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert api_invoke["Action"] == "lambda:InvokeFunction"
    assert api_invoke["Condition"] == {
        "ArnLike": {"AWS:SourceArn": f"arn:aws:execute-api:{region}:{ACCOUNT}:{api_id}/{ENV}/POST/process"}
    }

    # The HTTP API: route, integration, authorization, stage with throttling and access logs.
    apigw = aws("apigatewayv2", region)
    apis = [a for a in apigw.get_apis()["Items"] if a["Name"] == f"tap-api-{ENV}-{region}"]
    assert [a["ApiId"] for a in apis] == [api_id]
    assert facts["lambda_api_endpoint"] == f"{apis[0]['ApiEndpoint']}/{ENV}"
    routes = apigw.get_routes(ApiId=api_id)["Items"]
    assert [r["RouteKey"] for r in routes] == ["POST /process"]
    integrations = apigw.get_integrations(ApiId=api_id)["Items"]
    assert len(integrations) == 1
    integration = integrations[0]
    assert (integration["IntegrationType"], integration["IntegrationUri"], integration["PayloadFormatVersion"]) == (
        "AWS_PROXY",
        function_arn,
        "2.0",
    )
    assert routes[0]["Target"] == f"integrations/{integration['IntegrationId']}"
    if region == JWT_REGION:
        assert routes[0]["AuthorizationType"] == "JWT"
        authorizer = apigw.get_authorizer(ApiId=api_id, AuthorizerId=routes[0]["AuthorizerId"])
        assert authorizer["JwtConfiguration"] == {
            "Audience": ["lapitest-client"],
            "Issuer": "https://issuer.example.com/lapitest",
        }
    else:
        assert routes[0]["AuthorizationType"] == "AWS_IAM"
    stage = apigw.get_stage(ApiId=api_id, StageName=ENV)
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 100
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 50.0
    assert stage["AccessLogSettings"]["DestinationArn"] == (
        f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/tap/{ENV}/{region}/api-access"
    )
    assert "$context.requestId" in stage["AccessLogSettings"]["Format"]


@pytest.mark.slow
def test_lambda_api_role_in_every_region_is_idempotent_and_removable(emulator_url, aws, tmp_path):
    env = {"TAP_OUTPUTS_DIR": str(tmp_path / "outputs"), "LAMBDA_API_FACTS_DIR": str(tmp_path)}
    first = run_playbook(emulator_url, env)
    output = first.stdout + first.stderr
    assert first.returncode == 0, output[-8000:]
    assert set(recap(first.stdout)) == set(REGIONS)
    for region in REGIONS:
        check_region(aws, region, json.loads((tmp_path / f"{region}.json").read_text()))

    second = run_playbook(emulator_url, env)
    assert second.returncode == 0, (second.stdout + second.stderr)[-8000:]
    changed = {host: counters["changed"] for host, counters in recap(second.stdout).items()}
    assert changed == dict.fromkeys(REGIONS, 0), second.stdout[-8000:]

    # The removal the teardown playbook runs: everything of the role goes, the bucket stays.
    removal = run_playbook(emulator_url, env, "-e", "lambda_api_state=absent")
    assert removal.returncode == 0, (removal.stdout + removal.stderr)[-8000:]
    for region in REGIONS:
        check_removed(aws, region)


def check_removed(aws, region: str) -> None:
    function_name = f"data-processor-{ENV}-{region}"
    missing = []
    for call in (
        lambda: aws("lambda", region).get_function(FunctionName=function_name),
        lambda: aws("sqs", region).get_queue_url(QueueName=f"tap-lambda-failures-{ENV}-{region}"),
        lambda: aws("iam", region).get_role(RoleName=f"tap-lambda-{ENV}-{region}"),
    ):
        try:
            call()
        except ClientError:
            missing.append(True)
    assert missing == [True, True, True]
    logs = aws("logs", region)
    for prefix in (f"/aws/lambda/{function_name}", f"/tap/{ENV}/{region}/api-access"):
        assert logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"] == []
    assert [a for a in aws("apigatewayv2", region).get_apis()["Items"] if a["Name"] == f"tap-api-{ENV}-{region}"] == []
    notification = aws("s3", region).get_bucket_notification_configuration(Bucket=data_bucket(ENV, region))
    assert "LambdaFunctionConfigurations" not in notification
