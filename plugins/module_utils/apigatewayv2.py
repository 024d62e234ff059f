# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure compare logic for the apigatewayv2_http_api module (no AWS calls here).

Every function takes and returns plain dicts shaped like boto3's apigatewayv2 responses
(CamelCase keys), so the module only reads, calls what these functions say differs and
reports; everything that decides "is it equal?" is unit-testable without AWS.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.tap.multiregion.plugins.module_utils.base import show

# Tag that marks an HTTP API as managed by the module; its value is the API's name.
# CreateApi sets it atomically with the API, so an interrupted run is found again by
# name + tag and never duplicated. It is never purged.
MARKER_TAG_KEY = "tap:apigatewayv2-http-api"

# Placeholder id of a resource that check mode would create.
NEW_ID = "(new)"

HTTP_METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

DEFAULT_IDENTITY_SOURCE = ["$request.header.Authorization"]

# The lambda permission (invoke_permission) that lets the API invoke its integration's function.
INVOKE_PRINCIPAL = "apigateway.amazonaws.com"
INVOKE_ACTION = "lambda:InvokeFunction"
DEFAULT_INVOKE_STATEMENT_ID = "apigateway-invoke"

# One JSON object per request; API Gateway requires $context.requestId (or extendedRequestId).
DEFAULT_ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationStatus": "$context.integrationStatus",
        "integrationLatency": "$context.integrationLatency",
        "integrationErrorMessage": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
        "userAgent": "$context.identity.userAgent",
    },
    separators=(",", ":"),
)

_PATH_RE = re.compile(r"^/[A-Za-z0-9._~:@!$&'()*+,;=/{}%-]*$")
# Function ARN, optionally qualified by a version or an alias (what an AWS_PROXY integration invokes).
_LAMBDA_ARN_RE = re.compile(
    r"^arn:(?P<partition>[a-z0-9-]+):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:[A-Za-z0-9_-]+"
    r"(:[A-Za-z0-9$_-]+)?$"
)
# Lambda's StatementId pattern.
_STATEMENT_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# <METHOD>/<path> after the stage in an execute-api ARN, for example POST/process or */*; '*' alone = any.
_SOURCE_PATH_RE = re.compile(r"^[A-Za-z*]+(/\S*)?$")
_LOG_GROUP_ARN_RE = re.compile(r"^arn:[a-z0-9-]+:logs:[a-z0-9-]+:\d{12}:log-group:[\w./#-]+$")


# --------------------------------------------------------------------------- validation


def normalize_route_key(key):
    """Return (normalized key, error). 'post  /process' -> 'POST /process'; '$default' stays."""
    text = " ".join(str(key).split())
    if text == "$default":
        return text, None
    method, _sep, path = text.partition(" ")
    method = method.upper()
    if method not in HTTP_METHODS or not _PATH_RE.match(path or ""):
        return None, (
            "routes: %r is not a route key of an HTTP API; use '$default' or '<METHOD> /path' with METHOD one of %s"
            % (key, ", ".join(HTTP_METHODS))
        )
    return "%s %s" % (method, path), None


def normalize_log_destination(arn):
    """Log group ARNs are often given with the ':*' suffix of DescribeLogGroups; the stage wants it without."""
    if arn and arn.endswith(":*"):
        return arn[:-2]
    return arn


def validate(params):
    """Check the module parameters for state=present. Returns (normalized route keys, errors)."""
    errors = []
    routes = []
    for key in params.get("routes") or []:
        normalized, error = normalize_route_key(key)
        if error:
            errors.append(error)
        elif normalized in routes:
            errors.append("routes: %s is listed twice" % normalized)
        else:
            routes.append(normalized)
    if params.get("routes") is not None and not params.get("routes"):
        errors.append("routes: give at least one route key, e.g. 'POST /process'")

    issuer = params.get("jwt_issuer")
    audience = params.get("jwt_audience")
    if issuer is not None or audience is not None:
        if not issuer or not str(issuer).startswith("https://"):
            errors.append("jwt_issuer: %r must be an https:// URL (the token issuer)" % (issuer,))
        if not audience or any(not a for a in audience):
            errors.append("jwt_audience: give at least one non-empty audience (client id)")
    if params.get("jwt_identity_source") is not None and not params.get("jwt_identity_source"):
        errors.append("jwt_identity_source: give at least one identity source, e.g. $request.header.Authorization")

    burst = params.get("throttling_burst_limit")
    rate = params.get("throttling_rate_limit")
    if burst is not None and burst < 0:
        errors.append("throttling_burst_limit: %s must be 0 or more" % burst)
    if rate is not None and rate < 0:
        errors.append("throttling_rate_limit: %s must be 0 or more" % rate)

    timeout = params.get("integration_timeout_ms")
    if timeout is not None and not 50 <= timeout <= 30000:
        errors.append("integration_timeout_ms: %s is outside the range HTTP APIs allow (50 to 30000)" % timeout)

    destination = normalize_log_destination(params.get("access_log_destination_arn"))
    if destination is not None and not _LOG_GROUP_ARN_RE.match(destination):
        errors.append(
            "access_log_destination_arn: %r is not a CloudWatch Logs log group ARN "
            "(arn:<partition>:logs:<region>:<account>:log-group:<name>)" % destination
        )
    log_format = params.get("access_log_format")
    if (
        log_format is not None
        and "$context.requestId" not in log_format
        and "$context.extendedRequestId" not in log_format
    ):
        errors.append("access_log_format: must contain $context.requestId (API Gateway rejects a format without it)")

    errors.extend(validate_invoke_permission(params.get("invoke_permission"), params.get("integration_uri")))
    return routes, errors


def validate_invoke_permission(permission, integration_uri):
    """Errors of the invoke_permission option (none when it is not given)."""
    if not permission:
        return []
    errors = []
    if integration_uri is not None and not lambda_function_region(integration_uri):
        errors.append(
            "invoke_permission: integration_uri %r is not a Lambda function ARN "
            "(arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>])" % integration_uri
        )
    statement_id = permission.get("statement_id")
    if not _STATEMENT_ID_RE.match(statement_id or ""):
        errors.append(
            "invoke_permission.statement_id: %r must be 1 to 100 letters, digits, '.', '_' or '-'" % (statement_id,)
        )
    source_path = permission.get("source_path")
    if not _SOURCE_PATH_RE.match(source_path or ""):
        errors.append(
            "invoke_permission.source_path: %r must be <METHOD>/<path> without the path's leading slash, "
            "for example POST/process (wildcards: */*)" % (source_path,)
        )
    return errors


def lambda_function_region(arn):
    """Region of a Lambda function ARN (None when arn is not one)."""
    match = _LAMBDA_ARN_RE.match(arn or "")
    return match.group("region") if match else None


# --------------------------------------------------------------------------- lookups


def find_api(apis, name):
    """The HTTP API called name: the one carrying the marker tag, else the only one of that name.

    Returns (api or None, error or None); several candidates are an error, never a guess.
    """
    named = [a for a in apis if a.get("Name") == name and a.get("ProtocolType", "HTTP") == "HTTP"]
    marked = [a for a in named if (a.get("Tags") or {}).get(MARKER_TAG_KEY) == name]
    candidates = marked or named
    if len(candidates) > 1:
        return None, "%d HTTP APIs are named %s (%s); delete the extra ones or tag the one to manage with %s=%s" % (
            len(candidates),
            name,
            ", ".join(sorted(a.get("ApiId", "?") for a in candidates)),
            MARKER_TAG_KEY,
            name,
        )
    return (candidates[0] if candidates else None), None


def select_integration(integrations, uri, referenced_ids=()):
    """The AWS_PROXY integration to manage: same URI first, then one our routes use, then the first."""
    proxies = [i for i in integrations if i.get("IntegrationType") == "AWS_PROXY"]
    for integration in proxies:
        if integration.get("IntegrationUri") == uri:
            return integration
    for integration in proxies:
        if integration.get("IntegrationId") in referenced_ids:
            return integration
    return proxies[0] if proxies else None


def find_by(items, key, value):
    for item in items:
        if item.get(key) == value:
            return item
    return None


def target_integration_id(route):
    target = route.get("Target") or ""
    return target[len("integrations/") :] if target.startswith("integrations/") else None


# --------------------------------------------------------------------------- desired state


def desired_integration(uri, payload_format_version="2.0", timeout_ms=30000):
    return {
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": uri,
        "PayloadFormatVersion": payload_format_version,
        "TimeoutInMillis": timeout_ms,
    }


def desired_authorizer(name, issuer, audience, identity_source=None):
    return {
        "Name": name,
        "AuthorizerType": "JWT",
        "IdentitySource": list(identity_source or DEFAULT_IDENTITY_SOURCE),
        "JwtConfiguration": {"Issuer": issuer, "Audience": list(audience)},
    }


def desired_route(route_key, integration_id, authorizer_id=None):
    """AWS_IAM unless an authorizer id is given (then JWT with that authorizer)."""
    route = {"RouteKey": route_key, "Target": "integrations/%s" % integration_id}
    if authorizer_id:
        route.update(AuthorizationType="JWT", AuthorizerId=authorizer_id)
    else:
        route["AuthorizationType"] = "AWS_IAM"
    return route


def desired_stage(name, auto_deploy, burst_limit, rate_limit, destination_arn, log_format):
    return {
        "StageName": name,
        "AutoDeploy": bool(auto_deploy),
        "DefaultRouteSettings": {"ThrottlingBurstLimit": int(burst_limit), "ThrottlingRateLimit": float(rate_limit)},
        "AccessLogSettings": {"DestinationArn": normalize_log_destination(destination_arn), "Format": log_format},
    }


# --------------------------------------------------------------------------- compare


def _number_differs(current, desired):
    if current is None:
        return desired is not None
    try:
        return abs(float(current) - float(desired)) > 1e-9
    except (TypeError, ValueError):
        return True


def integration_changes(current, desired):
    """Parameters UpdateIntegration needs to turn current into desired ({} when equal)."""
    changes = {}
    for key in ("IntegrationType", "IntegrationUri", "PayloadFormatVersion"):
        if current.get(key) != desired[key]:
            changes[key] = desired[key]
    if desired.get("TimeoutInMillis") is not None and _number_differs(
        current.get("TimeoutInMillis"), desired["TimeoutInMillis"]
    ):
        changes["TimeoutInMillis"] = desired["TimeoutInMillis"]
    return changes


def authorizer_changes(current, desired):
    """Parameters UpdateAuthorizer needs ({} when equal). Audience order does not matter."""
    changes = {}
    if current.get("AuthorizerType") != desired["AuthorizerType"]:
        changes["AuthorizerType"] = desired["AuthorizerType"]
    if list(current.get("IdentitySource") or []) != desired["IdentitySource"]:
        changes["IdentitySource"] = desired["IdentitySource"]
    jwt = current.get("JwtConfiguration") or {}
    wanted = desired["JwtConfiguration"]
    if jwt.get("Issuer") != wanted["Issuer"] or sorted(jwt.get("Audience") or []) != sorted(wanted["Audience"]):
        changes["JwtConfiguration"] = wanted
    return changes


def route_changes(current, desired):
    """Parameters UpdateRoute needs ({} when equal).

    API Gateway requires AuthorizationType whenever AuthorizerId is sent; switching a route to
    AWS_IAM detaches its authorizer, so no AuthorizerId is sent then.
    """
    changes = {}
    if current.get("Target") != desired["Target"]:
        changes["Target"] = desired["Target"]
    if current.get("AuthorizationType") != desired["AuthorizationType"]:
        changes["AuthorizationType"] = desired["AuthorizationType"]
    if desired["AuthorizationType"] == "JWT" and (current.get("AuthorizerId") or None) != desired["AuthorizerId"]:
        changes["AuthorizerId"] = desired["AuthorizerId"]
        changes["AuthorizationType"] = "JWT"
    return changes


def stage_changes(current, desired):
    """Parameters UpdateStage needs ({} when equal). Route settings we do not manage are kept."""
    changes = {}
    if bool(current.get("AutoDeploy")) != desired["AutoDeploy"]:
        changes["AutoDeploy"] = desired["AutoDeploy"]
    settings = current.get("DefaultRouteSettings") or {}
    wanted = desired["DefaultRouteSettings"]
    if settings.get("ThrottlingBurstLimit") != wanted["ThrottlingBurstLimit"] or _number_differs(
        settings.get("ThrottlingRateLimit"), wanted["ThrottlingRateLimit"]
    ):
        merged = dict(settings)
        merged.update(wanted)
        changes["DefaultRouteSettings"] = merged
    logs = current.get("AccessLogSettings") or {}
    wanted_logs = desired["AccessLogSettings"]
    if (
        normalize_log_destination(logs.get("DestinationArn")) != wanted_logs["DestinationArn"]
        or logs.get("Format") != wanted_logs["Format"]
    ):
        changes["AccessLogSettings"] = wanted_logs
    return changes


def api_tags(tags, name):
    """The API's tags: tags (values as strings, None as empty) plus the marker tag, which is never purged."""
    result = dict((k, "" if v is None else str(v)) for k, v in (tags or {}).items())
    result[MARKER_TAG_KEY] = name
    return result


# Attributes of integrations, authorizers, routes and stages as change sentences name them.
CHANGE_LABELS = (
    ("IntegrationType", "integration type"),
    ("IntegrationUri", "integration uri"),
    ("PayloadFormatVersion", "payload format version"),
    ("TimeoutInMillis", "timeout ms"),
    ("AuthorizerType", "authorizer type"),
    ("IdentitySource", "identity source"),
    ("Issuer", "issuer"),
    ("Audience", "audience"),
    ("Target", "target"),
    ("AuthorizationType", "authorization"),
    ("AuthorizerId", "authorizer id"),
    ("AutoDeploy", "auto deploy"),
    ("ThrottlingBurstLimit", "throttling burst limit"),
    ("ThrottlingRateLimit", "throttling rate limit"),
    ("DestinationArn", "access log destination"),
    ("Format", "access log format"),
)


def _flat(settings):
    """The settings with the nested JWT, route and access log settings one level up."""
    flat = dict(settings or {})
    for key in ("JwtConfiguration", "DefaultRouteSettings", "AccessLogSettings"):
        flat.update(flat.pop(key, None) or {})
    return flat


def change_sentence(current, changes):
    """'throttling burst limit 100 -> 20, authorization NONE -> AWS_IAM' for an update of current by changes."""
    have, want = _flat(current), _flat(changes)
    return ", ".join(
        "%s %s -> %s" % (label, show(have.get(key)), show(want[key]))
        for key, label in CHANGE_LABELS
        if key in want and have.get(key) != want[key]
    )


def apply_changes(current, changes):
    """current updated with changes (what AWS would return after the update; used by check mode)."""
    result = dict(current)
    result.update(changes)
    return result


def route_after_update(current, changes):
    """What UpdateRoute returns: switching away from JWT detaches the authorizer (used by check mode)."""
    result = apply_changes(current, changes)
    if changes.get("AuthorizationType", "JWT") != "JWT":
        result["AuthorizerId"] = None
    return result


# --------------------------------------------------------------------------- reporting


def api_arn(partition, region, api_id):
    return "arn:%s:apigateway:%s::/apis/%s" % (partition, region, api_id)


def stage_arn(partition, region, api_id, stage_name):
    return "%s/stages/%s" % (api_arn(partition, region, api_id), stage_name)


def execution_arn(partition, region, account_id, api_id):
    """Prefix of the ARNs a lambda permission's SourceArn scopes: <prefix>/<stage>/<METHOD>/<path>."""
    if not api_id or api_id == NEW_ID:
        return None
    return "arn:%s:execute-api:%s:%s:%s" % (partition, region, account_id, api_id)


def invoke_source_arn(partition, region, account_id, api_id, stage_name, source_path):
    """Source ARN of the invoke permission, <execution_arn>/<stage>/<source_path>.

    For an API that check mode would create, the id is the NEW_ID placeholder (shown, never written).
    """
    return "arn:%s:execute-api:%s:%s:%s/%s/%s" % (partition, region, account_id, api_id, stage_name, source_path)


def invoke_url(api_endpoint, stage_name):
    if not api_endpoint:
        return None
    if stage_name == "$default":
        return api_endpoint
    return "%s/%s" % (api_endpoint.rstrip("/"), stage_name)


def summarize(api, integrations=(), authorizers=(), routes=(), stage=None):
    """Id-free view of the settings the module manages, for diff before/after."""
    if not api:
        return {}
    uris = {"integrations/%s" % i.get("IntegrationId"): i.get("IntegrationUri") for i in integrations}
    authorizer_names = {a.get("AuthorizerId"): a.get("Name") for a in authorizers}
    summary = {
        "name": api.get("Name"),
        "description": api.get("Description"),
        "tags": dict(api.get("Tags") or {}),
        "integrations": sorted(
            (
                {
                    "integration_type": i.get("IntegrationType"),
                    "integration_uri": i.get("IntegrationUri"),
                    "payload_format_version": i.get("PayloadFormatVersion"),
                    "timeout_in_millis": i.get("TimeoutInMillis"),
                }
                for i in integrations
            ),
            key=lambda i: (str(i["integration_type"]), str(i["integration_uri"])),
        ),
        "authorizers": sorted(
            (
                {
                    "name": a.get("Name"),
                    "authorizer_type": a.get("AuthorizerType"),
                    "identity_source": list(a.get("IdentitySource") or []),
                    "issuer": (a.get("JwtConfiguration") or {}).get("Issuer"),
                    "audience": sorted((a.get("JwtConfiguration") or {}).get("Audience") or []),
                }
                for a in authorizers
            ),
            key=lambda a: str(a["name"]),
        ),
        "routes": {
            r.get("RouteKey"): {
                "authorization_type": r.get("AuthorizationType"),
                "authorizer": authorizer_names.get(r.get("AuthorizerId"))
                if r.get("AuthorizationType") == "JWT"
                else None,
                "target": uris.get(r.get("Target"), r.get("Target")),
            }
            for r in routes
        },
        "stage": None,
    }
    if stage:
        settings = stage.get("DefaultRouteSettings") or {}
        logs = stage.get("AccessLogSettings") or {}
        summary["stage"] = {
            "stage_name": stage.get("StageName"),
            "auto_deploy": bool(stage.get("AutoDeploy")),
            "throttling_burst_limit": settings.get("ThrottlingBurstLimit"),
            "throttling_rate_limit": settings.get("ThrottlingRateLimit"),
            "access_log_destination_arn": logs.get("DestinationArn"),
            "access_log_format": logs.get("Format"),
            "tags": dict(stage.get("Tags") or {}),
        }
    return summary
