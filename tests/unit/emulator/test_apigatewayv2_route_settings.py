"""emulator.apigatewayv2_route_settings: DeleteRouteSettings, and what a route's throttling does to its traffic."""

from __future__ import annotations

import urllib.request

import botocore.exceptions
import pytest

from emulator.apigateway_invoke import invoke_url

REGION = "eu-west-3"
ROUTE = "POST /process"


def http_api(client):
    apigateway = client("apigatewayv2", REGION)
    api = apigateway.create_api(Name="route-settings", ProtocolType="HTTP")
    apigateway.create_route(ApiId=api["ApiId"], RouteKey=ROUTE)
    apigateway.create_stage(ApiId=api["ApiId"], StageName="dev",
                            DefaultRouteSettings={"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50.0})
    return apigateway, api


def status(emulator_url: str, api: dict) -> int:
    url = invoke_url(emulator_url, f"{api['ApiEndpoint']}/dev/process")
    request = urllib.request.Request(url, data=b"{}", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_route_throttled_to_zero_answers_429_until_its_settings_are_deleted(aws, emulator_url):
    apigateway, api = http_api(aws)
    assert status(emulator_url, api) != 429

    stopped = {ROUTE: {"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0.0}}
    apigateway.update_stage(ApiId=api["ApiId"], StageName="dev", RouteSettings=stopped)
    assert apigateway.get_stage(ApiId=api["ApiId"], StageName="dev")["RouteSettings"] == stopped
    assert status(emulator_url, api) == 429

    apigateway.delete_route_settings(ApiId=api["ApiId"], StageName="dev", RouteKey=ROUTE)
    stage = apigateway.get_stage(ApiId=api["ApiId"], StageName="dev")
    assert stage.get("RouteSettings", {}) == {}
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 100  # untouched
    assert status(emulator_url, api) != 429


def test_deleting_settings_that_do_not_exist_is_not_found(aws):
    apigateway, api = http_api(aws)
    for stage, route in (("dev", ROUTE), ("nope", ROUTE)):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            apigateway.delete_route_settings(ApiId=api["ApiId"], StageName=stage, RouteKey=route)
        assert raised.value.response["Error"]["Code"] == "NotFoundException"
