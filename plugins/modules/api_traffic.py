#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: api_traffic
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
short_description: Stop or reopen new traffic to the routes of an HTTP API stage (region evacuation)
version_added: 0.1.0
description:
  - O(state=stopped) throttles every route of stage O(stage) of the HTTP API O(api_name) (or the routes in
    O(routes)) to 0 requests - burst 0, rate 0 in the stage's C(RouteSettings) of the route (C(UpdateStage)).
    API Gateway then answers every new request with 429 Too Many Requests; requests already running finish.
  - O(state=open) reverses it for every route that is throttled to 0 - C(DeleteRouteSettings), so the stage's
    default route throttling applies again, or, with O(previous_route_settings), the route settings it had
    before the stop are put back.
  - Why route settings - the stage's default route settings belong to the stack
    (M(tap.multiregion.apigatewayv2_http_api) converges them, so a deploy would reopen an evacuated region, and
    drift would report it); per-route
    settings are not managed by the stack, override the default for their route, and survive deploys until
    the restore.
  - RV(previous_route_settings) is what each stopped route had before (null - none); keep it (the deployment
    record of an evacuation does) to give it back on O(state=open).
options:
  api_name:
    description: Name of the HTTP API (exactly one API of that name must exist).
    type: str
    required: true
  stage:
    description: Name of the stage.
    type: str
    required: true
  routes:
    description: Route keys to stop or reopen (default every route of the API).
    type: list
    elements: str
  state:
    description: C(stopped) (no new traffic) or C(open).
    type: str
    choices: [stopped, open]
    required: true
  previous_route_settings:
    description:
      - With O(state=open) - route key -> the route settings to put back (RV(previous_route_settings) of the stop).
        A route missing here, or null, gets its route settings deleted.
    type: dict
attributes:
  check_mode:
    support: full
    description: Finds the API and stage and plans the change.
  diff_mode:
    support: full
    description: The stage's route settings before and after.
notes:
  - Needs C(apigateway:GET), C(apigateway:PATCH) (UpdateStage) and C(apigateway:DELETE) (DeleteRouteSettings).
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Stop new traffic to the region's API
  tap.multiregion.api_traffic:
    api_name: tap-api-prod-us-east-1
    stage: prod
    state: stopped
  register: stopped

- name: Reopen it
  tap.multiregion.api_traffic:
    api_name: tap-api-prod-us-east-1
    stage: prod
    state: open
    previous_route_settings: "{{ stopped.previous_route_settings }}"
"""

RETURN = r"""
changes:
  description: One sentence per route stopped or reopened (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample:
    - >-
      stage prod of HTTP API tap-api-prod-us-east-1: stop new traffic to route POST /process
      (throttling of the stage default -> burst 0, rate 0)
traffic:
  description: C(stopped) when every selected route is throttled to 0 after the run, else C(open).
  returned: always
  type: str
api_id:
  description: Id of the API.
  returned: always
  type: str
routes:
  description: The selected route keys.
  returned: always
  type: list
  elements: str
route_settings:
  description: The stage's route settings after the run (planned in check mode).
  returned: always
  type: dict
previous_route_settings:
  description: O(state=stopped) - route key -> its route settings before this run stopped it (null - none).
  returned: always
  type: dict
default_route_settings:
  description: The stage's default route settings (the throttling a reopened route gets).
  returned: always
  type: dict
"""

import copy


from ansible_collections.tap.multiregion.plugins.module_utils.apigatewayv2 import find_api
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure

STOPPED = {"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0.0}


def is_stopped(settings):
    """Whether route settings throttle the route to 0 requests (burst 0 and rate 0)."""
    settings = settings or {}
    return settings.get("ThrottlingBurstLimit") == 0 and settings.get("ThrottlingRateLimit") is not None \
        and float(settings["ThrottlingRateLimit"]) == 0.0


def throttling(settings):
    settings = settings or {}
    return "burst %s, rate %s" % (settings.get("ThrottlingBurstLimit", "unset"),
                                  settings.get("ThrottlingRateLimit", "unset"))


class ApiTraffic(AwsResource):
    SERVICE = "apigatewayv2"
    RETRY_CODES = ("TooManyRequestsException",)

    def __init__(self, module):
        super(ApiTraffic, self).__init__(module)
        p = self.params
        self.api = self.client()
        self.label = "stage %s of HTTP API %s" % (p["stage"], p["api_name"])

    def stopped(self):
        return self.apply()

    def open(self):
        return self.apply()

    def apply(self):
        p = self.params
        apis = self.paginate("list the HTTP APIs", self.api, "get_apis").get("Items", [])
        api, error = find_api(apis, p["api_name"])
        if error:
            raise Failure(error)
        if api is None:
            raise Failure("api_name: no HTTP API named %s in %s" % (p["api_name"], self.region))
        stage = self.read("read %s" % self.label, self.api.get_stage, ApiId=api["ApiId"], StageName=p["stage"],
                          missing="NotFoundException")
        if stage is None:
            raise Failure("stage: HTTP API %s has no stage %s" % (p["api_name"], p["stage"]))
        listed = self.paginate("list the routes of HTTP API %s" % p["api_name"], self.api, "get_routes",
                               ApiId=api["ApiId"])
        existing = sorted(r["RouteKey"] for r in listed.get("Items", []))
        routes = p["routes"] if p["routes"] is not None else existing
        unknown = sorted(set(routes) - set(existing))
        if unknown:
            raise self.invalid("routes", unknown, "routes of HTTP API %s: %s" % (p["api_name"], ", ".join(existing)))
        before = dict(stage.get("RouteSettings") or {})
        if p["state"] == "stopped":
            after, previous = self.stop(api, routes, before)
        else:
            after, previous = self.reopen(api, routes, before), {}
        self.set_diff({"route_settings": before}, {"route_settings": after})
        return dict(api_id=api["ApiId"], routes=list(routes), route_settings=after, previous_route_settings=previous,
                    default_route_settings=stage.get("DefaultRouteSettings") or {},
                    traffic="stopped" if routes and all(is_stopped(after.get(r)) for r in routes) else "open")

    def stop(self, api, routes, before):
        after = copy.deepcopy(before)
        previous = {}
        for route in routes:
            if is_stopped(before.get(route)):
                continue
            previous[route] = before.get(route)
            after[route] = dict(before.get(route) or {}, **STOPPED)
            self.record("%s: stop new traffic to route %s (throttling %s -> burst 0, rate 0)" % (
                self.label, route, throttling(before.get(route)) if before.get(route) else "of the stage default"))
        if previous and not self.check_mode:
            # The whole map: keys of other routes stay as they are whether AWS merges or replaces it.
            self.call("%s: stop new traffic" % self.label, self.api.update_stage, ApiId=api["ApiId"],
                      StageName=self.params["stage"], RouteSettings=after)
        return after, previous

    def reopen(self, api, routes, before):
        after = copy.deepcopy(before)
        given = self.params["previous_route_settings"] or {}
        put_back = {}
        for route in routes:
            if not is_stopped(before.get(route)):
                continue
            sentence = "%s: reopen route %s to new traffic" % (self.label, route)
            if given.get(route):
                put_back[route] = given[route]
                after[route] = given[route]
                self.record("%s (its route settings before the stop: throttling %s)"
                            % (sentence, throttling(given[route])))
            else:
                del after[route]
                self.write("%s (route settings deleted: the stage's default throttling applies)" % sentence,
                           self.api.delete_route_settings, ApiId=api["ApiId"], StageName=self.params["stage"],
                           RouteKey=route, ignore="NotFoundException")
        if put_back and not self.check_mode:
            self.call("%s: put back route settings" % self.label, self.api.update_stage, ApiId=api["ApiId"],
                      StageName=self.params["stage"], RouteSettings=after)
        return after

    def call(self, what, function, **kwargs):
        """One UpdateStage for the routes whose sentences were recorded one by one (so not recorded again)."""
        return self.write(what, function, bookkeeping=True, **kwargs)


def main():
    ApiTraffic.main(
        dict(
            api_name=dict(type="str", required=True),
            stage=dict(type="str", required=True),
            routes=dict(type="list", elements="str"),
            state=dict(type="str", required=True, choices=["stopped", "open"]),
            previous_route_settings=dict(type="dict"),
        ),
    )


if __name__ == "__main__":
    main()
