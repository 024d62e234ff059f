"""Helpers for tests that run the deployed function in the emulator (emulator.lambda_runtime,
emulator.s3_notification_delivery, emulator.apigateway_invoke): deploy it with the project's modules,
call its HTTP API signed or not, wait for what happens in the background."""

from __future__ import annotations

import base64
import io
import json
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from support import FAKE_CREDENTIALS, REPO_ROOT, call_module

ACCOUNT = "123456789012"
CREDENTIALS = Credentials(FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"], FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def client(url: str, service: str, region: str):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=CREDENTIALS.access_key,
        aws_secret_access_key=CREDENTIALS.secret_key,
    )


def wait_for(check, what: str, attempts: int = 300, pause: float = 0.05):
    """Poll check() until it returns something truthy (short sleeps, bounded); fail naming what."""
    for _attempt in range(attempts):
        found = check()
        if found:
            return found
        time.sleep(pause)
    raise AssertionError(f"{what} did not happen after {attempts} polls")


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def processor_package(dest: Path) -> str:
    """The project's package of files/lambda, built as the lambda_package action builds it."""
    from ansible_collections.tap.multiregion.plugins.module_utils.lambda_package import write_package

    return write_package(str(REPO_ROOT / "files" / "lambda"), str(dest))["path"]


def run_module(url: str, main, args: dict, region: str) -> dict:
    connection = {
        "region": region,
        "endpoint_url": url,
        "access_key": CREDENTIALS.access_key,
        "secret_key": CREDENTIALS.secret_key,
    }
    result = call_module(main, {**connection, **args})
    assert not result.get("failed"), result
    return result


def deploy_processor(url: str, region: str, env: str, build_dir: Path, **function_overrides) -> dict:
    """The lambda_api role's resources for one region, made by the project's modules: the sessions table
    ``sessions-<env>`` first (as play global.yml would), a versioned data bucket, the execution role, the
    function with its failure queue, S3 permission and bucket notification, and the HTTP API."""
    from ansible_collections.tap.multiregion.plugins.modules import apigatewayv2_http_api, lambda_function

    name = f"data-processor-{env}-{region}"
    bucket = f"tap-data-{env}-{region}"
    table = f"sessions-{env}"
    ddb = client(url, "dynamodb", region)
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    s3 = client(url, "s3", region)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    role = client(url, "iam", region).create_role(
        RoleName=f"tap-lambda-{env}-{region}", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    access_log_group = f"/tap/{env}/{region}/api-access"
    args = {
        "name": name,
        "role": role,
        "runtime": "python3.11",
        "handler": "processor.handler",
        "zip_file": processor_package(build_dir / "data-processor.zip"),
        "memory_size": 256,
        "timeout": 30,
        "environment_variables": {
            "BUCKET_NAME": bucket,
            "REGION": region,
            "ENVIRONMENT": env,
            "TABLE_NAME": table,
            "INLINE_LIMIT_BYTES": "262144",
            "LOG_LEVEL": "INFO",
        },
        "log_group": {"retention_days": 14},
        "additional_log_groups": [{"name": access_log_group, "retention_days": 14}],
        "failure_queue": {"name": f"tap-lambda-failures-{env}-{region}"},
        "maximum_retry_attempts": 2,
        "permissions": [
            {
                "sid": "s3-invoke",
                "principal": "s3.amazonaws.com",
                "source_arn": f"arn:aws:s3:::{bucket}",
                "source_account": ACCOUNT,
            },
        ],  # fmt: skip
        "s3_notifications": [{"bucket": bucket, "id": name, "events": ["s3:ObjectCreated:*"]}],
    }
    args.update(function_overrides)
    function = run_module(url, lambda_function.main, args, region)
    api = run_module(
        url,
        apigatewayv2_http_api.main,
        {
            "name": f"tap-api-{env}-{region}",
            "integration_uri": function["function_arn"],
            "payload_format_version": "2.0",
            "routes": ["POST /process"],
            "stage_name": env,
            "throttling_burst_limit": 100,
            "throttling_rate_limit": 50,
            "access_log_destination_arn": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{access_log_group}",
            "invoke_permission": {"statement_id": "apigateway-invoke", "source_path": "POST/process"},
        },
        region,
    )
    return {
        "name": name,
        "bucket": bucket,
        "table": table,
        "role": role,
        "function_arn": function["function_arn"],
        "queue_name": args["failure_queue"]["name"],
        "api_id": api["api_id"],
        "invoke_url": api["invoke_url"],
        "access_log_group": access_log_group,
        "region": region,
    }


def item(url: str, region: str, table: str, session_id: str) -> dict | None:
    return client(url, "dynamodb", region).get_item(TableName=table, Key={"session_id": {"S": session_id}}).get("Item")


def queue_messages(url: str, region: str, queue_name: str) -> list[dict]:
    sqs = client(url, "sqs", region)
    queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    return sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])


@dataclass
class Reply:
    """An HTTP answer: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> Reply:
    """One request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def signed(method: str, url: str, region: str, body: bytes = b"", headers: dict | None = None,
           credentials: Credentials = CREDENTIALS) -> Reply:  # fmt: skip
    """A request signed with SigV4 for execute-api, as an IAM caller of the API sends it."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return http(method, url, body or None, dict(request.headers.items()))


def jwt(claims: dict, alg: str = "RS256") -> str:
    """A token of the given claims (the emulator does not check JWT signatures: any signature will do)."""

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': alg, 'typ': 'JWT', 'kid': 'test-key'})}.{part(claims)}.c2lnbmF0dXJl"


def log_events(url: str, region: str, group: str) -> dict[str, list[str]]:
    """Every stream of a log group with its messages."""
    logs = client(url, "logs", region)
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    return {
        s["logStreamName"]: [
            e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]
        ]
        for s in streams
    }
