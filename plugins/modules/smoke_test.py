#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: smoke_test
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.read_only
short_description: Smoke-test the data path of one region of the stack (S3 -> Lambda -> DynamoDB, HTTP API)
version_added: 0.1.0
description:
  - Runs, in the region of the connection, the checks that show the deployed stack works, not only that it is
    configured, and reports each as passed, failed or skipped (C(checks)).
  - C(object_to_item) puts a test object under O(key_prefix) into the data bucket O(bucket) and waits (at most
    O(timeout) seconds) until the function, notified by the bucket, has stored it as an item of the sessions table
    O(table) in this region, with the object's content and the region.
  - C(api_returns_item) sends C(POST /process) with the test object's key as C(session_id) to the stage invoke URL of
    the HTTP API O(api_name) (found by its name) and expects 200 with that item; C(api_unknown_404) expects 404 for a
    key that does not exist. An C(AWS_IAM) route gets a Signature Version 4 signature (service C(execute-api)) made
    with the module's credentials; a C(JWT) route the bearer token O(jwt_token) (both checks are skipped without one).
  - C(api_refuses_unauthenticated) sends the same request without signature or token and expects the refusal API
    Gateway answers (403 for C(AWS_IAM), 401 for C(JWT)).
  - C(global_table) waits (at most O(timeout) seconds) until the item can be read in each of O(replica_regions)
    through the global table.
  - C(cleanup) deletes every version (and delete marker) of the test object and the item, and waits until the
    item is gone in this region and in O(replica_regions). It runs whatever the other checks found.
  - The request to the API goes to the stage invoke URL; when the connection has an O(endpoint_url), it goes to
    that address with the invoke URL's C(Host) header, as botocore sends every other call.
  - Checks that fail do not fail the module; C(passed) says whether all passed. The test object and item are the
    run's bookkeeping, not changes of the stack, so the module reports C(changed=false).
options:
  bucket:
    description: The region's data bucket, whose object-created events notify the function.
    type: str
    required: true
  table:
    description: The sessions table the function writes to (a global table replicated to O(replica_regions)).
    type: str
    required: true
  api_name:
    description: Name of the HTTP API in front of the function.
    type: str
    required: true
  stage:
    description: Stage of the API to call.
    type: str
    required: true
  route:
    description: Route key of the function's route.
    type: str
    default: POST /process
  replica_regions:
    description: Regions whose replica of O(table) must show the item written in this region.
    type: list
    elements: str
    default: []
  jwt_token:
    description:
      - Bearer token for a route with a JWT authorizer (issued for the authorizer's issuer and audience).
      - Without it, the checks that need an authorized request are skipped on such a route.
    type: str
  key_prefix:
    description: Key prefix of the test objects (their keys become the items' C(session_id)).
    type: str
    default: smoke-tests/
  run_id:
    description: Names the test object C(<key_prefix><run_id>/<region>.json); a random id when not given.
    type: str
  timeout:
    description: Seconds to wait for each asynchronous effect (the item, its replicas, their removal).
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description:
      - Finds the API and its authorization and returns the checks it would run (status C(planned)); sends nothing.
      - An API that does not exist yet is planned too (the run being planned may create it).
notes:
  - Needs C(s3:PutObject), C(s3:ListBucketVersions), C(s3:DeleteObjectVersion), C(dynamodb:GetItem) (in every
    replica region), C(dynamodb:DeleteItem), C(apigateway:GET) and, for C(AWS_IAM) routes, C(execute-api:Invoke).
  - Polls with growing pauses (0.1 s up to 2 s), so an effect that takes milliseconds is seen at once.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Smoke-test us-east-1 (an AWS_IAM route)
  tap.multiregion.smoke_test:
    bucket: tap-data-dev-us-east-1-123456789012
    table: sessions-dev
    api_name: tap-api-dev-us-east-1
    stage: dev
    replica_regions: [us-east-2, eu-west-1]
  register: smoke

- name: Fail when a check failed
  ansible.builtin.assert:
    that: smoke.passed
    fail_msg: "{{ smoke.checks | selectattr('status', 'eq', 'failed') | list }}"
"""

RETURN = r"""
passed:
  description: Whether no check failed (skipped checks do not count as failures).
  returned: always
  type: bool
checks:
  description: Every check in the order it ran, with its status (C(passed), C(failed), C(skipped), C(planned)).
  returned: always
  type: list
  elements: dict
  contains:
    check:
      description: Name of the check.
      type: str
      sample: api_returns_item
    status:
      description: passed, failed, skipped or planned (check mode).
      type: str
      sample: passed
    detail:
      description: What was seen (or why it failed or was skipped).
      type: str
      sample: 200 with the item of smoke-tests/0123abcd/us-east-1.json
    seconds:
      description: How long the check took.
      type: float
      sample: 0.4
authorization:
  description: Authorization type of the route (C(AWS_IAM), C(JWT), C(NONE)); null when the API or route was not found.
  returned: always
  type: str
  sample: AWS_IAM
invoke_url:
  description: Stage invoke URL of the API; null when the API was not found.
  returned: always
  type: str
  sample: https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev
object_key:
  description: Key of the test object (and C(session_id) of its item).
  returned: always
  type: str
  sample: smoke-tests/0123abcd/us-east-1.json
changes:
  description: Always empty (the test data is bookkeeping, not a change of the stack).
  returned: always
  type: list
  elements: str
"""

import json
import random
import time


from ansible_collections.tap.multiregion.plugins.module_utils import clients
from ansible_collections.tap.multiregion.plugins.module_utils import execute_api
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_message

# Pauses between two polls: short first (the emulator and a warm function answer in milliseconds), then 2 s.
POLL_PAUSES = (0.1, 0.2, 0.4, 0.8, 1.6)
LONGEST_POLL_PAUSE = 2.0
REFUSAL_STATUS = {"AWS_IAM": 403, "JWT": 401}
# The checks, in the order they run.
CHECKS = (
    "api_found",
    "object_to_item",
    "api_returns_item",
    "api_unknown_404",
    "api_refuses_unauthenticated",
    "global_table",
    "cleanup",
)


class CheckFailed(Exception):
    """A check saw something else than it expected; the message says what."""


class Skipped(Exception):
    """A check that cannot run here; the message says why."""


def poll(done, timeout):
    """done() until it returns a true value (returned) or timeout seconds pass (None)."""
    deadline = time.time() + timeout
    pauses = list(POLL_PAUSES)
    while True:
        value = done()
        if value:
            return value
        if time.time() >= deadline:
            return None
        time.sleep(min(pauses.pop(0) if pauses else LONGEST_POLL_PAUSE, max(deadline - time.time(), 0.01)))


def item_text(item, name):
    """The string value of attribute name of a low-level DynamoDB item (None when absent or not a string)."""
    return ((item or {}).get(name) or {}).get("S")


class SmokeTest(AwsResource):
    SERVICE = "s3"

    def __init__(self, module):
        super(SmokeTest, self).__init__(module)
        p = self.params
        self.run_id = p["run_id"] or "%012x" % random.getrandbits(48)
        self.key = "%s%s/%s.json" % (p["key_prefix"], self.run_id, self.region)
        self.content = json.dumps({"smoke_test": self.run_id, "region": self.region}, sort_keys=True)
        self.checks = []
        self.api = None  # {"invoke_url", "authorization"} once found

    # ------------------------------------------------------------------ the checks

    def run_check(self, name, check, *args):
        started = time.time()
        try:
            status, detail = "passed", check(*args)
        except Skipped as e:
            status, detail = "skipped", str(e)
        except CheckFailed as e:
            status, detail = "failed", str(e)
        except Failure as failure:
            reason = error_message(failure.error) if failure.error is not None else ""
            status, detail = "failed", "%s%s" % (failure.what, ": " + reason if reason else "")
        except execute_api.URLError as e:
            status, detail = "failed", "no answer from the API: %s" % e.reason
        self.checks.append(
            {"check": name, "status": status, "detail": detail, "seconds": round(time.time() - started, 2)}
        )
        return status == "passed"

    def skip(self, name, why):
        self.checks.append({"check": name, "status": "skipped", "detail": why, "seconds": 0.0})

    def read_item(self, region, table_may_be_missing=False):
        """The item in region (None when there is none); a missing table fails the check unless it may be missing."""
        dynamodb = self.client("dynamodb", region=region)
        answer = self.read(
            "read item %s of table %s in %s" % (self.key, self.params["table"], region),
            dynamodb.get_item,
            TableName=self.params["table"],
            Key={"session_id": {"S": self.key}},
            ConsistentRead=True,
            missing="ResourceNotFoundException",
        )
        if answer is None and not table_may_be_missing:
            raise CheckFailed("there is no table %s in %s" % (self.params["table"], region))
        return (answer or {}).get("Item")

    def object_to_item(self):
        self.write(
            "put test object s3://%s/%s" % (self.params["bucket"], self.key),
            self.client().put_object,
            bookkeeping=True,
            Bucket=self.params["bucket"],
            Key=self.key,
            Body=self.content.encode("utf-8"),
            ContentType="application/json",
        )
        item = poll(lambda: self.read_item(self.region), self.params["timeout"])
        if item is None:
            raise CheckFailed(
                "no item %s in table %s after %d s: the function did not store the object"
                % (self.key, self.params["table"], self.params["timeout"])
            )
        if item_text(item, "data") != self.content or item_text(item, "region") != self.region:
            raise CheckFailed(
                "item %s holds data %r and region %r; expected the object's content and %s"
                % (self.key, item_text(item, "data"), item_text(item, "region"), self.region)
            )
        return "object s3://%s/%s stored as item of %s" % (self.params["bucket"], self.key, self.params["table"])

    def call_api(self, session_id, authorized):
        method, path = execute_api.route_parts(self.params["route"])
        region, endpoint_url, boto_params = clients.connection_of(self.module)
        credentials = token = None
        if authorized and self.api["authorization"] == "AWS_IAM":
            credentials = clients.session_for(boto_params).get_credentials()
            if credentials is None:
                raise CheckFailed("no AWS credentials to sign the request with")
            credentials = credentials.get_frozen_credentials()
        if authorized and self.api["authorization"] == "JWT":
            token = self.params["jwt_token"]
        return execute_api.request(
            method,
            self.api["invoke_url"],
            path,
            {"session_id": session_id},
            endpoint_url=endpoint_url,
            credentials=credentials,
            region=region,
            token=token,
        )

    def need_token(self):
        if self.api["authorization"] == "JWT" and not self.params["jwt_token"]:
            raise Skipped("the route has a JWT authorizer and no jwt_token was given")

    def api_returns_item(self):
        self.need_token()
        answer = self.call_api(self.key, authorized=True)
        body = answer.json if isinstance(answer.json, dict) else {}
        if answer.status != 200 or body.get("session_id") != self.key or body.get("data") != self.content:
            raise CheckFailed(
                "%s %s answered %s; expected 200 with the item %s"
                % (self.params["route"], self.api["invoke_url"], answer.describe(), self.key)
            )
        return "200 with the item %s (%s)" % (self.key, self.api["authorization"])

    def api_unknown_404(self):
        self.need_token()
        unknown = "%s%s/unknown" % (self.params["key_prefix"], self.run_id)
        answer = self.call_api(unknown, authorized=True)
        if answer.status != 404:
            raise CheckFailed(
                "%s for an unknown session_id answered %s; expected 404" % (self.params["route"], answer.describe())
            )
        return "404 for the unknown session_id %s" % unknown

    def api_refuses_unauthenticated(self):
        expected = REFUSAL_STATUS.get(self.api["authorization"])
        if expected is None:
            raise CheckFailed(
                "route %s has authorization %s; it must require AWS_IAM or JWT"
                % (self.params["route"], self.api["authorization"])
            )
        answer = self.call_api(self.key, authorized=False)
        if answer.status != expected:
            raise CheckFailed(
                "%s without %s answered %s; expected %d"
                % (self.params["route"], "a signature" if expected == 403 else "a token", answer.describe(), expected)
            )
        return "%d without %s" % (expected, "a signature" if expected == 403 else "a token")

    def global_table(self):
        seen = []
        for region in self.params["replica_regions"]:
            item = poll(lambda region=region: self.read_item(region), self.params["timeout"])
            if item is None or item_text(item, "data") != self.content:
                raise CheckFailed(
                    "item %s is not readable in %s after %d s (replica of %s)%s"
                    % (
                        self.key,
                        region,
                        self.params["timeout"],
                        self.params["table"],
                        "; readable in " + ", ".join(seen) if seen else "",
                    )
                )
            seen.append(region)
        if not seen:
            raise Skipped("no other region")
        return "item readable in %s" % ", ".join(seen)

    def cleanup(self):
        bucket, table = self.params["bucket"], self.params["table"]
        listing = self.paginate(
            "list the versions of s3://%s/%s" % (bucket, self.key),
            self.client(),
            "list_object_versions",
            Bucket=bucket,
            Prefix=self.key,
            missing="NoSuchBucket",
        )
        versions = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for kind in ("Versions", "DeleteMarkers")
            for v in (listing or {}).get(kind, [])
            if v["Key"] == self.key
        ]
        if versions:
            answer = self.write(
                "delete the test object's versions from s3://%s" % bucket,
                self.client().delete_objects,
                bookkeeping=True,
                Bucket=bucket,
                Delete={"Objects": versions, "Quiet": True},
            )
            if answer and answer.get("Errors"):
                raise CheckFailed(
                    "could not delete %s"
                    % ", ".join("%s (%s)" % (e.get("VersionId"), e.get("Code")) for e in answer["Errors"])
                )
        dynamodb = self.client("dynamodb")
        self.write(
            "delete test item %s from %s" % (self.key, table),
            dynamodb.delete_item,
            bookkeeping=True,
            TableName=table,
            Key={"session_id": {"S": self.key}},
            ignore="ResourceNotFoundException",
        )
        regions = [self.region] + list(self.params["replica_regions"])
        left = [
            r
            for r in regions
            if poll(lambda r=r: not self.read_item(r, table_may_be_missing=True), self.params["timeout"]) is None
        ]
        if left:
            raise CheckFailed("item %s is still in %s after %d s" % (self.key, ", ".join(left), self.params["timeout"]))
        return "deleted %d object version(s) and the item (gone in %s)" % (len(versions), ", ".join(regions))

    # ------------------------------------------------------------------ the API

    def find_api(self):
        """Find the API by name and its route's authorization; a check of its own when that fails."""
        apigateway = self.client("apigatewayv2")
        apis = self.paginate("list the HTTP APIs", apigateway, "get_apis").get("Items", [])
        matching = [a for a in apis if a.get("Name") == self.params["api_name"]]
        if len(matching) != 1:
            raise CheckFailed(
                "%s HTTP API named %s in %s"
                % ("no" if not matching else "more than one", self.params["api_name"], self.region)
            )
        api = matching[0]
        routes = self.paginate("list the routes of API %s" % api["ApiId"], apigateway, "get_routes", ApiId=api["ApiId"])
        route = [r for r in routes.get("Items", []) if r.get("RouteKey") == self.params["route"]]
        if not route:
            raise CheckFailed("API %s has no route %s" % (self.params["api_name"], self.params["route"]))
        endpoint = api.get("ApiEndpoint") or "https://%s.execute-api.%s.amazonaws.com" % (api["ApiId"], self.region)
        self.api = {
            "invoke_url": execute_api.stage_url(endpoint, self.params["stage"]),
            "authorization": route[0].get("AuthorizationType") or "NONE",
        }
        return "%s %s (%s)" % (self.params["route"], self.api["invoke_url"], self.api["authorization"])

    # ------------------------------------------------------------------ run

    def plan(self):
        """Check mode: the checks that would run, nothing sent or written."""
        try:
            status, detail = "passed", self.find_api()
        except CheckFailed as e:
            # A plan of a region not deployed yet: the run being planned would create the API.
            status, detail = "planned", "%s yet (a deploy would create it)" % e
        self.checks.append({"check": "api_found", "status": status, "detail": detail, "seconds": 0.0})
        for name in CHECKS[1:]:
            self.checks.append({"check": name, "status": "planned", "detail": "would run", "seconds": 0.0})

    def present(self):
        if self.check_mode:
            self.plan()
        else:
            found = self.run_check("api_found", self.find_api)
            stored = self.run_check("object_to_item", self.object_to_item)
            for name in ("api_returns_item", "api_unknown_404", "api_refuses_unauthenticated"):
                if not found:
                    self.skip(name, "no API to call")
                elif name == "api_returns_item" and not stored:
                    self.skip(name, "no item to ask for")
                else:
                    self.run_check(name, getattr(self, name))
            if stored:
                self.run_check("global_table", self.global_table)
            else:
                self.skip("global_table", "no item to look for")
            self.run_check("cleanup", self.cleanup)
        return {
            "passed": not any(c["status"] == "failed" for c in self.checks),
            "checks": self.checks,
            "authorization": (self.api or {}).get("authorization"),
            "invoke_url": (self.api or {}).get("invoke_url"),
            "object_key": self.key,
        }


def main():
    SmokeTest.main(
        dict(
            bucket=dict(type="str", required=True),
            table=dict(type="str", required=True),
            api_name=dict(type="str", required=True),
            stage=dict(type="str", required=True),
            route=dict(type="str", default="POST /process"),
            replica_regions=dict(type="list", elements="str", default=[]),
            jwt_token=dict(type="str", no_log=True),
            key_prefix=dict(type="str", default="smoke-tests/", no_log=False),
            run_id=dict(type="str"),
            timeout=dict(type="int", default=60),
        ),
    )


if __name__ == "__main__":
    main()
