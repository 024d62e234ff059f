"""The deployed function really runs in the emulator (emulator.lambda_runtime, lambda_async,
s3_notification_delivery): Invoke, its errors and timeout, logs, S3 notifications, retries and the
failure queue. The function is the project's (files/lambda, packaged and deployed by its modules)."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from lambda_runtime_support import (
    TRUST,
    client,
    deploy_processor,
    item,
    log_events,
    queue_messages,
    wait_for,
    zip_of,
)

REGION = "eu-west-2"
ENV = "rt"

PROBE = """
import os, time

def handler(event, context):
    if event.get("sleep"):
        print("sleeping", flush=True)
        time.sleep(event["sleep"])
    if event.get("raise"):
        raise ValueError(event["raise"])
    names = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
             "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_ENDPOINT_URL", "AWS_EXECUTION_ENV", "AWS_ACCESS_KEY_ID", "GREETING")
    return {
        "env": {n: os.environ.get(n) for n in names},
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "log_stream_name": context.log_stream_name,
        "pid": os.getpid(),
    }
"""


@pytest.fixture(scope="module")
def stack(emulator_url, tmp_path_factory):
    return deploy_processor(emulator_url, REGION, ENV, tmp_path_factory.mktemp("rt-build"))


@pytest.fixture(scope="module")
def lam(emulator_url):
    return client(emulator_url, "lambda", REGION)


@pytest.fixture(scope="module")
def probe(emulator_url, lam):
    """A small function that reports its environment and context, sleeps or raises on request."""
    role = client(emulator_url, "iam", REGION).create_role(
        RoleName="rt-probe", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    lam.create_function(
        FunctionName="rt-probe",
        Runtime="python3.11",
        Role=role,
        Handler="probe.handler",
        Code={"ZipFile": zip_of({"probe.py": PROBE})},
        MemorySize=512,
        Timeout=1,
        Environment={"Variables": {"GREETING": "hello", "AWS_ENDPOINT_URL_IGNORED": "x"}},
    )
    return "rt-probe"


def invoke(lam, name: str, payload, **kwargs) -> tuple[dict, dict]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode(), **kwargs)
    return response, json.loads(response["Payload"].read() or b"null")


def api_event(session_id: str) -> dict:
    return {
        "version": "2.0",
        "routeKey": "POST /process",
        "rawPath": f"/{ENV}/process",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": f"/{ENV}/process"}, "stage": ENV},
        "body": json.dumps({"session_id": session_id}),
        "isBase64Encoded": False,
    }


def s3_event(bucket: str, encoded_key: str) -> dict:
    record = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
              "s3": {"bucket": {"name": bucket}, "object": {"key": encoded_key}}}  # fmt: skip
    return {"Records": [record]}


# ----------------------------------------------------------------------------- Invoke
def test_invoke_returns_the_handlers_answer(stack, lam, emulator_url):
    response, answer = invoke(lam, stack["name"], api_event("rt-unknown"))
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert answer["statusCode"] == 404 and json.loads(answer["body"]) == {"message": "session not found"}

    client(emulator_url, "dynamodb", REGION).put_item(
        TableName=stack["table"], Item={"session_id": {"S": "rt-known"}, "data": {"S": "hello"}}
    )
    response, answer = invoke(lam, stack["name"], api_event("rt-known"))
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"session_id": "rt-known", "data": "hello"}
    assert response["ExecutedVersion"] == "$LATEST"


def test_runtime_environment_and_context(probe, lam, emulator_url):
    response, answer = invoke(lam, probe, {})
    assert "FunctionError" not in response
    assert answer["env"] == {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": probe,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{probe}",
        "AWS_ENDPOINT_URL": emulator_url,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_ACCESS_KEY_ID": "tap-emulator",
        "GREETING": "hello",
    }
    assert answer["function_name"] == probe and answer["memory_limit_in_mb"] == "512"
    assert answer["invoked_function_arn"] == f"arn:aws:lambda:{REGION}:123456789012:function:{probe}"
    assert 0 < answer["remaining_ms"] <= 1000
    uuid.UUID(answer["request_id"])
    # A warm environment serves the next invocation (module state survives), with a new request id.
    again = invoke(lam, probe, {})[1]
    assert again["pid"] == answer["pid"] and again["request_id"] != answer["request_id"]


def test_each_invocation_logs_to_its_own_stream(probe, lam, emulator_url):
    first = invoke(lam, probe, {})[1]
    second = invoke(lam, probe, {})[1]
    streams = log_events(emulator_url, REGION, f"/aws/lambda/{probe}")
    for answer in (first, second):
        lines = streams[answer["log_stream_name"]]
        rid = answer["request_id"]
        assert f"START RequestId: {rid} Version: $LATEST" in lines
        assert f"END RequestId: {rid}" in lines
        assert any(line.startswith(f"REPORT RequestId: {rid}\tDuration: ") for line in lines)
    assert first["log_stream_name"] != second["log_stream_name"]


def test_log_tail_and_handler_output(stack, lam):
    response = lam.invoke(FunctionName=stack["name"], Payload=json.dumps(api_event("rt-tail")), LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    structured = [json.loads(line) for line in tail.splitlines() if line.startswith("{")]
    assert [line["message"] for line in structured] == ["session not found"]
    assert structured[0]["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert structured[0]["function"] == stack["name"]


def test_an_exception_answers_unhandled_with_the_runtime_error(probe, lam, emulator_url):
    response, answer = invoke(lam, probe, {"raise": "boom"})
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert answer["errorType"] == "ValueError" and answer["errorMessage"] == "boom"
    assert answer["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert answer["stackTrace"] and "probe.py" in answer["stackTrace"][-1]
    assert "lambda_worker" not in "".join(answer["stackTrace"])
    stream = next(s for s in log_events(emulator_url, REGION, f"/aws/lambda/{probe}").values()
                  if f"START RequestId: {answer['requestId']} Version: $LATEST" in s)  # fmt: skip
    assert any(line.startswith("[ERROR] ValueError: boom\rTraceback (most recent call last):") for line in stream)


def test_the_real_handler_failing_on_an_s3_event(stack, lam):
    event = s3_event(stack["bucket"], "rt/missing.txt")
    response, answer = invoke(lam, stack["name"], event)
    assert response["FunctionError"] == "Unhandled"
    assert answer["errorType"] == "ProcessingError"
    assert answer["errorMessage"] == "1 of 1 records could not be processed"


def test_timeout_kills_the_environment_and_answers_as_lambda(probe, lam, emulator_url):
    response, answer = invoke(lam, probe, {"sleep": 30})
    rid = response["ResponseMetadata"]["RequestId"]
    assert response["FunctionError"] == "Unhandled"
    assert answer == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {rid} Error: Task timed out after 1.00 seconds",
    }
    stream = next(s for s in log_events(emulator_url, REGION, f"/aws/lambda/{probe}").values()
                  if f"START RequestId: {rid} Version: $LATEST" in s)  # fmt: skip
    assert "sleeping" in stream
    assert any(line.endswith(f"{rid} Task timed out after 1.00 seconds") for line in stream)
    # The next invocation gets a fresh environment and works.
    response, answer = invoke(lam, probe, {})
    assert "FunctionError" not in response and answer["function_name"] == probe


def test_payload_that_is_not_json_is_refused(probe, lam):
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=probe, Payload=b"{not json")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_dry_run_runs_nothing(probe, lam):
    response = lam.invoke(FunctionName=probe, InvocationType="DryRun", Payload=b"{}")
    assert response["StatusCode"] == 204


def test_reserved_concurrency_zero_throttles(emulator_url, lam):
    role = client(emulator_url, "iam", REGION).create_role(
        RoleName="rt-throttled", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    lam.create_function(FunctionName="rt-throttled", Runtime="python3.11", Role=role, Handler="probe.handler",
                        Code={"ZipFile": zip_of({"probe.py": PROBE})})  # fmt: skip
    lam.put_function_concurrency(FunctionName="rt-throttled", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName="rt-throttled", Payload=b"{}")
    error = caught.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


# ----------------------------------------------------------------------------- asynchronous
def test_event_invocation_answers_202_and_runs_in_the_background(stack, lam, emulator_url):
    s3 = client(emulator_url, "s3", REGION)
    s3.create_bucket(Bucket="rt-no-notification", CreateBucketConfiguration={"LocationConstraint": REGION})
    key = "rt/event invocation.txt"
    s3.put_object(Bucket="rt-no-notification", Key=key, Body=b"from an Event invocation")
    event = s3_event("rt-no-notification", "rt/event+invocation.txt")
    response = lam.invoke(FunctionName=stack["name"], InvocationType="Event", Payload=json.dumps(event))
    assert response["StatusCode"] == 202 and response["Payload"].read() == b""
    found = wait_for(lambda: item(emulator_url, REGION, stack["table"], key), "the item of the Event invocation")
    assert found["request_id"]["S"] == response["ResponseMetadata"]["RequestId"]


def test_an_object_put_in_the_bucket_becomes_a_session_item(stack, emulator_url):
    key = "uploads/rt/report 2024 (final) é a+b.txt"
    body = "héllo wörld".encode()
    put = client(emulator_url, "s3", REGION).put_object(Bucket=stack["bucket"], Key=key, Body=body)
    found = wait_for(lambda: item(emulator_url, REGION, stack["table"], key), "the session item of the new object")
    assert found["data"]["S"] == "héllo wörld"
    assert found["size"]["N"] == str(len(body))
    assert found["region"]["S"] == REGION and found["bucket"]["S"] == stack["bucket"]
    assert found["etag"]["S"] == put["ETag"].strip('"')
    uuid.UUID(found["request_id"]["S"])


def test_s3_event_shape(stack, emulator_url):
    """The event S3 sends, seen through a queue notification of another bucket (same event builder)."""
    s3, sqs = client(emulator_url, "s3", REGION), client(emulator_url, "sqs", REGION)
    queue_url = sqs.create_queue(QueueName="rt-s3-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="rt-event-shape", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="rt-event-shape", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket="rt-event-shape",
        NotificationConfiguration={
            "QueueConfigurations": [{"Id": "q", "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    keys = ["dir/a b+c=d.txt", "dir/second.txt"]
    puts = [s3.put_object(Bucket="rt-event-shape", Key=k, Body=b"12345") for k in keys]
    received: list[dict] = []

    def both_events():
        bodies = (json.loads(m["Body"]) for m in queue_messages(emulator_url, REGION, "rt-s3-events"))
        received.extend(b["Records"][0] for b in bodies if "Records" in b)  # not the s3:TestEvent
        return len(received) == 2

    wait_for(both_events, "the two S3 events")
    records = sorted(received, key=lambda r: r["s3"]["object"]["key"])
    assert [r["s3"]["object"]["key"] for r in records] == ["dir/a+b%2Bc%3Dd.txt", "dir/second.txt"]
    first = records[0]
    assert first["eventVersion"] == "2.1" and first["eventSource"] == "aws:s3"
    assert first["awsRegion"] == REGION and first["eventName"] == "ObjectCreated:Put"
    assert first["s3"]["bucket"]["name"] == "rt-event-shape"
    assert first["s3"]["bucket"]["arn"] == "arn:aws:s3:::rt-event-shape"
    assert first["s3"]["object"]["key"] == "dir/a+b%2Bc%3Dd.txt"  # form-encoded, '/' kept
    assert first["s3"]["object"]["size"] == 5
    assert first["s3"]["object"]["eTag"] == puts[0]["ETag"].strip('"')
    assert first["s3"]["object"]["versionId"] == puts[0]["VersionId"]
    assert records[1]["s3"]["object"]["sequencer"] > first["s3"]["object"]["sequencer"]
    assert "principalId" in first["userIdentity"] and "x-amz-request-id" in first["responseElements"]


def test_a_failing_event_is_retried_then_sent_to_the_failure_queue(emulator_url, tmp_path_factory):
    """The real function on a table that does not exist: every attempt raises ProcessingError."""
    broken = deploy_processor(emulator_url, REGION, "rtfail", tmp_path_factory.mktemp("rtfail-build"))
    client(emulator_url, "dynamodb", REGION).delete_table(TableName=broken["table"])
    key = "rt/cannot be stored.txt"
    put = client(emulator_url, "s3", REGION).put_object(Bucket=broken["bucket"], Key=key, Body=b"x")

    [message] = wait_for(lambda: queue_messages(emulator_url, REGION, broken["queue_name"]), "the failure record")
    record = json.loads(message["Body"])
    assert record["version"] == "1.0"
    context = record["requestContext"]
    assert context["condition"] == "RetriesExhausted"
    assert context["approximateInvokeCount"] == 3  # the first attempt and MaximumRetryAttempts=2 retries
    assert context["functionArn"] == f"{broken['function_arn']}:$LATEST"
    [s3_record] = record["requestPayload"]["Records"]
    assert s3_record["s3"]["object"]["key"] == "rt/cannot+be+stored.txt"
    assert s3_record["s3"]["object"]["versionId"] == put["VersionId"]
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ProcessingError"
    assert record["responsePayload"]["requestId"] == context["requestId"]
    # Three attempts with the same request id, each in a log stream of its own.
    streams = log_events(emulator_url, REGION, f"/aws/lambda/{broken['name']}")
    attempts = [s for s in streams.values() if f"START RequestId: {context['requestId']} Version: $LATEST" in s]
    assert len(attempts) == 3


# ----------------------------------------------------------------------------- aws profile
def test_the_function_runs_under_the_aws_profile(aws_profile, tmp_path_factory):
    url = aws_profile.url
    stack = deploy_processor(url, REGION, "rtaws", tmp_path_factory.mktemp("rtaws-build"))
    lam = client(url, "lambda", REGION)
    lam.get_waiter("function_active_v2").wait(
        FunctionName=stack["name"], WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    response, answer = invoke(lam, stack["name"], api_event("rtaws-unknown"))
    assert answer["statusCode"] == 404
    key = "rtaws/object.txt"
    client(url, "s3", REGION).put_object(Bucket=stack["bucket"], Key=key, Body=b"under the aws profile")
    found = wait_for(lambda: item(url, REGION, stack["table"], key), "the session item (aws profile)")
    assert found["data"]["S"] == "under the aws profile"
    assert any(c["service"] == "dynamodb" and c["operation"] == "PutItem" for c in aws_profile.calls())
