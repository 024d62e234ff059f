#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apigatewayv2_http_api
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
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
  tags:
    description:
      - Tags of the API and of its stage.
      - The marker tag C(tap:apigatewayv2-http-api) is added to the API and never removed.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in O(tags). Ignored when O(tags) is not given.
    type: bool
    default: true
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
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would be created or changed and writes nothing.
  diff_mode:
    support: full
    description: Shows the managed settings (id-free) before and after.
notes:
  - Retries throttling (C(TooManyRequestsException), C(ThrottlingException)) with jittered exponential backoff.
  - With O(invoke_permission), also retries Lambda's C(TooManyRequestsException), and
    C(ResourceConflictException) (an update of the function in progress) when removing a statement.
  - Calls C(sts:GetCallerIdentity) once to build RV(execution_arn).
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
actions:
  description: What the module did (or would do in check mode), one line per write call.
  returned: always
  type: list
  elements: str
  sample: ["create api tap-api-dev-us-east-1", "update stage dev: DefaultRouteSettings"]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.iam import get_aws_account_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.tap.multiregion.plugins.module_utils import apigatewayv2 as logic
from ansible_collections.tap.multiregion.plugins.module_utils import lambda_function as lambda_logic

# Throttling codes API Gateway and Lambda (TooManyRequestsException) and other services use.
RETRY_CODES = ["ThrottlingException", "TooManyRequestsException"]
# RemovePermission while an update of the function is in progress.
CONFLICT_CODES = ["ResourceConflictException"]


@AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES)
def _list(client, operation, **kwargs):
    return client.get_paginator(operation).paginate(**kwargs).build_full_result().get("Items", [])


def _clean(response):
    if response is None:
        return None
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _snake(obj):
    if obj is None:
        return None
    return camel_dict_to_snake_dict(_clean(obj), ignore_list=["Tags", "StageVariables", "RequestParameters"])


class HttpApiManager:
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.check_mode = module.check_mode
        self.changed = False
        self.actions = []
        self.region = module.region
        self.account_id = None
        self.partition = "aws"
        self._lambda = None

    # ---------------------------------------------------------------- helpers

    def call(self, operation, what, client=None, **kwargs):
        """A write call (on the apigatewayv2 client unless client is given): recorded in actions; skipped in
        check mode (returns None then)."""
        self.changed = True
        self.actions.append(what)
        if self.check_mode:
            return None
        try:
            return _clean(getattr(client or self.client, operation)(aws_retry=True, **kwargs))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="Failed to %s" % what)

    def lambda_client(self, conflicts=False):
        """Lambda client in the function's region; conflicts: also retry ResourceConflictException."""
        if self._lambda is None:
            region = logic.lambda_function_region(self.params["integration_uri"])
            raw = self.module.client("lambda", region=region)
            self._lambda = {
                False: RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES)),
                True: RetryingBotoClientWrapper(
                    raw, AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES + CONFLICT_CODES)
                ),
            }
        return self._lambda[conflicts]

    def read(self, operation, what, **kwargs):
        try:
            return _list(self.client, operation, **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="Failed to %s" % what)

    def find_api(self):
        name = self.params["name"]
        api, error = logic.find_api(self.read("get_apis", "list HTTP APIs"), name)
        if error:
            self.module.fail_json(msg=error)
        return api

    def account(self):
        self.account_id, self.partition = get_aws_account_info(self.module)

    def sync_tags(self, arn, what, current, desired, purge):
        to_set, to_remove = logic.tag_changes(current, desired, purge)
        if to_remove:
            self.call(
                "untag_resource", "untag %s: %s" % (what, ", ".join(to_remove)), ResourceArn=arn, TagKeys=to_remove
            )
        if to_set:
            self.call("tag_resource", "tag %s: %s" % (what, ", ".join(sorted(to_set))), ResourceArn=arn, Tags=to_set)
        tags = {k: v for k, v in (current or {}).items() if k not in to_remove}
        tags.update(to_set)
        return tags

    # ---------------------------------------------------------------- absent

    def ensure_absent(self):
        api = self.find_api()
        result = {"api_id": None, "api_endpoint": None, "execution_arn": None}
        if api:
            self.call("delete_api", "delete api %s (%s)" % (api["Name"], api["ApiId"]), ApiId=api["ApiId"])
            result["api"] = _snake(api)
        if self.module._diff:
            result["diff"] = {"before": logic.summarize(api), "after": {}}
        self.module.exit_json(changed=self.changed, actions=self.actions, **result)

    # ---------------------------------------------------------------- present

    def ensure_present(self):
        p = self.params
        route_keys, errors = logic.validate(p)
        if errors:
            self.module.fail_json(msg="; ".join(errors), errors=errors)

        api = self.find_api()
        self.account()
        integrations, authorizers, routes, stages = [], [], [], []
        if api:
            api_id = api["ApiId"]
            integrations = self.read("get_integrations", "list integrations", ApiId=api_id)
            authorizers = self.read("get_authorizers", "list authorizers", ApiId=api_id)
            routes = self.read("get_routes", "list routes", ApiId=api_id)
            stages = self.read("get_stages", "list stages", ApiId=api_id)
        stage = logic.find_by(stages, "StageName", p["stage_name"])
        before = logic.summarize(api, integrations, authorizers, routes, stage)
        if p["invoke_permission"]:
            permission = self.read_invoke_permission()
            before = dict(before, invoke_permission=permission)

        api = self.ensure_api(api)
        api_id = api["ApiId"]
        integration = self.ensure_integration(api_id, integrations, routes, route_keys)
        integrations = [i for i in integrations if i.get("IntegrationId") != integration["IntegrationId"]] + [
            integration
        ]
        authorizer = self.ensure_authorizer(api_id, authorizers)
        if authorizer:
            authorizers = [a for a in authorizers if a.get("AuthorizerId") != authorizer["AuthorizerId"]] + [authorizer]
        routes = self.ensure_routes(api_id, routes, route_keys, integration, authorizer)
        if not authorizer:
            authorizers = self.remove_authorizer(api_id, authorizers, routes)
        stage = self.ensure_stage(api, stage)
        invoke_permission = None
        if p["invoke_permission"]:
            invoke_permission, permission = self.ensure_invoke_permission(api_id, permission)

        result = {
            "api_id": None if api_id == logic.NEW_ID else api_id,
            "api_endpoint": api.get("ApiEndpoint"),
            "invoke_url": logic.invoke_url(api.get("ApiEndpoint"), p["stage_name"]),
            "execution_arn": logic.execution_arn(self.partition, self.region, self.account_id, api_id),
            "stage_name": p["stage_name"],
            "api": _snake(api),
            "integration": _snake(integration),
            "authorizer": _snake(authorizer),
            "routes": [
                _snake(r)
                for r in sorted(routes, key=lambda r: r.get("RouteKey", ""))
                if r.get("RouteKey") in route_keys
            ],
            "stage": _snake(stage),
            "invoke_permission": invoke_permission,
        }
        if self.module._diff:
            after = logic.summarize(api, integrations, authorizers, routes, stage)
            if p["invoke_permission"]:
                after = dict(after, invoke_permission=permission)
            result["diff"] = {"before": before, "after": after}
        self.module.exit_json(changed=self.changed, actions=self.actions, **result)

    def read_invoke_permission(self):
        """The invoke_permission statement of the function's resource policy, normalized (None: not there).

        One GetPolicy call; ResourceNotFoundException means the function has no policy (or, in check mode on a new
        stack, no function yet).
        """
        function = self.params["integration_uri"]
        try:
            found = self.lambda_client().get_policy(aws_retry=True, FunctionName=function)
        except is_boto3_error_code("ResourceNotFoundException"):
            return None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to read the resource policy of %s" % function)
        statements = lambda_logic.current_permissions(found.get("Policy"))
        return statements.get(self.params["invoke_permission"]["statement_id"])

    def ensure_invoke_permission(self, api_id, current):
        """Add the statement when missing, replace it when it differs. Returns (result, normalized statement)."""
        p = self.params
        sid = p["invoke_permission"]["statement_id"]
        function = p["integration_uri"]
        source_arn = logic.invoke_source_arn(
            self.partition, self.region, self.account_id, api_id, p["stage_name"], p["invoke_permission"]["source_path"]
        )
        desired = lambda_logic.desired_permissions(
            [{"sid": sid, "principal": logic.INVOKE_PRINCIPAL, "action": logic.INVOKE_ACTION, "source_arn": source_arn}]
        )
        to_remove, to_add = lambda_logic.permission_changes({sid: current} if current else {}, desired)
        for statement_id in to_remove:
            self.call(
                "remove_permission",
                "remove permission %s of %s (it differs)" % (statement_id, function),
                client=self.lambda_client(conflicts=True),
                FunctionName=function,
                StatementId=statement_id,
            )
        for statement_id in to_add:
            self.call(
                "add_permission",
                "allow %s to invoke %s from %s (%s)" % (logic.INVOKE_PRINCIPAL, function, source_arn, statement_id),
                client=self.lambda_client(),
                **lambda_logic.add_permission_kwargs(function, statement_id, desired[statement_id]),
            )
        result = {
            "statement_id": sid,
            "function_name": function,
            "principal": logic.INVOKE_PRINCIPAL,
            "action": logic.INVOKE_ACTION,
            "source_arn": source_arn,
        }
        return result, desired[sid]

    def ensure_api(self, api):
        p = self.params
        name = p["name"]
        desired_tags = dict(p["tags"] or {})
        desired_tags[logic.MARKER_TAG_KEY] = name
        if not api:
            kwargs = {"Name": name, "ProtocolType": "HTTP", "Tags": {k: str(v) for k, v in desired_tags.items()}}
            if p["description"] is not None:
                kwargs["Description"] = p["description"]
            created = self.call("create_api", "create api %s" % name, **kwargs)
            if created is None:  # check mode
                created = dict(kwargs, ApiId=logic.NEW_ID, ApiEndpoint=None)
            return created

        api = dict(api)
        if p["description"] is not None and (api.get("Description") or "") != p["description"]:
            updated = self.call(
                "update_api", "update api %s: Description" % name, ApiId=api["ApiId"], Description=p["description"]
            )
            api = dict(updated or api, Description=p["description"], Tags=api.get("Tags"))
        arn = logic.api_arn(self.partition, self.region, api["ApiId"])
        purge = p["purge_tags"] and p["tags"] is not None
        api["Tags"] = self.sync_tags(arn, "api %s" % name, api.get("Tags"), desired_tags, purge)
        return api

    def ensure_integration(self, api_id, integrations, routes, route_keys):
        p = self.params
        desired = logic.desired_integration(
            p["integration_uri"], p["payload_format_version"], p["integration_timeout_ms"]
        )
        referenced = {logic.target_integration_id(r) for r in routes if r.get("RouteKey") in route_keys}
        current = logic.select_integration(integrations, p["integration_uri"], referenced)
        if not current:
            created = self.call(
                "create_integration", "create integration to %s" % p["integration_uri"], ApiId=api_id, **desired
            )
            return created or dict(desired, IntegrationId=logic.NEW_ID)
        changes = logic.integration_changes(current, desired)
        if not changes:
            return current
        updated = self.call(
            "update_integration",
            "update integration %s: %s" % (current["IntegrationId"], ", ".join(sorted(changes))),
            ApiId=api_id,
            IntegrationId=current["IntegrationId"],
            **changes,
        )
        return updated or logic.apply_changes(current, changes)

    def ensure_authorizer(self, api_id, authorizers):
        p = self.params
        if not p["jwt_issuer"]:
            return None
        desired = logic.desired_authorizer(
            p["jwt_authorizer_name"], p["jwt_issuer"], p["jwt_audience"], p["jwt_identity_source"]
        )
        current = logic.find_by(authorizers, "Name", p["jwt_authorizer_name"])
        if not current:
            created = self.call(
                "create_authorizer", "create JWT authorizer %s" % desired["Name"], ApiId=api_id, **desired
            )
            return created or dict(desired, AuthorizerId=logic.NEW_ID)
        changes = logic.authorizer_changes(current, desired)
        if not changes:
            return current
        updated = self.call(
            "update_authorizer",
            "update authorizer %s: %s" % (desired["Name"], ", ".join(sorted(changes))),
            ApiId=api_id,
            AuthorizerId=current["AuthorizerId"],
            **changes,
        )
        return updated or logic.apply_changes(current, changes)

    def ensure_routes(self, api_id, routes, route_keys, integration, authorizer):
        by_key = {r.get("RouteKey"): r for r in routes}
        authorizer_id = authorizer["AuthorizerId"] if authorizer else None
        result = []
        for key in route_keys:
            desired = logic.desired_route(key, integration["IntegrationId"], authorizer_id)
            current = by_key.get(key)
            if not current:
                created = self.call(
                    "create_route",
                    "create route %s (%s)" % (key, desired["AuthorizationType"]),
                    ApiId=api_id,
                    **desired,
                )
                result.append(created or dict(desired, RouteId=logic.NEW_ID))
                continue
            changes = logic.route_changes(current, desired)
            if changes:
                updated = self.call(
                    "update_route",
                    "update route %s: %s" % (key, ", ".join(sorted(changes))),
                    ApiId=api_id,
                    RouteId=current["RouteId"],
                    **changes,
                )
                current = updated or logic.route_after_update(current, changes)
            result.append(current)
        for key, current in sorted(by_key.items()):
            if key in route_keys:
                continue
            if self.params["purge_routes"]:
                self.call("delete_route", "delete route %s" % key, ApiId=api_id, RouteId=current["RouteId"])
            else:
                result.append(current)
        return result

    def remove_authorizer(self, api_id, authorizers, routes):
        """Without JWT settings, delete the managed authorizer once no route uses it."""
        name = self.params["jwt_authorizer_name"]
        current = logic.find_by(authorizers, "Name", name)
        if not current:
            return authorizers
        # Any reference counts (AWS refuses to delete an authorizer a route still names).
        if any(r.get("AuthorizerId") == current["AuthorizerId"] for r in routes):
            return authorizers
        self.call(
            "delete_authorizer", "delete JWT authorizer %s" % name, ApiId=api_id, AuthorizerId=current["AuthorizerId"]
        )
        return [a for a in authorizers if a is not current]

    def ensure_stage(self, api, current):
        p = self.params
        api_id = api["ApiId"]
        desired = logic.desired_stage(
            p["stage_name"],
            p["auto_deploy"],
            p["throttling_burst_limit"],
            p["throttling_rate_limit"],
            p["access_log_destination_arn"],
            p["access_log_format"] or logic.DEFAULT_ACCESS_LOG_FORMAT,
        )
        tags = {k: str(v) for k, v in (p["tags"] or {}).items()}
        if not current:
            kwargs = dict(desired)
            if tags:
                kwargs["Tags"] = tags
            created = self.call("create_stage", "create stage %s" % p["stage_name"], ApiId=api_id, **kwargs)
            return created or kwargs
        changes = logic.stage_changes(current, desired)
        stage = current
        if changes:
            updated = self.call(
                "update_stage",
                "update stage %s: %s" % (p["stage_name"], ", ".join(sorted(changes))),
                ApiId=api_id,
                StageName=p["stage_name"],
                **changes,
            )
            stage = dict(updated or logic.apply_changes(current, changes), Tags=current.get("Tags"))
        if p["tags"] is not None:
            arn = logic.stage_arn(self.partition, self.region, api_id, p["stage_name"])
            stage = dict(stage)
            stage["Tags"] = self.sync_tags(
                arn, "stage %s" % p["stage_name"], current.get("Tags"), tags, p["purge_tags"]
            )
        return stage


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        description=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
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
        invoke_permission=dict(
            type="dict",
            options=dict(
                statement_id=dict(type="str", default=logic.DEFAULT_INVOKE_STATEMENT_ID),
                source_path=dict(type="str", required=True),
            ),
        ),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["integration_uri", "routes", "stage_name", "access_log_destination_arn"])],
        required_together=[("jwt_issuer", "jwt_audience")],
    )
    client = module.client(
        "apigatewayv2", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES)
    )
    manager = HttpApiManager(module, client)
    if module.params["state"] == "absent":
        manager.ensure_absent()
    else:
        manager.ensure_present()


if __name__ == "__main__":
    main()
