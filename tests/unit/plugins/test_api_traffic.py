"""api_traffic: stop new traffic to an HTTP API stage's routes and reopen it (region evacuation)."""

from __future__ import annotations

import uuid

from aurora_support import recorded_calls, writes

from ansible_collections.tap.multiregion.plugins.modules import api_traffic

REGION = "ap-northeast-1"
ROUTE = "POST /process"
STOPPED = {"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0.0}


def http_api(aws, routes=(ROUTE,), route_settings=None):
    apigateway = aws("apigatewayv2", REGION)
    name = f"traffic-{uuid.uuid4().hex[:8]}"
    api = apigateway.create_api(Name=name, ProtocolType="HTTP")
    for route in routes:
        apigateway.create_route(ApiId=api["ApiId"], RouteKey=route)
    apigateway.create_stage(ApiId=api["ApiId"], StageName="prod", RouteSettings=route_settings or {},
                            DefaultRouteSettings={"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50.0})
    return apigateway, api["ApiId"], name


def route_settings(apigateway, api_id) -> dict:
    return apigateway.get_stage(ApiId=api_id, StageName="prod").get("RouteSettings") or {}


def test_stop_then_reopen_every_route(aws, run_module, monkeypatch):
    apigateway, api_id, name = http_api(aws, routes=(ROUTE, "GET /health"))
    args = dict(api_name=name, stage="prod")
    plan = run_module(api_traffic.main, dict(args, state="stopped"), region=REGION, check_mode=True)
    assert plan["changed"] is True and route_settings(apigateway, api_id) == {}
    label = f"stage prod of HTTP API {name}"
    assert plan["changes"] == [f"{label}: stop new traffic to route {r} (throttling of the stage default -> burst 0, "
                               "rate 0)" for r in ("GET /health", ROUTE)]

    stopped = run_module(api_traffic.main, dict(args, state="stopped"), region=REGION)
    assert stopped["traffic"] == "stopped" and stopped["previous_route_settings"] == {ROUTE: None, "GET /health": None}
    assert route_settings(apigateway, api_id) == {ROUTE: STOPPED, "GET /health": STOPPED}
    again = run_module(api_traffic.main, dict(args, state="stopped"), region=REGION)
    assert again["changed"] is False and again["traffic"] == "stopped", again

    with recorded_calls(monkeypatch) as calls:
        opened = run_module(api_traffic.main, dict(args, state="open"), region=REGION)
    assert opened["changed"] is True and opened["traffic"] == "open", opened
    assert writes(calls) == [("apigatewayv2", "DeleteRouteSettings")] * 2
    assert route_settings(apigateway, api_id) == {}
    assert run_module(api_traffic.main, dict(args, state="open"), region=REGION)["changed"] is False


def test_a_route_gets_back_the_settings_it_had(aws, run_module):
    own = {ROUTE: {"ThrottlingBurstLimit": 10, "ThrottlingRateLimit": 5.0}}
    apigateway, api_id, name = http_api(aws, route_settings=own)
    stopped = run_module(api_traffic.main, dict(api_name=name, stage="prod", state="stopped"), region=REGION)
    assert stopped["previous_route_settings"][ROUTE]["ThrottlingBurstLimit"] == 10
    assert route_settings(apigateway, api_id)[ROUTE]["ThrottlingBurstLimit"] == 0
    run_module(api_traffic.main, dict(api_name=name, stage="prod", state="open",
                                      previous_route_settings=stopped["previous_route_settings"]), region=REGION)
    assert route_settings(apigateway, api_id)[ROUTE]["ThrottlingBurstLimit"] == 10


def test_unknown_api_stage_or_route_is_refused_without_a_write(aws, run_module, monkeypatch):
    _apigateway, _api_id, name = http_api(aws)
    with recorded_calls(monkeypatch) as calls:
        missing = run_module(api_traffic.main, dict(api_name="nope", stage="prod", state="stopped"), region=REGION)
        no_stage = run_module(api_traffic.main, dict(api_name=name, stage="dev", state="stopped"), region=REGION)
        no_route = run_module(api_traffic.main, dict(api_name=name, stage="prod", state="stopped",
                                                     routes=["GET /nope"]), region=REGION)
    assert missing["failed"] and "no HTTP API named nope" in missing["msg"]
    assert no_stage["failed"] and "has no stage dev" in no_stage["msg"]
    assert no_route["failed"] and "GET /nope" in no_route["msg"]
    assert writes(calls) == []
