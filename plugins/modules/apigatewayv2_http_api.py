#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apigatewayv2_http_api
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
short_description: Manage a whole API Gateway v2 HTTP API (Lambda proxy integration, routes, authorizer, stage)
version_added: 0.1.0
description:
  - Manages, in one invocation, an API Gateway v2 HTTP API and everything it needs to front one Lambda function.
  - That is the HTTP API itself (name, description, tags); one C(AWS_PROXY) integration to the function; the
    routes, each protected by C(AWS_IAM) or by a JWT authorizer that the module manages too; and one stage with
    auto deploy, default route throttling and access logs.
  - The API is found by name and the marker tag C(tap:apigatewayv2-http-api=<name>) (set when the module creates
    the API), so re-runs and interrupted runs never create a duplicate. An existing untagged API of that name is
    adopted and tagged. Several candidates are an error, never a guess.
  - Reads everything once, compares, and calls only what differs. A run with nothing to change makes no write
    call and reports C(changed=false). Throttling, access logs, routes, authorization, the integration target
    and the authorizer are updated in place; the API is never recreated.
  - The module owns the API. With O(purge_routes=true) routes that are not listed are deleted. When no JWT
    authorizer is configured the authorizer O(jwt_authorizer_name) is deleted once no route uses it.
  - With O(invoke_permission) it also ensures the statement of the function's resource policy that lets only
    this API (one stage, one route) invoke the function, so no separate M(amazon.aws.lambda_policy) task is needed.
options:
  name:
    description: Name of the HTTP API, for example C(tap-api-dev-us-east-1).
    type: str
    required: true
  state:
    description:
      - C(present) creates or updates the API.
      - C(absent) deletes it with all its routes, integrations, authorizers and stages.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the API. Left as it is when not given.
    type: str
  integration_uri:
    description:
      - ARN of the Lambda function (or alias) the C(AWS_PROXY) integration invokes.
      - Required when O(state=present).
    type: str
  payload_format_version:
    description: Payload format of the Lambda proxy integration.
    type: str
    choices: ['1.0', '2.0']
    default: '2.0'
  integration_timeout_ms:
    description: Integration timeout in milliseconds (50 to 30000).
    type: int
    default: 30000
  routes:
    description:
      - Route keys, each C(<METHOD> /path) or C($default), for example C(POST /process).
      - Every route targets the integration and requires authorization, C(AWS_IAM) unless O(jwt_issuer) and
        O(jwt_audience) are given (then the JWT authorizer).
      - Required when O(state=present).
    type: list
    elements: str
  purge_routes:
    description: Delete routes of the API that are not in O(routes).
    type: bool
    default: true
  jwt_issuer:
    description:
      - Issuer URL (https) of the JWT authorizer, for example a Cognito user pool URL.
      - With O(jwt_audience), switches every route to C(JWT) authorization through the authorizer
        O(jwt_authorizer_name).
    type: str
  jwt_audience:
    description: Accepted audiences (client ids) of the JWT authorizer.
    type: list
    elements: str
  jwt_identity_source:
    description: Where the authorizer finds the token.
    type: list
    elements: str
    default: ['$request.header.Authorization']
  jwt_authorizer_name:
    description: Name of the JWT authorizer the module manages.
    type: str
    default: jwt
  stage_name:
    description:
      - Name of the stage, for example the environment C(dev). C($default) serves at the API endpoint itself.
      - Required when O(state=present).
    type: str
  auto_deploy:
    description: Deploy every change of the API to the stage automatically.
    type: bool
    default: true
  throttling_burst_limit:
    description: Default route throttling burst limit of the stage (requests).
    type: int
    default: 100
  throttling_rate_limit:
    description: Default route throttling steady-state rate limit of the stage (requests per second).
    type: float
    default: 50.0
  access_log_destination_arn:
    description:
      - ARN of the CloudWatch Logs log group that receives the stage's access logs.
      - A trailing C(:*) (as in DescribeLogGroups results) is removed.
      - Required when O(state=present).
    type: str
  access_log_format:
    description:
      - Access log format, a single-line JSON template with C($context) variables; must contain C($context.requestId).
      - The default logs requestId, ip, requestTime, httpMethod, routeKey, path, status, protocol, responseLength,
        responseLatency, integrationStatus, integrationLatency, integrationErrorMessage, authorizerError and userAgent.
    type: str
  account_id:
    description:
      - AWS account that owns the API, for RV(execution_arn) and the invoke permission's source ARN. When omitted it
        is read with one C(sts:GetCallerIdentity) call.
    type: str
  invoke_permission:
    description:
      - Ensure, after the API and its stage exist, the statement of the resource policy of the integration's function
        (O(integration_uri), which must then be a Lambda function ARN) that allows API Gateway to invoke it.
      - The statement is exactly principal C(apigateway.amazonaws.com), action C(lambda:InvokeFunction) and the
        condition C(aws:SourceArn) = C(<execution_arn>/<stage_name>/<source_path>), for example
        C(arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev/POST/process).
      - The policy is read once (C(lambda:GetPolicy); a function without a policy has no statement). The statement is
        added when missing and replaced (C(lambda:RemovePermission) then C(lambda:AddPermission), Lambda has no
        update) when its principal, action, source ARN or any other condition differs. An equal statement is not
        written. Other statements of the policy are left alone.
      - Not managed with O(state=absent); deleting the function removes its policy, and a statement that names
        a deleted API allows nothing.
      - Omit it to leave the function's policy alone.
    type: dict
    suboptions:
      statement_id:
        description: Id (C(Sid)) of the statement.
        type: str
        default: apigateway-invoke
      source_path:
        description:
          - What follows the stage in the source ARN, C(<METHOD>/<path>) without the path's leading slash, for
            example C(POST/process) for the route C(POST /process).
          - Wildcards widen it, for example C(*/*) for every route of the stage; prefer the exact route.
        type: str
        required: true
notes:
  - O(tags) apply to the API and its stage. The marker tag C(tap:apigatewayv2-http-api) is added to the API and
    never removed.
  - Retries throttling (C(TooManyRequestsException), C(ThrottlingException)) with jittered exponential backoff.
  - With O(invoke_permission), also retries Lambda's C(ResourceConflictException) (an update of the function or
    of its policy in progress) when adding or replacing the statement.
  - Reads the API list, the caller identity (C(sts:GetCallerIdentity), for RV(execution_arn), only without
    O(account_id)) and the function's policy at the same time, then the API's integrations, authorizers, routes
    and stages at the same time.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Ensure the HTTP API in front of the processor ({{ inventory_hostname }})
  tap.multiregion.apigatewayv2_http_api:
    name: "tap-api-{{ tap_environment }}-{{ inventory_hostname }}"
    description: "TAP processing API ({{ tap_environment }}, {{ inventory_hostname }})"
    integration_uri: "{{ lambda_api_function_arn }}"
    routes:
      - POST /process
    stage_name: "{{ tap_environment }}"
    throttling_burst_limit: 100
    throttling_rate_limit: 50
    access_log_destination_arn: "{{ api_log_group.log_groups[0].arn }}"
    tags: "{{ tap_tags }}"
    # Only POST /process of this stage may invoke the function:
    # source ARN <execution_arn>/<stage>/POST/process, statement apigateway-invoke.
    invoke_permission:
      source_path: POST/process
  register: http_api

- name: Use a JWT authorizer (Cognito) instead of AWS_IAM
  tap.multiregion.apigatewayv2_http_api:
    name: tap-api-dev-us-east-1
    integration_uri: arn:aws:lambda:us-east-1:123456789012:function:data-processor-dev-us-east-1
    routes: [POST /process]
    jwt_issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example
    jwt_audience: [example-client-id]
    stage_name: dev
    access_log_destination_arn: arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/tap-api-dev-us-east-1

- name: Delete the API
  tap.multiregion.apigatewayv2_http_api:
    name: tap-api-dev-us-east-1
    state: absent
"""

RETURN = r"""
api_id:
  description: Id of the API (null when check mode would create it or after O(state=absent)).
  returned: always
  type: str
  sample: a1b2c3d4e5
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create HTTP API tap-api-dev-us-east-1
    - "stage dev of HTTP API tap-api-dev-us-east-1: throttling burst limit 100 -> 20"
api_endpoint:
  description: Default endpoint of the API.
  returned: always
  type: str
  sample: https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com
invoke_url:
  description: Full invoke URL of the stage, C(<api_endpoint>/<stage_name>) (the endpoint itself for C($default)).
  returned: when O(state=present)
  type: str
  sample: https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev
execution_arn:
  description:
    - Prefix of the API's execute-api ARNs, C(arn:<partition>:execute-api:<region>:<account>:<api_id>).
    - Append C(/<stage>/<METHOD>/<path>) (wildcards allowed) for a lambda permission's source ARN.
  returned: always
  type: str
  sample: arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5
stage_name:
  description: Name of the stage.
  returned: when O(state=present)
  type: str
  sample: dev
api:
  description: The API as API Gateway describes it (snake_case keys; tag keys unchanged).
  returned: when the API exists or would be created
  type: dict
  sample:
    api_id: a1b2c3d4e5
    name: tap-api-dev-us-east-1
    protocol_type: HTTP
    api_endpoint: https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com
    tags: {Environment: dev, "tap:apigatewayv2-http-api": tap-api-dev-us-east-1}
integration:
  description: The Lambda proxy integration.
  returned: when O(state=present)
  type: dict
  sample:
    integration_id: abc123
    integration_type: AWS_PROXY
    integration_uri: arn:aws:lambda:us-east-1:123456789012:function:data-processor-dev-us-east-1
    payload_format_version: '2.0'
    timeout_in_millis: 30000
authorizer:
  description: The JWT authorizer, null when the routes use C(AWS_IAM).
  returned: when O(state=present)
  type: dict
  sample:
    authorizer_id: xyz789
    authorizer_type: JWT
    name: jwt
    identity_source: [$request.header.Authorization]
    jwt_configuration: {issuer: https://issuer.example.com, audience: [client-id]}
routes:
  description: The managed routes, sorted by route key.
  returned: when O(state=present)
  type: list
  elements: dict
  sample:
    - route_id: r1s2t3
      route_key: POST /process
      target: integrations/abc123
      authorization_type: AWS_IAM
stage:
  description: The stage.
  returned: when O(state=present)
  type: dict
  sample:
    stage_name: dev
    auto_deploy: true
    default_route_settings: {throttling_burst_limit: 100, throttling_rate_limit: 50.0}
    access_log_settings:
      destination_arn: arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/tap-api-dev-us-east-1
      format: '{"requestId":"$context.requestId", ...}'
invoke_permission:
  description:
    - The statement that lets the API invoke the function, after the run; null without O(invoke_permission).
    - In check mode for an API that does not exist yet, the API id in RV(invoke_permission.source_arn) is C((new)).
  returned: when O(state=present)
  type: dict
  contains:
    statement_id:
      description: Id of the statement.
      type: str
      sample: apigateway-invoke
    function_name:
      description: The function whose resource policy holds the statement (O(integration_uri)).
      type: str
      sample: arn:aws:lambda:us-east-1:123456789012:function:data-processor-dev-us-east-1
    principal:
      description: The principal allowed to invoke.
      type: str
      sample: apigateway.amazonaws.com
    action:
      description: The action allowed.
      type: str
      sample: lambda:InvokeFunction
    source_arn:
      description: The only execute-api ARN that may invoke the function.
      type: str
      sample: arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev/POST/process
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.tap.multiregion.plugins.module_utils import apigatewayv2 as logic
from ansible_collections.tap.multiregion.plugins.module_utils import lambda_function as lambda_logic
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.resources import lambda_permission


def _clean(response):
    if response is None:
        return None
    return dict((k, v) for k, v in response.items() if k != "ResponseMetadata")


def _snake(obj):
    if obj is None:
        return None
    return camel_dict_to_snake_dict(_clean(obj), ignore_list=["Tags", "StageVariables", "RequestParameters"])


class HttpApi(AwsResource):
    SERVICE = "apigatewayv2"

    def __init__(self, module):
        super(HttpApi, self).__init__(module)
        self.name = module.params["name"]
        self.label = "HTTP API %s" % self.name
        self.api = self.client()
        self.route_keys = []

    def validate(self):
        if self.params["state"] == "present":
            self.route_keys, errors = logic.validate(self.params)
            if errors:
                raise Failure("; ".join(errors), errors=errors)

    # ---------------------------------------------------------------- reads

    def items(self, what, operation, **kwargs):
        return self.paginate(what, self.api, operation, **kwargs).get("Items", [])

    def find_api(self):
        api, error = logic.find_api(self.items("list HTTP APIs", "get_apis"), self.name)
        if error:
            raise Failure(error)
        return api

    def identity(self):
        """(account id, partition) of the caller, for the execution ARN: the given account (no call) or STS's."""
        if self.params["account_id"]:
            return self.params["account_id"], self.api.meta.partition
        found = self.read("read the caller identity", self.client("sts").get_caller_identity)
        return found["Account"], (parse_aws_arn(found["Arn"]) or {}).get("partition") or "aws"

    def function_region(self):
        return logic.lambda_function_region(self.params["integration_uri"])

    def write_api(self, sentence, operation, **kwargs):
        """A write of the API (None in check mode), its answer without ResponseMetadata."""
        return _clean(self.write(sentence, getattr(self.api, operation), **kwargs))

    def of_api(self, kind):
        return "%s of %s" % (kind, self.label)

    # ---------------------------------------------------------------- absent

    def absent(self):
        api = self.find_api()
        result = {"api_id": None, "api_endpoint": None, "execution_arn": None}
        if api:
            self.write_api("delete %s (%s)" % (self.label, api["ApiId"]), "delete_api", ApiId=api["ApiId"])
            result["api"] = _snake(api)
        self.set_diff(logic.summarize(api), {})
        return result

    # ---------------------------------------------------------------- present

    def present(self):
        p = self.params
        # Independent of each other: the API list, the account (execution ARN) and the function's policy.
        api, (account_id, partition), policy = self.concurrently(
            self.find_api,
            self.identity,
            lambda: lambda_permission.read(self, p["integration_uri"], region=self.function_region())
            if p["invoke_permission"] else None,
        )
        integrations, authorizers, routes, stages = [], [], [], []
        if api:
            api_id = api["ApiId"]
            integrations, authorizers, routes, stages = self.concurrently(*[
                lambda kind=kind: self.items("list the %s of %s" % (kind, self.label), "get_" + kind, ApiId=api_id)
                for kind in ("integrations", "authorizers", "routes", "stages")
            ])
        stage = logic.find_by(stages, "StageName", p["stage_name"])
        before = logic.summarize(api, integrations, authorizers, routes, stage)
        permission = None
        if p["invoke_permission"]:
            permission = policy.get(p["invoke_permission"]["statement_id"])
            before = dict(before, invoke_permission=permission)

        api = self.ensure_api(api, partition)
        api_id = api["ApiId"]
        integration = self.ensure_integration(api_id, integrations, routes)
        integrations = [i for i in integrations if i.get("IntegrationId") != integration["IntegrationId"]]
        integrations.append(integration)
        authorizer = self.ensure_authorizer(api_id, authorizers)
        if authorizer:
            authorizers = [a for a in authorizers if a.get("AuthorizerId") != authorizer["AuthorizerId"]] + [authorizer]
        routes = self.ensure_routes(api_id, routes, integration, authorizer)
        if not authorizer:
            authorizers = self.remove_authorizer(api_id, authorizers, routes)
        stage = self.ensure_stage(api_id, stage, partition)
        invoke_permission = None
        if p["invoke_permission"]:
            invoke_permission, permission = self.ensure_invoke_permission(api_id, policy, account_id, partition)

        after = logic.summarize(api, integrations, authorizers, routes, stage)
        if p["invoke_permission"]:
            after = dict(after, invoke_permission=permission)
        self.set_diff(before, after)
        return {
            "api_id": None if api_id == logic.NEW_ID else api_id,
            "api_endpoint": api.get("ApiEndpoint"),
            "invoke_url": logic.invoke_url(api.get("ApiEndpoint"), p["stage_name"]),
            "execution_arn": logic.execution_arn(partition, self.region, account_id, api_id),
            "stage_name": p["stage_name"],
            "api": _snake(api),
            "integration": _snake(integration),
            "authorizer": _snake(authorizer),
            "routes": [_snake(r) for r in sorted(routes, key=lambda r: r.get("RouteKey", ""))
                       if r.get("RouteKey") in self.route_keys],
            "stage": _snake(stage),
            "invoke_permission": invoke_permission,
        }

    def ensure_invoke_permission(self, api_id, policy, account_id, partition):
        """The statement that lets this API (one stage, one route) invoke the function: added when missing,
        replaced when it differs. Returns (result, normalized statement)."""
        p = self.params
        sid, function = p["invoke_permission"]["statement_id"], p["integration_uri"]
        source_arn = logic.invoke_source_arn(partition, self.region, account_id, api_id, p["stage_name"],
                                             p["invoke_permission"]["source_path"])
        desired = lambda_logic.desired_permissions(
            [{"sid": sid, "principal": logic.INVOKE_PRINCIPAL, "action": logic.INVOKE_ACTION, "source_arn": source_arn}]
        )
        lambda_permission.ensure(self, function, policy, desired, region=self.function_region())
        result = {"statement_id": sid, "function_name": function, "principal": logic.INVOKE_PRINCIPAL,
                  "action": logic.INVOKE_ACTION, "source_arn": source_arn}
        return result, desired[sid]

    def ensure_api(self, api, partition):
        p = self.params
        tags = logic.api_tags(p["tags"], self.name)
        if not api:
            kwargs = {"Name": self.name, "ProtocolType": "HTTP", "Tags": tags}
            if p["description"] is not None:
                kwargs["Description"] = p["description"]
            created = self.write_api("create %s" % self.label, "create_api", **kwargs)
            return created or dict(kwargs, ApiId=logic.NEW_ID, ApiEndpoint=None)

        api = dict(api)
        if p["description"] is not None and (api.get("Description") or "") != p["description"]:
            updated = self.write_api(
                "%s: description %s -> %s" % (self.label, api.get("Description") or "", p["description"]),
                "update_api", ApiId=api["ApiId"], Description=p["description"])
            api = dict(updated or api, Description=p["description"], Tags=api.get("Tags"))
        arn = logic.api_arn(partition, self.region, api["ApiId"])
        api["Tags"] = self.sync_tags(
            self.label, api.get("Tags"), tags,
            tag=lambda to_set: self.api.tag_resource(aws_retry=True, ResourceArn=arn, Tags=to_set),
            untag=lambda keys: self.api.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=keys),
            purge=p["purge_tags"] and p["tags"] is not None,
        )
        return api

    def ensure_integration(self, api_id, integrations, routes):
        p = self.params
        desired = logic.desired_integration(p["integration_uri"], p["payload_format_version"],
                                            p["integration_timeout_ms"])
        referenced = set(logic.target_integration_id(r) for r in routes if r.get("RouteKey") in self.route_keys)
        current = logic.select_integration(integrations, p["integration_uri"], referenced)
        if not current:
            created = self.write_api("create %s (AWS_PROXY to %s)" % (self.of_api("integration"), p["integration_uri"]),
                                     "create_integration", ApiId=api_id, **desired)
            return created or dict(desired, IntegrationId=logic.NEW_ID)
        changes = logic.integration_changes(current, desired)
        if not changes:
            return current
        updated = self.write_api("%s: %s" % (self.of_api("integration"), logic.change_sentence(current, changes)),
                                 "update_integration", ApiId=api_id, IntegrationId=current["IntegrationId"], **changes)
        return updated or logic.apply_changes(current, changes)

    def ensure_authorizer(self, api_id, authorizers):
        p = self.params
        if not p["jwt_issuer"]:
            return None
        desired = logic.desired_authorizer(p["jwt_authorizer_name"], p["jwt_issuer"], p["jwt_audience"],
                                           p["jwt_identity_source"])
        label = self.of_api("JWT authorizer %s" % desired["Name"])
        current = logic.find_by(authorizers, "Name", p["jwt_authorizer_name"])
        if not current:
            created = self.write_api("create %s" % label, "create_authorizer", ApiId=api_id, **desired)
            return created or dict(desired, AuthorizerId=logic.NEW_ID)
        changes = logic.authorizer_changes(current, desired)
        if not changes:
            return current
        updated = self.write_api("%s: %s" % (label, logic.change_sentence(current, changes)), "update_authorizer",
                                 ApiId=api_id, AuthorizerId=current["AuthorizerId"], **changes)
        return updated or logic.apply_changes(current, changes)

    def ensure_routes(self, api_id, routes, integration, authorizer):
        by_key = dict((r.get("RouteKey"), r) for r in routes)
        authorizer_id = authorizer["AuthorizerId"] if authorizer else None
        result = []
        for key in self.route_keys:
            desired = logic.desired_route(key, integration["IntegrationId"], authorizer_id)
            label = self.of_api("route %s" % key)
            current = by_key.get(key)
            if not current:
                created = self.write_api("create %s (%s)" % (label, desired["AuthorizationType"]), "create_route",
                                         ApiId=api_id, **desired)
                result.append(created or dict(desired, RouteId=logic.NEW_ID))
                continue
            changes = logic.route_changes(current, desired)
            if changes:
                updated = self.write_api("%s: %s" % (label, logic.change_sentence(current, changes)), "update_route",
                                         ApiId=api_id, RouteId=current["RouteId"], **changes)
                current = updated or logic.route_after_update(current, changes)
            result.append(current)
        for key, current in sorted(by_key.items()):
            if key in self.route_keys:
                continue
            if self.params["purge_routes"]:
                self.write_api("delete %s" % self.of_api("route %s" % key), "delete_route", ApiId=api_id,
                               RouteId=current["RouteId"])
            else:
                result.append(current)
        return result

    def remove_authorizer(self, api_id, authorizers, routes):
        """Without JWT settings, delete the managed authorizer once no route uses it."""
        name = self.params["jwt_authorizer_name"]
        current = logic.find_by(authorizers, "Name", name)
        # Any reference counts (AWS refuses to delete an authorizer a route still names).
        if not current or any(r.get("AuthorizerId") == current["AuthorizerId"] for r in routes):
            return authorizers
        self.write_api("delete %s" % self.of_api("JWT authorizer %s" % name), "delete_authorizer", ApiId=api_id,
                       AuthorizerId=current["AuthorizerId"])
        return [a for a in authorizers if a is not current]

    def ensure_stage(self, api_id, current, partition):
        p = self.params
        desired = logic.desired_stage(p["stage_name"], p["auto_deploy"], p["throttling_burst_limit"],
                                      p["throttling_rate_limit"], p["access_log_destination_arn"],
                                      p["access_log_format"] or logic.DEFAULT_ACCESS_LOG_FORMAT)
        label = self.of_api("stage %s" % p["stage_name"])
        tags = dict((k, str(v)) for k, v in (p["tags"] or {}).items())
        if not current:
            kwargs = dict(desired, Tags=tags) if tags else dict(desired)
            return self.write_api("create %s" % label, "create_stage", ApiId=api_id, **kwargs) or kwargs
        changes = logic.stage_changes(current, desired)
        stage = current
        if changes:
            updated = self.write_api("%s: %s" % (label, logic.change_sentence(current, changes)), "update_stage",
                                     ApiId=api_id, StageName=p["stage_name"], **changes)
            stage = dict(updated or logic.apply_changes(current, changes), Tags=current.get("Tags"))
        arn = logic.stage_arn(partition, self.region, api_id, p["stage_name"])
        return dict(stage, Tags=self.sync_tags(
            label, current.get("Tags"), tags if p["tags"] is not None else None,
            tag=lambda to_set: self.api.tag_resource(aws_retry=True, ResourceArn=arn, Tags=to_set),
            untag=lambda keys: self.api.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=keys),
        ))


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        description=dict(type="str"),
        integration_uri=dict(type="str"),
        payload_format_version=dict(type="str", choices=["1.0", "2.0"], default="2.0"),
        integration_timeout_ms=dict(type="int", default=30000),
        routes=dict(type="list", elements="str"),
        purge_routes=dict(type="bool", default=True),
        jwt_issuer=dict(type="str"),
        jwt_audience=dict(type="list", elements="str"),
        jwt_identity_source=dict(type="list", elements="str", default=list(logic.DEFAULT_IDENTITY_SOURCE)),
        jwt_authorizer_name=dict(type="str", default="jwt"),
        stage_name=dict(type="str"),
        auto_deploy=dict(type="bool", default=True),
        throttling_burst_limit=dict(type="int", default=100),
        throttling_rate_limit=dict(type="float", default=50.0),
        access_log_destination_arn=dict(type="str"),
        access_log_format=dict(type="str"),
        account_id=dict(type="str"),
        invoke_permission=dict(type="dict", options=dict(
            statement_id=dict(type="str", default=logic.DEFAULT_INVOKE_STATEMENT_ID),
            source_path=dict(type="str", required=True),
        )),
    )
    HttpApi.main(
        argument_spec,
        required_if=[("state", "present", ["integration_uri", "routes", "stage_name", "access_log_destination_arn"])],
        required_together=[("jwt_issuer", "jwt_audience")],
        tags=True,
    )


if __name__ == "__main__":
    main()
