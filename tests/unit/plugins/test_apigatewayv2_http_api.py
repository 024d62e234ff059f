"""apigatewayv2_http_api against the emulator (run in-process through run_module)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile

import botocore.client
import pytest
from botocore.exceptions import ClientError

from ansible_collections.tap.multiregion.plugins.module_utils import apigatewayv2 as logic
from ansible_collections.tap.multiregion.plugins.module_utils import base
from ansible_collections.tap.multiregion.plugins.modules import apigatewayv2_http_api as module
from support import REPO_ROOT
from emulator import control, extensions

REGION = "eu-west-1"
ACCOUNT = "123456789012"
FUNCTION_ARN = "arn:aws:lambda:%s:%s:function:data-processor-test-%s" % (REGION, ACCOUNT, REGION)
WRITE_PREFIXES = ("Create", "Update", "Delete", "Tag", "Untag")
TAGS = {"Environment": "test", "Region": REGION, "CostCenter": "cc-1", "ManagedBy": "ansible", "Project": "tap"}


@pytest.fixture(scope="session")
def emulator_url(request, tmp_path_factory):
    """The shared emulator once emulator.apigatewayv2_gaps is registered; until then a private one with it."""
    if "apigatewayv2_gaps" in extensions.EXTENSIONS:
        yield request.getfixturevalue("emulator_url")  # conftest's session emulator
        return
    state_dir = tmp_path_factory.mktemp("emulator-apigwv2")
    code = (
        "import sys; from pathlib import Path; from emulator import apigatewayv2_gaps; "
        "apigatewayv2_gaps.install(); from emulator.server import serve; serve(Path(sys.argv[1]))"
    )
    with open(state_dir / "server.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(state_dir)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while not control.current_url(state_dir):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("private emulator did not start; see %s" % (state_dir / "server.log"))
            time.sleep(0.1)
        yield control.current_url(state_dir)
    finally:
        proc.terminate()  # serve() stops moto on SIGTERM; wait() reaps the child at once
        proc.wait(timeout=10)


@pytest.fixture
def calls(monkeypatch):
    """Names of the apigatewayv2 operations the module calls."""
    seen = []
    original = botocore.client.BaseClient._make_api_call

    def record(self, operation_name, api_params):
        if self.meta.service_model.service_name == "apigatewayv2":
            seen.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return seen


def writes(calls):
    return [c for c in calls if c.startswith(WRITE_PREFIXES)]


def args(name, **overrides):
    result = {
        "name": name,
        "description": "test api %s" % name,
        "integration_uri": FUNCTION_ARN,
        "routes": ["POST /process"],
        "stage_name": "dev",
        "throttling_burst_limit": 100,
        "throttling_rate_limit": 50,
        "access_log_destination_arn": "arn:aws:logs:%s:%s:log-group:/aws/apigateway/%s:*" % (REGION, ACCOUNT, name),
        "tags": dict(TAGS),
    }
    result.update(overrides)
    return result


@pytest.fixture
def run(run_module):
    def _run(params, **kwargs):
        result = run_module(module.main, params, region=REGION, **kwargs)
        assert not result.get("failed"), result
        return result

    return _run


def apis_named(aws, name):
    return [a for a in aws("apigatewayv2", REGION).get_apis()["Items"] if a["Name"] == name]


def test_create_then_rerun_is_a_noop(run, aws, calls):
    name = "tap-api-create"
    created = run(args(name))
    assert created["changed"] is True
    api_id = created["api_id"]
    assert created["api_endpoint"] == "https://%s.execute-api.%s.amazonaws.com" % (api_id, REGION)
    assert created["invoke_url"] == created["api_endpoint"] + "/dev"
    assert created["execution_arn"] == "arn:aws:execute-api:%s:%s:%s" % (REGION, ACCOUNT, api_id)
    assert created["integration"]["integration_type"] == "AWS_PROXY"
    assert created["integration"]["integration_uri"] == FUNCTION_ARN
    assert created["integration"]["payload_format_version"] == "2.0"
    assert [(r["route_key"], r["authorization_type"]) for r in created["routes"]] == [("POST /process", "AWS_IAM")]
    assert created["routes"][0]["target"] == "integrations/%s" % created["integration"]["integration_id"]
    assert created["authorizer"] is None
    assert created["api"]["tags"] == dict(TAGS, **{logic.MARKER_TAG_KEY: name})

    client = aws("apigatewayv2", REGION)
    [route] = client.get_routes(ApiId=api_id)["Items"]
    assert route["AuthorizationType"] == "AWS_IAM"
    stage = client.get_stage(ApiId=api_id, StageName="dev")
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 100
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 50.0
    logs = stage["AccessLogSettings"]
    assert logs["DestinationArn"] == "arn:aws:logs:%s:%s:log-group:/aws/apigateway/%s" % (REGION, ACCOUNT, name)
    fields = json.loads(logs["Format"])
    assert {"requestId", "ip", "routeKey", "status"} <= set(fields)
    assert fields["requestId"] == "$context.requestId"
    assert stage["Tags"] == TAGS

    del calls[:]
    again = run(args(name), diff=True)
    assert again["changed"] is False, again["changes"]
    assert again["changes"] == []
    assert writes(calls) == []
    # The API list first, then its four lists at the same time.
    assert sorted(calls) == ["GetApis", "GetAuthorizers", "GetIntegrations", "GetRoutes", "GetStages"]
    assert again["api_id"] == api_id
    assert again["diff"]["before"] == again["diff"]["after"]
    assert len(apis_named(aws, name)) == 1


def test_check_mode_creates_nothing(run, aws, calls):
    name = "tap-api-check"
    result = run(args(name), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["api_id"] is None and result["execution_arn"] is None
    assert writes(calls) == []
    assert apis_named(aws, name) == []
    assert result["changes"][0] == "create HTTP API %s" % name
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["routes"] == {
        "POST /process": {"authorization_type": "AWS_IAM", "authorizer": None, "target": FUNCTION_ARN}
    }
    assert result["diff"]["after"]["stage"]["throttling_burst_limit"] == 100

    run(args(name))
    del calls[:]
    changed = run(
        args(name, throttling_burst_limit=5, jwt_issuer="https://issuer.example.com", jwt_audience=["client"]),
        check_mode=True,
    )
    assert changed["changed"] is True
    assert writes(calls) == []
    assert changed["stage"]["default_route_settings"]["throttling_burst_limit"] == 5
    assert changed["routes"][0]["authorization_type"] == "JWT"
    client = aws("apigatewayv2", REGION)
    api_id = changed["api_id"]
    assert client.get_stage(ApiId=api_id, StageName="dev")["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 100
    assert client.get_routes(ApiId=api_id)["Items"][0]["AuthorizationType"] == "AWS_IAM"
    assert client.get_authorizers(ApiId=api_id)["Items"] == []


def test_drift_is_named_in_check_mode_without_a_write(run, aws, emulator_url):
    name = "tap-api-plan"
    api_id = run(args(name))["api_id"]
    aws("apigatewayv2", REGION).update_stage(
        ApiId=api_id, StageName="dev", DefaultRouteSettings={"ThrottlingBurstLimit": 7, "ThrottlingRateLimit": 50.0}
    )
    mark = control.last_call_seq(emulator_url)
    plan = run(args(name), check_mode=True, diff=True)
    assert plan["changes"] == ["stage dev of HTTP API %s: throttling burst limit 7 -> 100" % name]
    assert plan["diff"]["before"]["stage"]["throttling_burst_limit"] == 7
    assert plan["diff"]["after"]["stage"]["throttling_burst_limit"] == 100
    assert control.write_calls(emulator_url, mark) == []
    assert run(args(name))["changed"] is True
    assert run(args(name), check_mode=True)["changes"] == []


def test_throttle_change_updates_stage_in_place(run, aws, calls):
    name = "tap-api-throttle"
    api_id = run(args(name))["api_id"]
    del calls[:]
    result = run(args(name, throttling_burst_limit=20, throttling_rate_limit=7.5), diff=True)
    assert result["changed"] is True
    assert result["api_id"] == api_id
    assert writes(calls) == ["UpdateStage"]
    assert result["diff"]["before"]["stage"]["throttling_burst_limit"] == 100
    assert result["diff"]["after"]["stage"]["throttling_burst_limit"] == 20
    assert result["diff"]["after"]["stage"]["throttling_rate_limit"] == 7.5
    settings = aws("apigatewayv2", REGION).get_stage(ApiId=api_id, StageName="dev")["DefaultRouteSettings"]
    assert settings["ThrottlingBurstLimit"] == 20 and settings["ThrottlingRateLimit"] == 7.5
    assert run(args(name, throttling_burst_limit=20, throttling_rate_limit=7.5))["changed"] is False
    assert len(apis_named(aws, name)) == 1


def test_jwt_authorizer_mode_and_back_to_aws_iam(run, aws, calls):
    name = "tap-api-jwt"
    jwt = {"jwt_issuer": "https://cognito-idp.%s.amazonaws.com/%s_pool" % (REGION, REGION), "jwt_audience": ["app"]}
    api_id = run(args(name))["api_id"]

    result = run(args(name, **jwt))
    assert result["changed"] is True and result["api_id"] == api_id
    authorizer = result["authorizer"]
    assert authorizer["authorizer_type"] == "JWT" and authorizer["name"] == "jwt"
    assert authorizer["jwt_configuration"] == {"issuer": jwt["jwt_issuer"], "audience": ["app"]}
    assert authorizer["identity_source"] == ["$request.header.Authorization"]
    client = aws("apigatewayv2", REGION)
    [route] = client.get_routes(ApiId=api_id)["Items"]
    assert route["AuthorizationType"] == "JWT" and route["AuthorizerId"] == authorizer["authorizer_id"]

    del calls[:]
    assert run(args(name, **jwt))["changed"] is False
    assert writes(calls) == []

    # A new audience updates the authorizer in place.
    del calls[:]
    result = run(args(name, jwt_issuer=jwt["jwt_issuer"], jwt_audience=["app", "cli"]))
    assert writes(calls) == ["UpdateAuthorizer"]
    assert result["authorizer"]["authorizer_id"] == authorizer["authorizer_id"]

    del calls[:]
    preview = run(args(name), check_mode=True)
    assert writes(calls) == []
    assert preview["changes"] == [
        "route POST /process of HTTP API %s: authorization JWT -> AWS_IAM" % name,
        "delete JWT authorizer jwt of HTTP API %s" % name,
    ]
    assert preview["authorizer"] is None and preview["routes"][0]["authorization_type"] == "AWS_IAM"

    back = run(args(name))
    assert back["changed"] is True and back["api_id"] == api_id
    assert writes(calls) == ["UpdateRoute", "DeleteAuthorizer"]
    assert back["authorizer"] is None
    [route] = client.get_routes(ApiId=api_id)["Items"]
    assert route["AuthorizationType"] == "AWS_IAM" and not route.get("AuthorizerId")
    assert client.get_authorizers(ApiId=api_id)["Items"] == []
    assert run(args(name))["changed"] is False


def test_routes_are_added_updated_and_purged(run, aws, calls):
    name = "tap-api-routes"
    api_id = run(args(name, routes=["POST /process", "get /health"]))["api_id"]
    client = aws("apigatewayv2", REGION)
    assert sorted(r["RouteKey"] for r in client.get_routes(ApiId=api_id)["Items"]) == ["GET /health", "POST /process"]
    # A route changed out of band (authorization removed) is put back in place.
    health = next(r for r in client.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "GET /health")
    client.update_route(ApiId=api_id, RouteId=health["RouteId"], AuthorizationType="NONE")
    del calls[:]
    result = run(args(name, routes=["POST /process", "GET /health"]))
    assert writes(calls) == ["UpdateRoute"]
    assert all(r["authorization_type"] == "AWS_IAM" for r in result["routes"])

    del calls[:]
    run(args(name))
    assert writes(calls) == ["DeleteRoute"]
    assert [r["RouteKey"] for r in client.get_routes(ApiId=api_id)["Items"]] == ["POST /process"]


def test_tags_and_description_are_updated_in_place(run, aws, calls):
    name = "tap-api-tags"
    api_id = run(args(name))["api_id"]
    new_tags = dict(TAGS, CostCenter="cc-2")
    del new_tags["Project"]
    del calls[:]
    result = run(args(name, tags=new_tags, description="changed"))
    assert result["api_id"] == api_id
    assert sorted(writes(calls)) == ["TagResource", "TagResource", "UntagResource", "UntagResource", "UpdateApi"]
    client = aws("apigatewayv2", REGION)
    assert client.get_api(ApiId=api_id)["Tags"] == dict(new_tags, **{logic.MARKER_TAG_KEY: name})
    assert client.get_stage(ApiId=api_id, StageName="dev")["Tags"] == new_tags
    assert run(args(name, tags=new_tags, description="changed"))["changed"] is False


def test_interrupted_run_is_found_again_never_duplicated(run, aws):
    name = "tap-api-interrupted"
    client = aws("apigatewayv2", REGION)
    # What an interrupted first run leaves behind: the API (with its marker tag) and nothing else.
    api_id = client.create_api(Name=name, ProtocolType="HTTP", Tags={logic.MARKER_TAG_KEY: name})["ApiId"]
    # An unrelated API of the same name (created by hand, no marker) must not confuse the lookup.
    client.create_api(Name=name, ProtocolType="HTTP")
    result = run(args(name))
    assert result["api_id"] == api_id
    assert len(apis_named(aws, name)) == 2
    assert run(args(name))["changed"] is False


def test_state_absent_is_idempotent(run, aws):
    name = "tap-api-absent"
    api_id = run(args(name))["api_id"]
    check = run({"name": name, "state": "absent"}, check_mode=True)
    assert check["changed"] is True and len(apis_named(aws, name)) == 1
    gone = run({"name": name, "state": "absent"})
    assert gone["changed"] is True and gone["changes"] == ["delete HTTP API %s (%s)" % (name, api_id)]
    assert apis_named(aws, name) == []
    assert run({"name": name, "state": "absent"})["changed"] is False


def test_throttling_on_one_call_is_retried(run, aws, calls, monkeypatch):
    from ansible_collections.amazon.aws.plugins.module_utils import cloud

    name = "tap-api-retry"
    failed = []
    original = botocore.client.BaseClient._make_api_call  # the recording wrapper of `calls`

    def throttle_once(self, operation_name, api_params):
        if operation_name in ("CreateApi", "UpdateStage") and operation_name not in failed:
            failed.append(operation_name)
            error = {"Error": {"Code": "TooManyRequestsException", "Message": "Too Many Requests"}}
            raise ClientError(error, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle_once)
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    result = run(args(name))
    assert failed == ["CreateApi"] and len(sleeps) == 1
    assert len(apis_named(aws, name)) == 1 and result["changed"] is True

    result = run(args(name, throttling_rate_limit=10))
    assert failed == ["CreateApi", "UpdateStage"] and len(sleeps) == 2
    assert result["stage"]["default_route_settings"]["throttling_rate_limit"] == 10.0


def test_throttling_exception_code_is_retried_too(run, aws, monkeypatch):
    from ansible_collections.amazon.aws.plugins.module_utils import cloud

    failed = []
    original = botocore.client.BaseClient._make_api_call

    def throttle_once(self, operation_name, api_params):
        if operation_name == "GetApis" and not failed:
            failed.append(operation_name)
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle_once)
    monkeypatch.setattr(cloud.time, "sleep", lambda _s: None)
    assert run({"name": "tap-api-never-created", "state": "absent"})["changed"] is False
    assert failed == ["GetApis"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"routes": ["FETCH /x"]}, "routes:"),
        ({"jwt_issuer": "http://insecure", "jwt_audience": ["a"]}, "jwt_issuer"),
        ({"access_log_format": '{"ip":"$context.identity.sourceIp"}'}, "$context.requestId"),
        ({"access_log_destination_arn": "not-an-arn"}, "access_log_destination_arn"),
        ({"throttling_burst_limit": -1}, "throttling_burst_limit"),
    ],
)
def test_invalid_parameters_fail_before_any_call(run_module, calls, overrides, message):
    result = run_module(module.main, args("tap-api-invalid", **overrides), region=REGION)
    assert result["failed"] is True and message in result["msg"]
    assert calls == []


# --------------------------------------------------------------------------- invoke_permission

INVOKE = {"statement_id": "apigateway-invoke", "source_path": "POST/process"}


@pytest.fixture
def lambda_calls(monkeypatch, calls):
    """Names of the lambda operations the module calls (on top of `calls`, which keeps recording apigatewayv2)."""
    seen = []
    original = botocore.client.BaseClient._make_api_call

    def record(self, operation_name, api_params):
        if self.meta.service_model.service_name == "lambda":
            seen.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return seen


@pytest.fixture(scope="module")
def function_role(aws):
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = aws("iam", REGION).create_role(RoleName="apigwv2-invoke-test", AssumeRolePolicyDocument=json.dumps(trust))
    return role["Role"]["Arn"]


def make_function(aws, role, name):
    """A function with an unrelated statement (s3-invoke) the module must leave alone. Returns its ARN."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("processor.py", "def handler(event, context):\n    return {}\n")
    lam = aws("lambda", REGION)
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="processor.handler",
        Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]
    lam.add_permission(
        FunctionName=name,
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::bucket-%s" % name,
        SourceAccount=ACCOUNT,
    )
    return arn


def statements(aws, function):
    return {
        s["Sid"]: s for s in json.loads(aws("lambda", REGION).get_policy(FunctionName=function)["Policy"])["Statement"]
    }


def source_arn(api_id, path="POST/process", stage="dev"):
    return "arn:aws:execute-api:%s:%s:%s/%s/%s" % (REGION, ACCOUNT, api_id, stage, path)


def added(function, source):
    statement = "apigateway.amazonaws.com may lambda:InvokeFunction from %s" % source
    return "function %s: add permission apigateway-invoke (%s)" % (function, statement)


def test_invoke_permission_added_then_rerun_makes_no_write(run, aws, calls, lambda_calls, function_role):
    name = "tap-api-invoke-added"
    function = make_function(aws, function_role, "fn-invoke-added")
    del lambda_calls[:]
    result = run(args(name, integration_uri=function, invoke_permission=INVOKE))
    assert result["changed"] is True
    api_id = result["api_id"]
    assert lambda_calls == ["GetPolicy", "AddPermission"]
    assert result["invoke_permission"] == {
        "statement_id": "apigateway-invoke",
        "function_name": function,
        "principal": "apigateway.amazonaws.com",
        "action": "lambda:InvokeFunction",
        "source_arn": source_arn(api_id),
    }
    assert result["changes"][-1] == added(function, source_arn(api_id))
    policy = statements(aws, function)
    assert set(policy) == {"s3-invoke", "apigateway-invoke"}
    statement = policy["apigateway-invoke"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Condition"] == {"ArnLike": {"AWS:SourceArn": source_arn(api_id)}}

    del calls[:]
    del lambda_calls[:]
    again = run(args(name, integration_uri=function, invoke_permission=INVOKE), diff=True)
    assert again["changed"] is False, again["changes"]
    assert again["changes"] == []
    assert writes(calls) == [] and lambda_calls == ["GetPolicy"]
    assert again["diff"]["before"] == again["diff"]["after"]
    assert again["diff"]["after"]["invoke_permission"]["source_arn"] == source_arn(api_id)
    assert again["invoke_permission"] == result["invoke_permission"]


@pytest.mark.parametrize(
    "drift_id, drift",
    [
        ("source-arn", {"Principal": "apigateway.amazonaws.com", "SourceArn": "WIDE"}),
        ("principal", {"Principal": "events.amazonaws.com", "SourceArn": "SAME"}),
        ("extra-condition", {"Principal": "apigateway.amazonaws.com", "SourceArn": "SAME", "SourceAccount": ACCOUNT}),
        ("action", {"Principal": "apigateway.amazonaws.com", "SourceArn": "SAME", "Action": "lambda:GetFunction"}),
    ],
    ids=["source-arn", "principal", "extra-condition", "action"],
)
def test_changed_invoke_permission_is_replaced(run, aws, calls, lambda_calls, function_role, drift_id, drift):
    test_id = "-".join(sorted(drift)).lower() + "-" + drift["Principal"].split(".")[0]
    name = "tap-api-invoke-drift-%s" % test_id
    function = make_function(aws, function_role, "fn-invoke-drift-%s" % test_id)
    api_id = run(args(name, integration_uri=function, invoke_permission=INVOKE))["api_id"]
    lam = aws("lambda", REGION)
    # Changed out of band: a wider source ARN, another principal, an extra condition or another action.
    lam.remove_permission(FunctionName=function, StatementId="apigateway-invoke")
    kwargs = dict(drift, Action=drift.get("Action", "lambda:InvokeFunction"))
    kwargs["SourceArn"] = source_arn(api_id, "*/*") if drift["SourceArn"] == "WIDE" else source_arn(api_id)
    lam.add_permission(FunctionName=function, StatementId="apigateway-invoke", **kwargs)

    del calls[:]
    del lambda_calls[:]
    result = run(args(name, integration_uri=function, invoke_permission=INVOKE), diff=True)
    assert result["changed"] is True
    assert writes(calls) == []
    assert lambda_calls == ["GetPolicy", "RemovePermission", "AddPermission"]
    wide, exact = base.show(source_arn(api_id, "*/*")), base.show(source_arn(api_id))
    difference = {
        "source-arn": "source ARN %s -> %s" % (wide, exact),
        "principal": "principal events.amazonaws.com -> apigateway.amazonaws.com",
        "extra-condition": "source account %s -> none" % ACCOUNT,
        "action": "action lambda:GetFunction -> lambda:InvokeFunction",
    }[drift_id]
    assert result["changes"] == ["function %s: permission apigateway-invoke %s" % (function, difference)]
    assert result["diff"]["before"]["invoke_permission"] != result["diff"]["after"]["invoke_permission"]
    policy = statements(aws, function)
    assert set(policy) == {"s3-invoke", "apigateway-invoke"}
    assert policy["apigateway-invoke"]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert policy["apigateway-invoke"]["Action"] == "lambda:InvokeFunction"
    assert policy["apigateway-invoke"]["Condition"] == {"ArnLike": {"AWS:SourceArn": source_arn(api_id)}}
    assert policy["s3-invoke"]["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::bucket-fn-invoke-drift-%s" % (
        test_id
    )

    del lambda_calls[:]
    assert run(args(name, integration_uri=function, invoke_permission=INVOKE))["changed"] is False
    assert lambda_calls == ["GetPolicy"]


def test_invoke_permission_check_mode_writes_nothing(run, aws, calls, lambda_calls, function_role):
    name = "tap-api-invoke-check"
    # A new stack in check mode: neither the API nor the function exists yet.
    missing = "arn:aws:lambda:%s:%s:function:fn-invoke-not-yet" % (REGION, ACCOUNT)
    plan = run(args(name, integration_uri=missing, invoke_permission=INVOKE), check_mode=True, diff=True)
    assert plan["changed"] is True
    assert writes(calls) == [] and lambda_calls == ["GetPolicy"]
    assert apis_named(aws, name) == []
    new_arn = source_arn(logic.NEW_ID)
    assert plan["invoke_permission"]["source_arn"] == new_arn
    assert plan["changes"][-1] == added(missing, new_arn)
    assert plan["diff"]["before"] == {"invoke_permission": None}
    assert plan["diff"]["after"]["invoke_permission"]["source_arn"] == new_arn

    # The API exists, the function has no policy yet: check mode reports the statement it would add.
    function = make_function(aws, function_role, "fn-invoke-check")
    lam = aws("lambda", REGION)
    lam.remove_permission(FunctionName=function, StatementId="s3-invoke")
    api_id = run(args(name, integration_uri=function))["api_id"]
    del calls[:]
    del lambda_calls[:]
    plan = run(args(name, integration_uri=function, invoke_permission=INVOKE), check_mode=True)
    assert plan["changed"] is True and plan["changes"] == [added(function, source_arn(api_id))]
    assert writes(calls) == [] and lambda_calls == ["GetPolicy"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=function)

    # Applied, then a different route previewed: remove + add reported, nothing written.
    run(args(name, integration_uri=function, invoke_permission=INVOKE))
    del lambda_calls[:]
    other = dict(INVOKE, source_path="GET/health")
    plan = run(args(name, integration_uri=function, invoke_permission=other), check_mode=True)
    assert plan["changed"] is True and plan["changes"] == [
        "function %s: permission apigateway-invoke source ARN %s -> %s"
        % (function, base.show(source_arn(api_id)), base.show(source_arn(api_id, "GET/health")))
    ]
    assert plan["invoke_permission"]["source_arn"] == source_arn(api_id, "GET/health")
    assert lambda_calls == ["GetPolicy"]
    condition = statements(aws, function)["apigateway-invoke"]["Condition"]
    assert condition == {"ArnLike": {"AWS:SourceArn": source_arn(api_id)}}
    unchanged = run(args(name, integration_uri=function, invoke_permission=INVOKE), check_mode=True)
    assert unchanged["changed"] is False and unchanged["changes"] == []


def test_without_invoke_permission_the_function_policy_is_not_read(run, aws, lambda_calls):
    result = run(args("tap-api-invoke-unmanaged"))
    assert lambda_calls == [] and result["invoke_permission"] is None


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"integration_uri": "arn:aws:states:%s:%s:stateMachine:x" % (REGION, ACCOUNT)}, "not a Lambda function ARN"),
        ({"invoke_permission": {"source_path": "POST /process"}}, "invoke_permission.source_path"),
        ({"invoke_permission": {"source_path": "/process"}}, "invoke_permission.source_path"),
        ({"invoke_permission": dict(INVOKE, statement_id="has space")}, "invoke_permission.statement_id"),
    ],
)
def test_invalid_invoke_permission_fails_before_any_call(run_module, calls, lambda_calls, overrides, message):
    params = args("tap-api-invoke-invalid", invoke_permission=INVOKE)
    params.update(overrides)
    result = run_module(module.main, params, region=REGION)
    assert result["failed"] is True and message in result["msg"]
    assert calls == [] and lambda_calls == []
