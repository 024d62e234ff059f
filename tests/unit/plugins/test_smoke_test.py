"""smoke_test against the emulator, which runs the deployed function: the project's processor behind its
bucket notification and HTTP API in two regions (AWS_IAM in one, JWT in the other) and a global sessions
table replicated between them."""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.tap.multiregion.plugins.module_utils import execute_api
from ansible_collections.tap.multiregion.plugins.modules import apigatewayv2_http_api
from ansible_collections.tap.multiregion.plugins.modules import smoke_test as module
from emulator import control
from lambda_runtime_support import ACCOUNT, client, deploy_processor, jwt

ENV = "smoketest"
IAM_REGION, JWT_REGION = "eu-west-3", "eu-north-1"
ISSUER, AUDIENCE = "https://issuer.example.com/smoketest", "smoketest-client"
TABLE = f"sessions-{ENV}"
CHECKS = [
    "api_found",
    "object_to_item",
    "api_returns_item",
    "api_unknown_404",
    "api_refuses_unauthenticated",
    "global_table",
    "cleanup",
]


@pytest.fixture(scope="module")
def stacks(emulator_url, tmp_path_factory):
    """The processor in both regions; IAM_REGION's sessions table is a global table with a replica in JWT_REGION."""
    build = tmp_path_factory.mktemp("smoke-build")
    stacks = {region: deploy_processor(emulator_url, region, ENV, build) for region in (IAM_REGION, JWT_REGION)}
    # deploy_processor makes a table of its own in each region: replace the second by a replica of the first.
    client(emulator_url, "dynamodb", JWT_REGION).delete_table(TableName=TABLE)
    source = client(emulator_url, "dynamodb", IAM_REGION)
    source.update_table(
        TableName=TABLE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    source.update_table(TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": JWT_REGION}}])
    jwt_api = stacks[JWT_REGION]
    access_logs = f"arn:aws:logs:{JWT_REGION}:{ACCOUNT}:log-group:{jwt_api['access_log_group']}"
    answer = call(
        emulator_url,
        apigatewayv2_http_api.main,
        {
            "name": f"tap-api-{ENV}-{JWT_REGION}",
            "integration_uri": jwt_api["function_arn"],
            "payload_format_version": "2.0",
            "routes": ["POST /process"],
            "jwt_issuer": ISSUER,
            "jwt_audience": [AUDIENCE],
            "stage_name": ENV,
            "throttling_burst_limit": 100,
            "throttling_rate_limit": 50,
            "access_log_destination_arn": access_logs,
            "invoke_permission": {"statement_id": "apigateway-invoke", "source_path": "POST/process"},
        },
        JWT_REGION,
    )
    assert not answer.get("failed"), answer
    return stacks


def call(url, main, args, region, check_mode=False):
    from support import call_module

    connection = {"region": region, "endpoint_url": url, "access_key": "tap-emulator", "secret_key": "tap-emulator-key"}
    return call_module(main, {**connection, **args}, check_mode=check_mode)


def smoke(url, region, check_mode=False, **overrides):
    other = JWT_REGION if region == IAM_REGION else IAM_REGION
    args = {
        "bucket": f"tap-data-{ENV}-{region}",
        "table": TABLE,
        "api_name": f"tap-api-{ENV}-{region}",
        "stage": ENV,
        "replica_regions": [other],
        "timeout": 20,
    }
    args.update(overrides)
    return call(url, module.main, args, region, check_mode=check_mode)


def statuses(result) -> dict[str, str]:
    return {c["check"]: c["status"] for c in result["checks"]}


def leftovers(url, region: str, key: str) -> dict:
    """Versions of the test object in region's bucket and its item in both regions."""
    s3 = client(url, "s3", region)
    listing = s3.list_object_versions(Bucket=f"tap-data-{ENV}-{region}", Prefix=key)
    items = {
        r: client(url, "dynamodb", r).get_item(TableName=TABLE, Key={"session_id": {"S": key}}).get("Item")
        for r in (IAM_REGION, JWT_REGION)
    }
    return {
        "versions": listing.get("Versions", []) + listing.get("DeleteMarkers", []),
        "items": {r: i for r, i in items.items() if i},
    }


def token() -> str:
    now = int(time.time())
    return jwt({"iss": ISSUER, "aud": AUDIENCE, "sub": "smoke", "iat": now, "exp": now + 300})


def test_an_aws_iam_region_passes_every_check_and_leaves_nothing_behind(stacks, emulator_url):
    mark = control.last_call_seq(emulator_url)
    result = smoke(emulator_url, IAM_REGION, run_id="iam1")
    assert result["passed"] and not result["changed"] and result["changes"] == [], result
    assert [c["check"] for c in result["checks"]] == CHECKS
    assert set(statuses(result).values()) == {"passed"}, result["checks"]
    assert result["authorization"] == "AWS_IAM"
    assert result["invoke_url"] == stacks[IAM_REGION]["invoke_url"]
    assert result["object_key"] == f"smoke-tests/iam1/{IAM_REGION}.json"
    details = {c["check"]: c["detail"] for c in result["checks"]}
    assert details["api_refuses_unauthenticated"] == "403 without a signature"
    assert details["global_table"] == f"item readable in {JWT_REGION}"
    assert leftovers(emulator_url, IAM_REGION, result["object_key"]) == {"versions": [], "items": {}}
    # The API was called at the emulator's address with the invoke URL's host (the call log names execute-api).
    api_calls = [c for c in control.calls(emulator_url, mark) if c["service"] == "execute-api"]
    assert api_calls and {c["region"] for c in api_calls} == {IAM_REGION}


def test_a_jwt_region_passes_with_a_token_and_refuses_a_request_without_one(stacks, emulator_url):
    bearer = token()
    result = smoke(emulator_url, JWT_REGION, run_id="jwt1", jwt_token=bearer)
    assert result["passed"], result["checks"]
    assert set(statuses(result).values()) == {"passed"}, result["checks"]
    assert result["authorization"] == "JWT"
    details = {c["check"]: c["detail"] for c in result["checks"]}
    assert details["api_refuses_unauthenticated"] == "401 without a token"
    assert details["api_returns_item"] == f"200 with the item smoke-tests/jwt1/{JWT_REGION}.json (JWT)"
    assert leftovers(emulator_url, JWT_REGION, result["object_key"]) == {"versions": [], "items": {}}
    assert bearer not in json.dumps(result)  # no_log: the token never reaches the result


def test_without_a_token_the_authorized_api_checks_of_a_jwt_route_are_skipped(stacks, emulator_url):
    result = smoke(emulator_url, JWT_REGION, run_id="jwt2")
    assert result["passed"], result["checks"]
    assert statuses(result) == {
        "api_found": "passed",
        "object_to_item": "passed",
        "api_returns_item": "skipped",
        "api_unknown_404": "skipped",
        "api_refuses_unauthenticated": "passed",
        "global_table": "passed",
        "cleanup": "passed",
    }


def test_failures_are_named_and_the_test_data_is_still_removed(stacks, emulator_url):
    result = smoke(
        emulator_url, IAM_REGION, run_id="bad1", api_name="no-such-api", replica_regions=["eu-south-2"], timeout=2
    )
    assert not result["passed"] and not result.get("failed"), result
    assert statuses(result) == {
        "api_found": "failed",
        "object_to_item": "passed",
        "api_returns_item": "skipped",
        "api_unknown_404": "skipped",
        "api_refuses_unauthenticated": "skipped",
        "global_table": "failed",
        "cleanup": "passed",
    }
    details = {c["check"]: c["detail"] for c in result["checks"]}
    assert details["api_found"] == f"no HTTP API named no-such-api in {IAM_REGION}"
    assert details["global_table"] == f"there is no table {TABLE} in eu-south-2"
    assert leftovers(emulator_url, IAM_REGION, result["object_key"]) == {"versions": [], "items": {}}


def test_a_function_that_stores_nothing_fails_object_to_item_within_the_timeout(stacks, emulator_url):
    s3 = client(emulator_url, "s3", IAM_REGION)
    bucket = f"tap-data-{ENV}-{IAM_REGION}"
    notification = s3.get_bucket_notification_configuration(Bucket=bucket)
    notification.pop("ResponseMetadata")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    try:
        result = smoke(emulator_url, IAM_REGION, run_id="bad2", timeout=1)
    finally:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=notification)
    assert not result["passed"]
    assert statuses(result)["object_to_item"] == "failed"
    assert statuses(result)["api_returns_item"] == "skipped"
    assert statuses(result)["api_unknown_404"] == "passed"
    detail = {c["check"]: c["detail"] for c in result["checks"]}["object_to_item"]
    key = f"smoke-tests/bad2/{IAM_REGION}.json"
    assert detail == f"no item {key} in table {TABLE} after 1 s: the function did not store the object"
    assert leftovers(emulator_url, IAM_REGION, result["object_key"]) == {"versions": [], "items": {}}


def test_check_mode_plans_the_checks_and_writes_nothing(stacks, emulator_url):
    mark = control.last_call_seq(emulator_url)
    result = smoke(emulator_url, IAM_REGION, check_mode=True, run_id="plan1")
    assert result["passed"] and not result["changed"]
    assert statuses(result) == {"api_found": "passed", **{name: "planned" for name in CHECKS[1:]}}
    assert control.write_calls(emulator_url, mark) == []
    assert not [c for c in control.calls(emulator_url, mark) if c["service"] == "execute-api"]

    # A region whose API does not exist yet (a plan before the first deploy) is planned, not failed.
    result = smoke(emulator_url, IAM_REGION, check_mode=True, api_name="tap-api-not-yet")
    assert result["passed"] and set(statuses(result).values()) == {"planned"}
    assert (
        result["checks"][0]["detail"]
        == f"no HTTP API named tap-api-not-yet in {IAM_REGION} yet (a deploy would create it)"
    )


def test_requests_go_to_the_endpoint_with_the_invoke_urls_host():
    url = "https://a1b2c3.execute-api.eu-west-3.amazonaws.com/dev"
    assert execute_api.target(url, "/process") == (
        "https://a1b2c3.execute-api.eu-west-3.amazonaws.com/dev/process",
        None,
    )
    assert execute_api.target(url, "/process", "http://127.0.0.1:5000/") == (
        "http://127.0.0.1:5000/dev/process",
        "a1b2c3.execute-api.eu-west-3.amazonaws.com",
    )
    assert execute_api.stage_url("https://a1b2c3.execute-api.eu-west-3.amazonaws.com", "$default") == (
        "https://a1b2c3.execute-api.eu-west-3.amazonaws.com"
    )
    assert execute_api.route_parts("post /process") == ("POST", "/process")
