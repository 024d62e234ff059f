"""API Gateway v2 DeleteRouteSettings (both profiles).

Gap: moto 5.2.5 has no DeleteRouteSettings (``DELETE /v2/apis/{apiId}/stages/{stageName}/routesettings/
{routeKey}``): its server answers 404 for the path. A stage's per-route settings (``RouteSettings``, keyed by
route key, e.g. ``POST /process``) override its ``DefaultRouteSettings`` for that route;
``emulator.apigatewayv2_gaps`` lets UpdateStage set them and ``emulator.apigateway_invoke`` throttles by
them. The region evacuation (``tap.multiregion.api_traffic``) sets a route's throttling to 0 with UpdateStage
and removes it again with DeleteRouteSettings, as on AWS.

Modelled: the route's entry is removed from the stage's route settings; the answer is 204 without a body
(the API reference's response). Refusals: an unknown API or stage answers moto's NotFoundException
("Invalid API identifier specified <id>" / "Invalid stage identifier specified"); a route key the stage has no
settings for answers NotFoundException too (the API reference lists NotFoundException; AWS's text for this
case was not found, the message is the emulator's).

The request is answered in front of moto (like ``emulator.apigateway_invoke``): WSGI decodes the route key's
``%2F``, which moto's URL patterns (one path segment per parameter) cannot match.
"""

from __future__ import annotations

import json
import re
from typing import Any

from emulator.middleware import CREDENTIAL_SCOPE

PATH = re.compile(r"^/v2/apis/(?P<api_id>[^/]+)/stages/(?P<stage>[^/]+)/routesettings/(?P<route_key>.+)$")
NO_ROUTE_SETTINGS = "Unable to find route settings for route key {route_key} in stage {stage}"

_INSTALLED = False


def _error(start_response: Any, status: str, message: str) -> list[bytes]:
    start_response(status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "NotFoundException")])
    return [json.dumps({"message": message}).encode()]


def delete_route_settings(account_id: str, region: str, api_id: str, stage_name: str, route_key: str) -> str | None:
    """Remove the route's settings from the stage; the NotFoundException message when there is nothing to remove."""
    from moto.apigatewayv2.exceptions import ApiNotFound, StageNotFound
    from moto.apigatewayv2.models import apigatewayv2_backends

    backend = apigatewayv2_backends[account_id][region]
    try:
        stage = backend.get_stage(api_id, stage_name)
    except (ApiNotFound, StageNotFound) as error:
        return error.message
    settings = dict(stage.route_settings or {})
    if route_key not in settings:
        return NO_ROUTE_SETTINGS.format(route_key=route_key, stage=stage_name)
    del settings[route_key]
    stage.route_settings = settings
    return None


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original_call = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        match = PATH.match(environ.get("PATH_INFO", "")) if environ.get("REQUEST_METHOD") == "DELETE" else None
        scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", "")) if match else None
        if scope is None or scope.group(2) != "apigateway":
            return original_call(self, environ, start_response)
        message = delete_route_settings(DEFAULT_ACCOUNT_ID, scope.group(1), match["api_id"], match["stage"],
                                        match["route_key"])
        if message is not None:
            return _error(start_response, "404 Not Found", message)
        start_response("204 No Content", [])
        return [b""]

    DomainDispatcherApplication.__call__ = __call__
