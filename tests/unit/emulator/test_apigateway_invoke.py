"""HTTP API invoke endpoint of the emulator (emulator.apigateway_invoke): routing, AWS_IAM and JWT
authorization, the payload 2.0 event, the function's answer as the HTTP response, access logs.

The API in front of the project's function is made by the project's modules (lambda_function,
apigatewayv2_http_api); an echo function behind a JWT-protected API shows the event API Gateway sends."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator.apigateway_invoke import invoke_url
from lambda_runtime_support import (
    ACCOUNT,
    CREDENTIALS,
    TRUST,
    client,
    deploy_processor,
    http,
    jwt,
    log_events,
    run_module,
    signed,
    zip_of,
)

REGION = "ca-central-1"
ENV = "apit"
ISSUER = "https://cognito-idp.ca-central-1.amazonaws.com/ca-central-1_Example"
AUDIENCE = "app-client"
JSON_TYPE = {"content-type": "application/json"}

ECHO = """
import json

def handler(event, context):
    request = {}
    if event.get("body") and not event.get("isBase64Encoded"):
        try:
            request = json.loads(event["body"])
        except ValueError:
            pass
    if isinstance(request, dict) and "respond" in request:
        return request["respond"]
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def stack(emulator_url, tmp_path_factory):
    return deploy_processor(emulator_url, REGION, ENV, tmp_path_factory.mktemp("apit-build"))


@pytest.fixture(scope="module")
def process_url(stack, emulator_url):
    return invoke_url(emulator_url, stack["invoke_url"]) + "/process"


@pytest.fixture(scope="module")
def echo(emulator_url):
    """An echo function behind an HTTP API whose routes require a JWT (made by apigatewayv2_http_api)."""
    from ansible_collections.tap.multiregion.plugins.modules import apigatewayv2_http_api

    role = client(emulator_url, "iam", REGION).create_role(
        RoleName="apit-echo", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    function_arn = client(emulator_url, "lambda", REGION).create_function(
        FunctionName="apit-echo",
        Runtime="python3.11",
        Role=role,
        Handler="echo.handler",
        Code={"ZipFile": zip_of({"echo.py": ECHO})},
    )["FunctionArn"]
    client(emulator_url, "logs", REGION).create_log_group(logGroupName="/tap/apit/echo-access")
    api = run_module(
        emulator_url,
        apigatewayv2_http_api.main,
        {
            "name": "tap-api-echo",
            "integration_uri": function_arn,
            "routes": ["POST /echo", "GET /items/{id}", "ANY /files/{path+}"],
            "jwt_issuer": ISSUER,
            "jwt_audience": [AUDIENCE],
            "stage_name": "test",
            "access_log_destination_arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/tap/apit/echo-access",
            "invoke_permission": {"statement_id": "apigateway-invoke", "source_path": "*/*"},
        },
        REGION,
    )
    return {"api_id": api["api_id"], "url": invoke_url(emulator_url, api["invoke_url"]), "function_arn": function_arn}


def put_session(emulator_url, stack, session_id: str) -> None:
    client(emulator_url, "dynamodb", REGION).put_item(
        TableName=stack["table"],
        Item={"session_id": {"S": session_id}, "data": {"S": "stored"}, "size": {"N": "6"}},
    )


def body_of(payload: dict) -> bytes:
    return json.dumps(payload).encode()


def token(**overrides) -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "exp": int(time.time()) + 600, "iat": int(time.time())}
    claims.update(overrides)
    return jwt({k: v for k, v in claims.items() if v is not None})


def bearer(value: str) -> dict:
    return {"Authorization": f"Bearer {value}", **JSON_TYPE}


# ----------------------------------------------------------------------------- AWS_IAM (the project's API)
def test_signed_post_process_returns_the_item(stack, process_url, emulator_url):
    put_session(emulator_url, stack, "apit-known")
    reply = signed("POST", process_url, REGION, body_of({"session_id": "apit-known"}), JSON_TYPE)
    assert reply.status == 200, reply.body
    assert reply.json() == {"session_id": "apit-known", "data": "stored", "size": 6}
    assert reply.headers["content-type"] == "application/json" and reply.headers["apigw-requestid"]


def test_signed_post_with_an_unknown_id_is_404(process_url):
    reply = signed("POST", process_url, REGION, body_of({"session_id": "apit-unknown"}), JSON_TYPE)
    assert reply.status == 404 and reply.json() == {"message": "session not found"}


def test_signed_post_without_a_body_is_400(process_url):
    reply = signed("POST", process_url, REGION)
    assert reply.status == 400 and reply.json() == {"message": "request body is required"}


def test_unsigned_request_is_forbidden(process_url):
    reply = http("POST", process_url, body_of({"session_id": "apit-known"}))
    assert reply.status == 403 and reply.json() == {"message": "Forbidden"}
    assert reply.headers["content-type"] == "application/json"


def test_signature_with_a_wrong_secret_is_refused(process_url):
    wrong = Credentials("tap-emulator", "not-the-emulator-key")
    reply = signed("POST", process_url, REGION, body_of({"session_id": "x"}), credentials=wrong)
    assert reply.status == 403
    assert reply.json()["message"].startswith("The request signature we calculated does not match")


def test_unknown_access_key_and_wrong_region_are_refused(process_url):
    reply = signed("POST", process_url, REGION, credentials=Credentials("AKIAUNKNOWN", "secret"))
    assert reply.status == 403 and reply.json() == {"message": "The security token included in the request is invalid."}
    reply = signed("POST", process_url, "us-east-1")
    assert reply.status == 403 and reply.json() == {"message": "Credential should be scoped to a valid region. "}


def test_a_tampered_body_breaks_the_signature(process_url):
    request = AWSRequest(method="POST", url=process_url, data=body_of({"session_id": "a"}))
    SigV4Auth(CREDENTIALS, "execute-api", REGION).add_auth(request)
    assert http("POST", process_url, body_of({"session_id": "b"}), dict(request.headers.items())).status == 403


def test_the_real_invoke_url_through_the_host_header(stack, emulator_url):
    """The stage invoke URL itself, with the emulator as the address (Host routing)."""
    put_session(emulator_url, stack, "apit-host")
    real = stack["invoke_url"] + "/process"  # https://<id>.execute-api.<region>.amazonaws.com/<stage>/process
    data = body_of({"session_id": "apit-host"})
    request = AWSRequest(method="POST", url=real, data=data, headers=JSON_TYPE)
    SigV4Auth(CREDENTIALS, "execute-api", REGION).add_auth(request)
    host, path = real.removeprefix("https://").split("/", 1)
    headers = dict(request.headers.items(), Host=host)  # the address is the emulator's, the host the API's
    reply = http("POST", f"{emulator_url}/{path}", data, headers)
    assert reply.status == 200, reply.body
    assert reply.json()["session_id"] == "apit-host"


def test_unknown_route_stage_and_api_are_not_found(stack, emulator_url, process_url):
    base = invoke_url(emulator_url, stack["invoke_url"])
    for url in (
        base + "/other",
        base.rsplit("/", 1)[0] + "/nostage/process",
        f"{emulator_url}/_tap/execute-api/zzzzzzzz/x/process",
    ):
        reply = signed("POST", url, REGION)
        assert (reply.status, reply.json()) == (404, {"message": "Not Found"}), url
    assert signed("GET", process_url, REGION).status == 404


def test_access_log_line_per_request(stack, process_url, emulator_url):
    reply = signed("POST", process_url, REGION, body_of({"session_id": "apit-log"}))
    request_id = reply.headers["apigw-requestid"]
    streams = log_events(emulator_url, REGION, stack["access_log_group"])
    lines = [json.loads(line) for messages in streams.values() for line in messages]
    [line] = [entry for entry in lines if entry["requestId"] == request_id]
    assert line["status"] == str(reply.status) == "404"
    assert line["routeKey"] == "POST /process" and line["httpMethod"] == "POST"
    assert line["integrationStatus"] == "200"


# ----------------------------------------------------------------------------- JWT
def test_jwt_route_without_a_token_is_unauthorized(echo):
    reply = http("POST", echo["url"] + "/echo", b"{}", JSON_TYPE)
    assert reply.status == 401 and reply.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize(
    "bad",
    [
        {"iss": "https://another-issuer.example.com"},
        {"aud": "another-client"},
        {"exp": 1},
        {"nbf": 4102444800},
    ],
    ids=["issuer", "audience", "expired", "not-yet-valid"],
)
def test_jwt_route_refuses_a_token_with_wrong_claims(echo, bad):
    reply = http("POST", echo["url"] + "/echo", b"{}", bearer(token(**bad)))
    assert reply.status == 401 and reply.json() == {"message": "Unauthorized"}


def test_jwt_route_refuses_an_unsigned_token(echo):
    claims = {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 600}
    assert http("POST", echo["url"] + "/echo", b"{}", bearer(jwt(claims, alg="none"))).status == 401


def test_jwt_route_accepts_a_valid_token_and_passes_the_event(echo):
    data = body_of({"hello": "world"})
    headers = bearer(token(client_id="ignored-when-aud-is-present", scope="openid profile"))
    headers["X-Custom"] = "v1"
    reply = http("POST", echo["url"] + "/echo?b=2&a=1&a=3", data, headers)
    assert reply.status == 200, reply.body
    event = reply.json()
    assert event["version"] == "2.0" and event["routeKey"] == "POST /echo"
    assert event["rawPath"] == "/test/echo" and event["rawQueryString"] == "b=2&a=1&a=3"
    assert event["queryStringParameters"] == {"a": "1,3", "b": "2"}
    assert event["headers"]["x-custom"] == "v1" and event["headers"]["content-type"] == "application/json"
    assert event["body"] == data.decode() and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"]["method"] == "POST" and context["http"]["path"] == "/test/echo"
    assert context["stage"] == "test" and context["apiId"] == echo["api_id"]
    assert context["domainName"] == f"{echo['api_id']}.execute-api.{REGION}.amazonaws.com"
    assert context["requestId"] == reply.headers["apigw-requestid"]
    assert context["accountId"] == ACCOUNT and context["routeKey"] == "POST /echo"
    claims = context["authorizer"]["jwt"]["claims"]
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE and claims["sub"] == "user-1"
    assert isinstance(claims["exp"], str)
    assert context["authorizer"]["jwt"]["scopes"] == ["openid", "profile"]


def test_jwt_token_without_bearer_prefix_and_client_id_audience(echo):
    value = token(aud=None, client_id=AUDIENCE)
    assert http("POST", echo["url"] + "/echo", b"{}", {"Authorization": value}).status == 200


def test_path_parameters_greedy_routes_and_binary_bodies(echo):
    reply = http("GET", echo["url"] + "/items/42", headers=bearer(token()))
    event = reply.json()
    assert reply.status == 200 and event["routeKey"] == "GET /items/{id}" and event["pathParameters"] == {"id": "42"}
    assert "body" not in event
    raw = bytes(range(256))
    headers = {**bearer(token()), "content-type": "application/octet-stream"}
    event = http("PUT", echo["url"] + "/files/a/b.bin", raw, headers).json()
    assert event["routeKey"] == "ANY /files/{path+}" and event["pathParameters"] == {"path": "a/b.bin"}
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_route_authorization_scopes(echo, emulator_url):
    apigw = client(emulator_url, "apigatewayv2", REGION)
    route = next(r for r in apigw.get_routes(ApiId=echo["api_id"])["Items"] if r["RouteKey"] == "GET /items/{id}")
    apigw.update_route(ApiId=echo["api_id"], RouteId=route["RouteId"], AuthorizationScopes=["items/read"])
    try:
        reply = http("GET", echo["url"] + "/items/1", headers=bearer(token(scope="openid")))
        assert reply.status == 403 and reply.json() == {"message": "Forbidden"}
        assert http("GET", echo["url"] + "/items/1", headers=bearer(token(scope="openid items/read"))).status == 200
    finally:
        apigw.update_route(ApiId=echo["api_id"], RouteId=route["RouteId"], AuthorizationScopes=[])


# ----------------------------------------------------------------------------- the function's answer
def test_the_functions_answer_becomes_the_response(echo):
    respond = {
        "statusCode": 201,
        "headers": {"x-answer": "yes", "content-type": "text/plain"},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": "created",
    }
    reply = http("POST", echo["url"] + "/echo", body_of({"respond": respond}), bearer(token()))
    assert (reply.status, reply.body) == (201, b"created")
    assert reply.headers["x-answer"] == "yes" and reply.headers["content-type"] == "text/plain"

    reply = http("POST", echo["url"] + "/echo", body_of({"respond": {"plain": "json"}}), bearer(token()))
    assert reply.status == 200 and reply.headers["content-type"] == "application/json"
    assert reply.json() == {"plain": "json"}

    encoded = {"statusCode": 200, "body": "aGVsbG8=", "isBase64Encoded": True}
    reply = http("POST", echo["url"] + "/echo", body_of({"respond": encoded}), bearer(token()))
    assert (reply.status, reply.body) == (200, b"hello")


def test_missing_invoke_permission_is_an_internal_error(echo, emulator_url):
    lam = client(emulator_url, "lambda", REGION)
    statement = json.loads(lam.get_policy(FunctionName="apit-echo")["Policy"])["Statement"][0]
    lam.remove_permission(FunctionName="apit-echo", StatementId="apigateway-invoke")
    try:
        reply = http("POST", echo["url"] + "/echo", b"{}", bearer(token()))
        assert reply.status == 500 and reply.json() == {"message": "Internal Server Error"}
    finally:
        lam.add_permission(
            FunctionName="apit-echo",
            StatementId="apigateway-invoke",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=statement["Condition"]["ArnLike"]["AWS:SourceArn"],
        )
    assert http("POST", echo["url"] + "/echo", b"{}", bearer(token())).status == 200


def test_stage_throttling(echo, emulator_url):
    apigw = client(emulator_url, "apigatewayv2", REGION)
    name = f"throttled{uuid.uuid4().hex[:6]}"
    apigw.create_stage(
        ApiId=echo["api_id"],
        StageName=name,
        DefaultRouteSettings={"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.001},
    )
    url = echo["url"].rsplit("/", 1)[0] + f"/{name}/echo"
    first = http("POST", url, b"{}", bearer(token()))
    second = http("POST", url, b"{}", bearer(token()))
    assert first.status != 429
    assert second.status == 429 and second.json() == {"message": "Too Many Requests"}


def test_invoke_url_helper():
    assert (
        invoke_url("http://127.0.0.1:5000", "https://abcd1234.execute-api.eu-west-1.amazonaws.com/dev")
        == "http://127.0.0.1:5000/_tap/execute-api/abcd1234/dev"
    )


# ----------------------------------------------------------------------------- aws profile
def test_the_api_answers_under_the_aws_profile(aws_profile, tmp_path_factory):
    url = aws_profile.url
    stack = deploy_processor(url, REGION, "apitaws", tmp_path_factory.mktemp("apitaws-build"))
    client(url, "lambda", REGION).get_waiter("function_active_v2").wait(
        FunctionName=stack["name"], WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    put_session(url, stack, "apitaws-known")
    process = invoke_url(url, stack["invoke_url"]) + "/process"
    reply = signed("POST", process, REGION, body_of({"session_id": "apitaws-known"}))
    assert reply.status == 200 and reply.json()["session_id"] == "apitaws-known"
    assert http("POST", process, body_of({"session_id": "apitaws-known"})).status == 403
