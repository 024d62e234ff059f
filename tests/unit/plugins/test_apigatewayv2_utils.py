"""Pure compare logic of apigatewayv2_http_api (plugins/module_utils/apigatewayv2.py), no AWS."""

from __future__ import annotations

import json

import pytest

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.tap.multiregion.plugins.module_utils import apigatewayv2 as logic

URI = "arn:aws:lambda:us-east-1:123456789012:function:f"
LOG_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/tap-api-dev-us-east-1"


def params(**overrides):
    result = {
        "routes": ["POST /process"],
        "jwt_issuer": None,
        "jwt_audience": None,
        "jwt_identity_source": ["$request.header.Authorization"],
        "throttling_burst_limit": 100,
        "throttling_rate_limit": 50.0,
        "integration_timeout_ms": 30000,
        "access_log_destination_arn": LOG_ARN,
        "access_log_format": None,
    }
    result.update(overrides)
    return result


@pytest.mark.parametrize(
    "key, expected",
    [
        ("POST /process", "POST /process"),
        ("post   /process", "POST /process"),
        ("$default", "$default"),
        ("ANY /{proxy+}", "ANY /{proxy+}"),
        ("GET /items/{id}", "GET /items/{id}"),
    ],
)
def test_normalize_route_key_accepts(key, expected):
    assert logic.normalize_route_key(key) == (expected, None)


@pytest.mark.parametrize("key", ["FETCH /x", "POST process", "POST", "/process", "POST /a b"])
def test_normalize_route_key_rejects(key):
    normalized, error = logic.normalize_route_key(key)
    assert normalized is None and "routes:" in error


def test_validate_normalizes_and_collects_every_error():
    routes, errors = logic.validate(params(routes=["post /process"]))
    assert routes == ["POST /process"] and errors == []

    _routes, errors = logic.validate(
        params(
            routes=["POST /p", "post /p"],
            jwt_issuer="http://x",
            jwt_audience=[],
            throttling_rate_limit=-1,
            integration_timeout_ms=40000,
            access_log_destination_arn="arn:aws:s3:::bucket",
            access_log_format="$context.status",
        )
    )
    text = " ".join(errors)
    for fragment in (
        "listed twice",
        "jwt_issuer",
        "jwt_audience",
        "throttling_rate_limit",
        "integration_timeout_ms",
        "access_log_destination_arn",
        "$context.requestId",
    ):
        assert fragment in text, fragment


def test_log_destination_suffix_is_stripped_and_accepted():
    assert logic.normalize_log_destination(LOG_ARN + ":*") == LOG_ARN
    assert logic.validate(params(access_log_destination_arn=LOG_ARN + ":*"))[1] == []


def test_default_access_log_format_is_one_json_object_with_request_id():
    fields = json.loads(logic.DEFAULT_ACCESS_LOG_FORMAT)
    assert fields["requestId"] == "$context.requestId"
    assert {"ip", "routeKey", "status", "httpMethod", "integrationErrorMessage"} <= set(fields)
    assert "\n" not in logic.DEFAULT_ACCESS_LOG_FORMAT


def test_find_api_prefers_the_marked_one_and_refuses_to_guess():
    marked = {"ApiId": "m", "Name": "a", "ProtocolType": "HTTP", "Tags": {logic.MARKER_TAG_KEY: "a"}}
    plain = {"ApiId": "p", "Name": "a", "ProtocolType": "HTTP", "Tags": {}}
    other = {"ApiId": "o", "Name": "b", "ProtocolType": "HTTP"}
    websocket = {"ApiId": "w", "Name": "a", "ProtocolType": "WEBSOCKET"}
    assert logic.find_api([plain, marked, other], "a") == (marked, None)
    assert logic.find_api([plain, other, websocket], "a") == (plain, None)
    assert logic.find_api([other], "a") == (None, None)
    api, error = logic.find_api([plain, dict(plain, ApiId="q")], "a")
    assert api is None and "p, q" in error


def test_select_integration():
    wrong_type = {"IntegrationId": "h", "IntegrationType": "HTTP_PROXY", "IntegrationUri": URI}
    old = {"IntegrationId": "o", "IntegrationType": "AWS_PROXY", "IntegrationUri": URI + "-old"}
    used = {"IntegrationId": "u", "IntegrationType": "AWS_PROXY", "IntegrationUri": URI + "-used"}
    same = {"IntegrationId": "s", "IntegrationType": "AWS_PROXY", "IntegrationUri": URI}
    assert logic.select_integration([wrong_type, old, same], URI) is same
    assert logic.select_integration([old, used], URI, {"u"}) is used
    assert logic.select_integration([wrong_type, old], URI) is old
    assert logic.select_integration([wrong_type], URI) is None


def test_integration_changes():
    desired = logic.desired_integration(URI)
    current = {
        "IntegrationId": "i",
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": URI,
        "PayloadFormatVersion": "2.0",
        "TimeoutInMillis": 30000,
        "IntegrationMethod": "POST",
    }
    assert logic.integration_changes(current, desired) == {}
    changed = dict(current, IntegrationUri=URI + "2", PayloadFormatVersion="1.0")
    assert logic.integration_changes(changed, desired) == {"IntegrationUri": URI, "PayloadFormatVersion": "2.0"}


def test_authorizer_changes_ignore_audience_order():
    desired = logic.desired_authorizer("jwt", "https://i", ["b", "a"])
    current = {
        "AuthorizerId": "x",
        "Name": "jwt",
        "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"],
        "JwtConfiguration": {"Issuer": "https://i", "Audience": ["a", "b"]},
    }
    assert logic.authorizer_changes(current, desired) == {}
    assert logic.authorizer_changes(
        dict(current, JwtConfiguration={"Issuer": "https://j", "Audience": ["a", "b"]}), desired
    ) == {"JwtConfiguration": desired["JwtConfiguration"]}
    assert logic.authorizer_changes(dict(current, IdentitySource=["$request.header.X"]), desired) == {
        "IdentitySource": ["$request.header.Authorization"]
    }


def test_route_changes():
    iam = logic.desired_route("POST /process", "i1")
    assert iam == {"RouteKey": "POST /process", "Target": "integrations/i1", "AuthorizationType": "AWS_IAM"}
    current = dict(iam, RouteId="r", AuthorizerId=None)
    assert logic.route_changes(current, iam) == {}
    # Moto and AWS may report an empty AuthorizerId; irrelevant for AWS_IAM.
    assert logic.route_changes(dict(current, AuthorizerId=""), iam) == {}
    assert logic.route_changes(dict(current, AuthorizationType="NONE"), iam) == {"AuthorizationType": "AWS_IAM"}
    assert logic.route_changes(dict(current, Target="integrations/i0"), iam) == {"Target": "integrations/i1"}

    jwt = logic.desired_route("POST /process", "i1", "a1")
    assert logic.route_changes(current, jwt) == {"AuthorizationType": "JWT", "AuthorizerId": "a1"}
    # A new authorizer id is always sent with its AuthorizationType (AWS rejects it alone).
    assert logic.route_changes(dict(current, AuthorizationType="JWT", AuthorizerId="a0"), jwt) == {
        "AuthorizationType": "JWT",
        "AuthorizerId": "a1",
    }
    # Back to AWS_IAM: no AuthorizerId is sent; AWS detaches the authorizer.
    assert logic.route_changes(dict(current, AuthorizationType="JWT", AuthorizerId="a1"), iam) == {
        "AuthorizationType": "AWS_IAM"
    }


def test_stage_changes():
    desired = logic.desired_stage("dev", True, 100, 50, LOG_ARN + ":*", "$context.requestId")
    assert desired["AccessLogSettings"]["DestinationArn"] == LOG_ARN
    current = {
        "StageName": "dev",
        "AutoDeploy": True,
        "DefaultRouteSettings": {
            "DetailedMetricsEnabled": False,
            "ThrottlingBurstLimit": 100,
            "ThrottlingRateLimit": 50.0,
        },
        "AccessLogSettings": {"DestinationArn": LOG_ARN, "Format": "$context.requestId"},
    }
    assert logic.stage_changes(current, desired) == {}
    throttled = dict(
        current,
        DefaultRouteSettings={"DetailedMetricsEnabled": False, "ThrottlingBurstLimit": 10, "ThrottlingRateLimit": 50.0},
    )
    # Settings we do not manage (DetailedMetricsEnabled) are kept.
    assert logic.stage_changes(throttled, desired) == {"DefaultRouteSettings": current["DefaultRouteSettings"]}
    assert logic.stage_changes(dict(current, AccessLogSettings=None), desired) == {
        "AccessLogSettings": desired["AccessLogSettings"]
    }
    assert logic.stage_changes(dict(current, AutoDeploy=False), desired) == {"AutoDeploy": True}
    bare = {"StageName": "dev", "DefaultRouteSettings": {"DetailedMetricsEnabled": False}}
    assert set(logic.stage_changes(bare, desired)) == {"AutoDeploy", "DefaultRouteSettings", "AccessLogSettings"}


def test_api_tags_keep_the_marker_and_aws_tags_are_never_purged():
    current = {"a": "1", "b": "2", "aws:cloudformation:stack-name": "s", logic.MARKER_TAG_KEY: "api"}
    assert compare_aws_tags(current, logic.api_tags({"a": "1", "c": 3}, "api"), True) == ({"c": "3"}, ["b"])
    assert compare_aws_tags(current, logic.api_tags({"a": "1"}, "api"), False) == ({}, [])
    assert logic.api_tags({"a": None}, "api") == {"a": "", logic.MARKER_TAG_KEY: "api"}


def test_change_sentence_names_each_attribute_with_before_and_after():
    stage = {"AutoDeploy": True, "DefaultRouteSettings": {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50.0}}
    changes = {"DefaultRouteSettings": {"ThrottlingBurstLimit": 20, "ThrottlingRateLimit": 50.0}}
    assert logic.change_sentence(stage, changes) == "throttling burst limit 100 -> 20"
    route = {"Target": "integrations/a", "AuthorizationType": "NONE"}
    assert logic.change_sentence(route, {"AuthorizationType": "AWS_IAM"}) == "authorization NONE -> AWS_IAM"
    authorizer = {"JwtConfiguration": {"Issuer": "https://i", "Audience": ["a"]}}
    changes = {"JwtConfiguration": {"Issuer": "https://i", "Audience": ["a", "b"]}}
    assert logic.change_sentence(authorizer, changes) == 'audience ["a"] -> ["a","b"]'


def test_urls_and_arns():
    endpoint = "https://abc.execute-api.us-east-1.amazonaws.com"
    assert logic.invoke_url(endpoint, "dev") == endpoint + "/dev"
    assert logic.invoke_url(endpoint, "$default") == endpoint
    assert logic.invoke_url(None, "dev") is None
    assert (
        logic.execution_arn("aws", "us-east-1", "123456789012", "abc")
        == "arn:aws:execute-api:us-east-1:123456789012:abc"
    )
    assert logic.execution_arn("aws", "us-east-1", "123456789012", logic.NEW_ID) is None
    assert logic.api_arn("aws-cn", "cn-north-1", "abc") == "arn:aws-cn:apigateway:cn-north-1::/apis/abc"
    assert logic.stage_arn("aws", "us-east-1", "abc", "dev") == "arn:aws:apigateway:us-east-1::/apis/abc/stages/dev"


def test_summarize_is_id_free():
    api = {"ApiId": "abc", "Name": "n", "Description": "d", "Tags": {"k": "v"}}
    integration = {
        "IntegrationId": "i1",
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": URI,
        "PayloadFormatVersion": "2.0",
        "TimeoutInMillis": 30000,
    }
    authorizer = {
        "AuthorizerId": "a1",
        "Name": "jwt",
        "AuthorizerType": "JWT",
        "IdentitySource": ["h"],
        "JwtConfiguration": {"Issuer": "https://i", "Audience": ["b", "a"]},
    }
    route = {
        "RouteId": "r1",
        "RouteKey": "POST /process",
        "Target": "integrations/i1",
        "AuthorizationType": "JWT",
        "AuthorizerId": "a1",
    }
    stage = logic.desired_stage("dev", True, 1, 2, LOG_ARN, "f")
    summary = logic.summarize(api, [integration], [authorizer], [route], stage)
    assert summary["routes"] == {"POST /process": {"authorization_type": "JWT", "authorizer": "jwt", "target": URI}}
    assert summary["authorizers"][0]["audience"] == ["a", "b"]
    assert summary["stage"]["throttling_rate_limit"] == 2.0
    assert "abc" not in json.dumps(summary) and "i1" not in json.dumps(summary)
    # The same settings with other ids (e.g. check mode's placeholders) summarize identically.
    renamed = logic.summarize(
        dict(api, ApiId=logic.NEW_ID),
        [dict(integration, IntegrationId=logic.NEW_ID)],
        [dict(authorizer, AuthorizerId=logic.NEW_ID)],
        [dict(route, Target="integrations/" + logic.NEW_ID, AuthorizerId=logic.NEW_ID)],
        stage,
    )
    assert renamed == summary
    assert logic.summarize(None) == {}


def test_apply_changes_does_not_mutate():
    current = {"a": 1}
    assert logic.apply_changes(current, {"b": 2}) == {"a": 1, "b": 2} and current == {"a": 1}


def test_route_after_update_detaches_authorizer_when_leaving_jwt():
    jwt_route = {"RouteKey": "POST /process", "AuthorizationType": "JWT", "AuthorizerId": "a1"}
    assert logic.route_after_update(jwt_route, {"AuthorizationType": "AWS_IAM"})["AuthorizerId"] is None
    assert logic.route_after_update(jwt_route, {"Target": "integrations/x"})["AuthorizerId"] == "a1"


@pytest.mark.parametrize(
    "arn, region",
    [
        (URI, "us-east-1"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:f:live", "eu-west-1"),
        ("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:$LATEST", "us-gov-west-1"),
        ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations" % URI, None),
        ("data-processor", None),
        (None, None),
    ],
)
def test_lambda_function_region(arn, region):
    assert logic.lambda_function_region(arn) == region


def test_invoke_permission_is_validated_only_when_given():
    assert logic.validate(params(integration_uri="not-an-arn"))[1] == []
    good = {"statement_id": "apigateway-invoke", "source_path": "POST/process"}
    assert logic.validate(params(integration_uri=URI, invoke_permission=good))[1] == []
    for path in ("*/*", "*", "GET/items/{id}"):
        assert logic.validate_invoke_permission(dict(good, source_path=path), URI) == []
    errors = logic.validate_invoke_permission({"statement_id": "a b", "source_path": "POST /process"}, "nope")
    assert [e.split(":")[0] for e in errors] == [
        "invoke_permission",
        "invoke_permission.statement_id",
        "invoke_permission.source_path",
    ]


def test_invoke_source_arn():
    assert (
        logic.invoke_source_arn("aws", "us-east-1", "123456789012", "a1b2", "dev", "POST/process")
        == "arn:aws:execute-api:us-east-1:123456789012:a1b2/dev/POST/process"
    )
    assert logic.invoke_source_arn("aws", "us-east-1", "1", logic.NEW_ID, "$default", "*/*").endswith(
        ":(new)/$default/*/*"
    )
