"""The Lambda handler (files/lambda/processor.py) run in-process against the emulator.

The handler has no emulator code: its boto3 clients reach the emulator through the standard
AWS_ENDPOINT_URL variable, exactly as they would reach AWS without it.
"""

from __future__ import annotations

import base64
import datetime
import importlib.util
import json
import types
import uuid
from pathlib import Path
from urllib.parse import quote_plus

import boto3
import botocore.client
import pytest

PROCESSOR_PATH = Path(__file__).resolve().parents[3] / "files" / "lambda" / "processor.py"
REGION = "eu-west-1"
BUCKET = "tap-unit-lambda-processor-eu-west-1"
TABLE = "sessions-unit-lambda-processor"


def _load_processor():
    spec = importlib.util.spec_from_file_location("tap_lambda_processor_under_test", PROCESSOR_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def processor():
    return _load_processor()


@pytest.fixture(scope="module")
def resources(emulator_url):
    """The bucket and table the handler works on (created once for this module)."""
    # Fake credentials come from the environment tests/conftest.py sets for the session.
    kwargs = {"region_name": REGION, "endpoint_url": emulator_url}
    s3 = boto3.client("s3", **kwargs)
    ddb = boto3.client("dynamodb", **kwargs)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return types.SimpleNamespace(s3=s3, ddb=ddb)


@pytest.fixture(autouse=True)
def lambda_env(monkeypatch, emulator_url, processor, resources):
    """The environment Lambda would give the function, pointed at the emulator."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_url)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("REGION", REGION)
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("BUCKET_NAME", BUCKET)
    monkeypatch.setenv("ENVIRONMENT", "dev")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "data-processor-dev-eu-west-1")
    monkeypatch.delenv("INLINE_LIMIT_BYTES", raising=False)
    processor._reset_clients()  # a fresh "container" per test
    yield
    processor._reset_clients()


def context():
    return types.SimpleNamespace(aws_request_id=str(uuid.uuid4()), function_name="data-processor-dev-eu-west-1")


def s3_event(key: str, bucket: str = BUCKET, size: int = 0, event_name: str = "ObjectCreated:Put") -> dict:
    """An S3 notification as S3 sends it: the key form-encoded (space -> '+', '+' -> %2B)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2024-01-01T00:00:00.000Z",
                "eventName": event_name,
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "tap-processor",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(key, safe="/"), "size": size, "sequencer": "0055AED6DCD90281E5"},
                },
            }
        ]
    }


def api_event(body=..., *, b64: bool = False, route: str = "POST /process") -> dict:
    event = {
        "version": "2.0",
        "routeKey": route,
        "rawPath": "/dev/process",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "http": {"method": route.split()[0], "path": "/dev/process", "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "pytest"},
            "requestId": "req-1",
            "routeKey": route,
            "stage": "dev",
        },
        "isBase64Encoded": b64,
    }
    if body is not ...:
        event["body"] = body
    return event


def json_body(payload) -> str:
    return json.dumps(payload)


def log_lines(capsys) -> list[dict]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def put_object(resources, key: str, body: bytes) -> dict:
    return resources.s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def get_item(resources, key: str) -> dict | None:
    return resources.ddb.get_item(TableName=TABLE, Key={"session_id": {"S": key}}).get("Item")


# ----------------------------------------------------------------------------- S3 events
def test_s3_event_decodes_key_and_records_request_id(processor, resources, request):
    key = f"uploads/{request.node.name}/report 2024 (final) é€ 中文 a+b.txt"
    put_object(resources, key, "héllo wörld".encode())
    ctx = context()

    result = processor.handler(s3_event(key, size=13), ctx)

    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {"processed": 1}
    item = get_item(resources, key)
    assert item is not None, "the decoded key (spaces, unicode, literal '+') is the session_id"
    assert item["data"] == {"S": "héllo wörld"}
    assert item["size"] == {"N": "13"}
    assert item["region"] == {"S": REGION}
    assert item["request_id"] == {"S": ctx.aws_request_id}
    assert item["storage"] == {"S": "inline"}
    assert item["bucket"] == {"S": BUCKET}
    processed_at = item["processed_at"]["S"]
    assert processed_at.endswith("Z")
    parsed = datetime.datetime.fromisoformat(processed_at.replace("Z", "+00:00"))
    assert parsed.utcoffset() == datetime.timedelta(0)
    assert abs((datetime.datetime.now(datetime.UTC) - parsed).total_seconds()) < 60


def test_s3_event_with_several_records(processor, resources, request):
    keys = [f"{request.node.name}/part {i}.json" for i in range(3)]
    event = {"Records": []}
    for key in keys:
        put_object(resources, key, b'{"n": 1}')
        event["Records"] += s3_event(key)["Records"]
    result = processor.handler(event, context())
    assert json.loads(result["body"]) == {"processed": 3}
    assert all(get_item(resources, key) for key in keys)


def test_object_above_inline_limit_is_stored_by_reference(processor, resources, request, monkeypatch):
    monkeypatch.setenv("INLINE_LIMIT_BYTES", "1024")
    key = f"{request.node.name}/big file.bin"
    etag = put_object(resources, key, b"x" * 4096)["ETag"].strip('"')
    small = f"{request.node.name}/small file.txt"
    put_object(resources, small, b"y" * 1024)  # exactly at the limit: inlined

    event = s3_event(key, size=4096)
    event["Records"] += s3_event(small, size=1024)["Records"]
    assert processor.handler(event, context())["statusCode"] == 200

    item = get_item(resources, key)
    assert "data" not in item
    assert item["storage"] == {"S": "reference"}
    assert item["size"] == {"N": "4096"}
    assert item["reference"] == {"M": {"bucket": {"S": BUCKET}, "key": {"S": key}, "etag": {"S": etag}}}
    assert get_item(resources, small)["data"] == {"S": "y" * 1024}


def test_default_inline_limit_keeps_items_below_dynamodb_item_limit(processor):
    assert processor.DEFAULT_INLINE_LIMIT_BYTES <= processor.MAX_INLINE_LIMIT_BYTES < 400 * 1000


def test_binary_object_is_stored_as_binary_and_returned_base64(processor, resources, request):
    key = f"{request.node.name}/blob.bin"
    payload = bytes(range(256))
    put_object(resources, key, payload)
    processor.handler(s3_event(key), context())
    assert get_item(resources, key)["data"] == {"B": payload}

    result = processor.handler(api_event(json_body({"session_id": key})), context())
    body = json.loads(result["body"])
    assert result["statusCode"] == 200
    assert body["data_encoding"] == "base64"
    assert base64.b64decode(body["data"]) == payload


def test_object_removed_records_are_skipped(processor, resources, request):
    key = f"{request.node.name}/gone.txt"
    result = processor.handler(s3_event(key, event_name="ObjectRemoved:Delete"), context())
    assert json.loads(result["body"]) == {"processed": 0}
    assert get_item(resources, key) is None


def test_s3_failure_raises_generic_error_and_logs_details(processor, resources, request, monkeypatch, capsys):
    monkeypatch.setenv("TABLE_NAME", f"missing-{request.node.name}")
    key = f"{request.node.name}/ok.txt"
    put_object(resources, key, b"data")
    ctx = context()
    with pytest.raises(processor.ProcessingError) as excinfo:
        processor.handler(s3_event(key), ctx)
    # Generic: the error can end up in the on-failure destination; details stay in the log.
    assert str(excinfo.value) == "1 of 1 records could not be processed"
    errors = [line for line in log_lines(capsys) if line["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == ctx.aws_request_id
    assert "ResourceNotFoundException" in errors[0]["error"] + errors[0]["traceback"]


def test_s3_missing_object_raises(processor, request):
    with pytest.raises(processor.ProcessingError):
        processor.handler(s3_event(f"{request.node.name}/never-uploaded.txt"), context())


# ----------------------------------------------------------------------------- API events
@pytest.fixture
def stored_session(processor, resources, request):
    key = f"{request.node.name}/session.json"
    put_object(resources, key, b'{"user": "alice"}')
    processor.handler(s3_event(key), context())
    return key


def test_api_returns_200_with_item(processor, stored_session):
    result = processor.handler(api_event(json_body({"session_id": stored_session})), context())
    assert result["statusCode"] == 200
    assert result["headers"]["content-type"] == "application/json"
    body = json.loads(result["body"])
    assert body["session_id"] == stored_session
    assert body["data"] == '{"user": "alice"}'
    assert body["size"] == 17 and isinstance(body["size"], int)  # Decimal from DynamoDB -> JSON number
    assert body["region"] == REGION


def test_api_base64_json_body(processor, stored_session):
    encoded = base64.b64encode(json_body({"session_id": stored_session}).encode()).decode()
    result = processor.handler(api_event(encoded, b64=True), context())
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["session_id"] == stored_session


def test_api_returns_404_for_unknown_session(processor, request):
    result = processor.handler(api_event(json_body({"session_id": f"{request.node.name}-unknown"})), context())
    assert result["statusCode"] == 404
    assert json.loads(result["body"]) == {"message": "session not found"}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        pytest.param(api_event(None), "request body is required", id="body-none"),
        pytest.param(api_event(), "request body is required", id="body-absent"),
        pytest.param(api_event(""), "request body is not valid JSON", id="body-empty"),
        pytest.param(api_event("{not json"), "request body is not valid JSON", id="non-json"),
        pytest.param(api_event("@@@ not base64 @@@", b64=True), "request body is not valid base64-encoded UTF-8",
                     id="base64-garbage"),
        pytest.param(api_event(base64.b64encode(b"\xff\xfe\xfa").decode(), b64=True),
                     "request body is not valid base64-encoded UTF-8", id="base64-not-utf8"),
        pytest.param(api_event(base64.b64encode(b"{nope").decode(), b64=True), "request body is not valid JSON",
                     id="base64-non-json"),
        pytest.param(api_event("[" * 100_000), "request body is not valid JSON", id="deeply-nested"),
        pytest.param(api_event(json_body(["session_id"])), "request body must be a JSON object", id="json-array"),
        pytest.param(api_event(json_body("s")), "request body must be a JSON object", id="json-string"),
        pytest.param(api_event(json_body({})), "session_id must be a non-empty string", id="missing-session-id"),
        pytest.param(api_event(json_body({"session_id": None})), "session_id must be a non-empty string",
                     id="null-session-id"),
        pytest.param(api_event(json_body({"session_id": 42})), "session_id must be a non-empty string",
                     id="int-session-id"),
        pytest.param(api_event(json_body({"session_id": ["a"]})), "session_id must be a non-empty string",
                     id="list-session-id"),
        pytest.param(api_event(json_body({"session_id": "  "})), "session_id must be a non-empty string",
                     id="blank-session-id"),
        pytest.param(api_event(json_body({"session_id": "k" * 1025})), "session_id must be at most 1024 bytes",
                     id="too-long-session-id"),
    ],
)
def test_api_bad_requests_return_400(processor, event, message):
    result = processor.handler(event, context())
    assert result["statusCode"] == 400
    assert json.loads(result["body"]) == {"message": message}


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({}, id="empty"),
        pytest.param({"foo": "bar"}, id="unknown-dict"),
        pytest.param("a string", id="string"),
        pytest.param([1, 2], id="list"),
        pytest.param(None, id="none"),
        pytest.param({"Records": []}, id="no-records"),
        pytest.param({"Records": [{"eventSource": "aws:sqs", "body": "x"}]}, id="sqs"),
        pytest.param({"httpMethod": "POST", "path": "/process", "body": "{}", "requestContext": {}},
                     id="api-payload-1.0"),
        pytest.param(api_event(json_body({"session_id": "x"}), route="GET /process"), id="other-route"),
    ],
)
def test_other_events_return_400(processor, event):
    result = processor.handler(event, context())
    assert result["statusCode"] == 400


def test_internal_error_returns_generic_500(processor, request, monkeypatch, capsys):
    monkeypatch.setenv("TABLE_NAME", f"missing-{request.node.name}")
    ctx = context()
    result = processor.handler(api_event(json_body({"session_id": "anything"})), ctx)
    assert result["statusCode"] == 500
    assert json.loads(result["body"]) == {"message": "internal error", "request_id": ctx.aws_request_id}
    assert "ResourceNotFound" not in result["body"] and "missing-" not in result["body"]
    errors = [line for line in log_lines(capsys) if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["message"] == "internal error"
    assert errors[0]["error_type"] == "ResourceNotFoundException"
    assert "Traceback" in errors[0]["traceback"]


def test_missing_table_name_is_an_internal_error(processor, monkeypatch):
    monkeypatch.delenv("TABLE_NAME")
    result = processor.handler(api_event(json_body({"session_id": "x"})), context())
    assert result["statusCode"] == 500
    assert "TABLE_NAME" not in result["body"]


# ----------------------------------------------------------------------------- logs, clients
def test_every_log_line_is_json_with_request_id(processor, stored_session, request, capsys):
    capsys.readouterr()
    ctx = context()
    processor.handler(api_event(json_body({"session_id": stored_session})), ctx)
    processor.handler(api_event("{bad"), ctx)
    processor.handler({"unknown": True}, ctx)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) >= 3
    for line in lines:
        record = json.loads(line)  # one JSON object per line, nothing else on stdout
        assert {"timestamp", "level", "message", "request_id", "function"} <= set(record)
        assert record["request_id"] == ctx.aws_request_id
        assert record["function"] == "data-processor-dev-eu-west-1"
    messages = [json.loads(line)["message"] for line in lines]
    assert messages == ["session found", "bad request", "unsupported event"]


def test_clients_are_created_once_per_container(processor, resources, request, monkeypatch):
    created = []
    original_init = botocore.client.BaseClient.__init__

    def counting_init(self, *args, **kwargs):
        created.append(type(self).__name__)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(botocore.client.BaseClient, "__init__", counting_init)
    keys = [f"{request.node.name}/{i}.txt" for i in range(5)]
    for key in keys:
        put_object(resources, key, key.encode())
    created.clear()  # only count what the handler creates

    processor.handler(s3_event(keys[0]), context())
    processor.handler(api_event(json_body({"session_id": keys[0]})), context())
    after_first = list(created)
    assert sorted(after_first) == ["DynamoDB", "S3"]

    for key in keys[1:]:
        assert processor.handler(s3_event(key), context())["statusCode"] == 200
        assert processor.handler(api_event(json_body({"session_id": key})), context())["statusCode"] == 200
        processor.handler(api_event("{bad"), context())
    assert created == after_first, "no client may be created per event"


def test_handler_module_imports_nothing_but_stdlib_and_boto3():
    source = PROCESSOR_PATH.read_text()
    imported = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from ")) and not line.startswith("from __future__")
    }
    third_party = imported - {
        "base64", "binascii", "contextvars", "datetime", "json", "logging", "os", "sys", "threading",
        "traceback", "decimal", "urllib",
    }
    assert third_party <= {"boto3", "botocore"}
    assert "emulator" not in source and "moto" not in source and "endpoint_url" not in source
