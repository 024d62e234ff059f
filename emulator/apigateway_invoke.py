"""Emulator feature: the invoke endpoint of API Gateway v2 HTTP APIs.

Gap: moto 5.2.5 serves the API Gateway v2 management API only; nothing answers at an API's invoke URL
(``https://<api-id>.execute-api.<region>.amazonaws.com/<stage>/...``). This extension answers it, as
API Gateway does for HTTP APIs, in front of moto's own dispatcher.

How a client reaches an API through the emulator (both forms lead to the same handling):
- path prefix: ``<emulator URL>/_tap/execute-api/<api-id>/<stage>/<path>``, e.g.
  ``http://127.0.0.1:PORT/_tap/execute-api/a1b2c3d4/dev/process``; ``invoke_url(emulator, stage_url)``
  turns a stage invoke URL (the project's ``api_gateway_endpoint`` output) into this form;
- Host header: a request to the emulator with ``Host: <api-id>.execute-api.<region>.amazonaws.com``
  and the path of the real URL (``/dev/process``), i.e. the real URL with the emulator as the address.
A SigV4 signature is verified over the request as received, so sign the URL you send (botocore's
``SigV4Auth(credentials, "execute-api", region)`` on the emulator URL, or on the real URL with the
Host form).

What is modelled, in API Gateway's order:
- the stage: the first path segment names a stage; otherwise the ``$default`` stage serves the path
  as it is; no stage: 404 ``{"message":"Not Found"}``. An API with the default endpoint disabled: 403.
- the route: ``METHOD /path`` route keys with ``ANY``, ``{param}`` and greedy ``{proxy+}`` path
  variables and the ``$default`` route; the most specific wins (exact path, then variables, then
  greedy; a method over ANY). None: 404 ``{"message":"Not Found"}``.
- throttling: the stage's route settings (else its default route settings) burst and rate limits,
  as token buckets per route; beyond them 429 ``{"message":"Too Many Requests"}``.
- authorization (``emulator.apigateway_auth``): ``AWS_IAM`` (SigV4, else 403) and ``JWT`` (else 401);
  ``NONE`` passes. Lambda (``CUSTOM``) authorizers are not modelled: 500.
- the ``AWS_PROXY`` Lambda integration, payload format 2.0 (and 1.0): the event API Gateway sends,
  the function's resource policy checked for ``apigateway.amazonaws.com`` and the source ARN
  ``arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>`` (missing: 500, as AWS
  answers "Invalid permissions on Lambda function"), the integration timeout (503), a function error
  (500 ``{"message":"Internal Server Error"}``); the function's answer (``statusCode``, ``headers``,
  ``cookies``, ``body``, ``isBase64Encoded``, or any other JSON as a 200 ``application/json`` body)
  becomes the HTTP response, with an ``apigw-requestid`` header.
- access logs: with the stage's access log settings, one line per request in the destination log
  group (stream ``<api-id>_<stage>``), its ``$context`` variables filled in.
Other integration types (HTTP_PROXY, AWS service integrations), CORS, mutual TLS and custom domain
names are not modelled.

Patched: ``moto.moto_server.werkzeug_app.DomainDispatcherApplication.__call__`` (requests of the
invoke endpoint only). Installed by ``emulator.extensions.install()``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from emulator.apigateway_auth import Refused, identity_value, verify_jwt, verify_sigv4

PREFIX = "/_tap/execute-api/"
HOST = re.compile(r"^(?P<api>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?::\d+)?$", re.I)
TEXT_TYPES = re.compile(
    r"^(text/|application/(json|xml|javascript|x-www-form-urlencoded)|application/[\w.+-]+\+(json|xml))"
)
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip

_INSTALLED = False
_invocations = ThreadPoolExecutor(max_workers=16, thread_name_prefix="tap-apigw")


def invoke_url(emulator_url: str, stage_url: str) -> str:
    """The emulator URL serving a stage invoke URL: https://<id>.execute-api.<region>.amazonaws.com/<stage>
    -> <emulator>/_tap/execute-api/<id>/<stage>."""
    parts = urlsplit(stage_url)
    api_id = parts.hostname.split(".")[0]
    return f"{emulator_url.rstrip('/')}{PREFIX}{api_id}{parts.path.rstrip('/')}"


class _Answer(Exception):
    def __init__(self, status: int, message: str, detail: str = ""):
        super().__init__(message)
        self.status, self.message, self.detail = status, message, detail or message


# --------------------------------------------------------------------------- throttling
class _TokenBuckets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple, list[float]] = {}

    def take(self, key: tuple, burst: float, rate: float) -> bool:
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or bucket[2:] != [burst, rate]:
                bucket = self._buckets[key] = [float(burst), now, burst, rate]
            tokens = min(float(burst), bucket[0] + (now - bucket[1]) * rate)
            bucket[1] = now
            if tokens < 1:
                bucket[0] = tokens
                return False
            bucket[0] = tokens - 1
            return True


_BUCKETS = _TokenBuckets()


# --------------------------------------------------------------------------- lookup
def _find_api(api_id: str) -> tuple[Any, str, str] | None:
    """(api, region, account id) of an API id in any region of any account the emulator holds."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account_id, regions in list(apigatewayv2_backends.items()):
        for region, backend in list(regions.items()):
            api = backend.apis.get(api_id)
            if api is not None:
                return api, region, account_id
    return None


def _stage_and_path(api: Any, path: str) -> tuple[Any, str]:
    segments = path.lstrip("/").split("/", 1)
    first = unquote(segments[0])
    if first and first != "$default" and first in api.stages:
        return api.stages[first], "/" + (segments[1] if len(segments) > 1 else "")
    if "$default" in api.stages:
        return api.stages["$default"], path or "/"
    raise _Answer(404, "Not Found", "no stage serves this path")


def _match_template(template: str, path: str) -> tuple[dict[str, str], int, int] | None:
    """(path parameters, variables, greedy) when the route path template matches the request path."""
    t_parts = template.strip("/").split("/") if template.strip("/") else []
    p_parts = path.strip("/").split("/") if path.strip("/") else []
    params: dict[str, str] = {}
    variables = greedy = 0
    for index, part in enumerate(t_parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = p_parts[index:]
            if not rest:
                return None
            params[part[1:-2]] = unquote("/".join(rest))
            return params, variables, 1
        if index >= len(p_parts):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = unquote(p_parts[index])
            variables += 1
        elif part != unquote(p_parts[index]):
            return None
    if len(p_parts) != len(t_parts):
        return None
    return params, variables, greedy


def _route(api: Any, method: str, path: str) -> tuple[Any, dict[str, str]]:
    best = None
    for route in list(api.routes.values()):
        key = route.route_key
        if key == "$default":
            rank = (1, 0, 0, 0)
            params: dict[str, str] = {}
        else:
            route_method, dummy, template = key.partition(" ")
            if route_method not in (method, "ANY"):
                continue
            matched = _match_template(template, path)
            if matched is None:
                continue
            params, variables, greedy = matched
            rank = (0, greedy, variables, int(route_method == "ANY"))
        if best is None or rank < best[0]:
            best = (rank, route, params)
    if best is None:
        raise _Answer(404, "Not Found", "no route matches")
    return best[1], best[2]


# --------------------------------------------------------------------------- request
class _Request:
    def __init__(self, environ: dict[str, Any], api_path: str, domain: str):
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        self.raw_path = urlsplit(raw_uri).path  # as signed: still percent-encoded
        self.raw_query = environ.get("QUERY_STRING", "")
        self.api_path = api_path  # what API Gateway sees: /<stage>/<path>
        self.domain = domain
        self.body = environ["wsgi.input"].read()
        self.source_ip = environ.get("REMOTE_ADDR", "127.0.0.1")
        self.protocol = environ.get("SERVER_PROTOCOL", "HTTP/1.1")
        # One value per header name (the server already joined repeated headers with commas).
        self.headers: dict[str, list[str]] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").lower()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                name = key.replace("_", "-").lower()
            else:
                continue
            self.headers[name] = [str(value)]
        self.query: dict[str, list[str]] = {}
        for key, value in parse_qsl(self.raw_query, keep_blank_values=True):
            self.query.setdefault(key, []).append(value)
        self.request_id = base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")[:16]
        self.time = datetime.now(UTC)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return ",".join(values) if values else None


def _body_fields(request: _Request) -> dict[str, Any]:
    if not request.body:
        return {"isBase64Encoded": False}
    content_type = (request.header("content-type") or "").lower()
    if TEXT_TYPES.match(content_type) and not request.header("content-encoding"):
        try:
            return {"body": request.body.decode("utf-8"), "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass
    return {"body": base64.b64encode(request.body).decode(), "isBase64Encoded": True}


def _event_v2(request, api_id, account_id, stage, route, params, authorizer) -> dict[str, Any]:
    headers = {k: ",".join(v) for k, v in request.headers.items() if k != "cookie"}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.api_path,
        "rawQueryString": request.raw_query,
    }
    if request.headers.get("cookie"):
        event["cookies"] = [c.strip() for v in request.headers["cookie"] for c in v.split(";") if c.strip()]
    event["headers"] = headers
    if request.query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in request.query.items()}
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": request.domain,
        "domainPrefix": request.domain.split(".")[0],
        "http": {
            "method": request.method,
            "path": request.api_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": request.request_id,
        "routeKey": route.route_key,
        "stage": stage.name,
        "time": request.time.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(request.time.timestamp() * 1000),
    }
    if authorizer:
        context["authorizer"] = authorizer
    event["requestContext"] = context
    if params:
        event["pathParameters"] = params
    if stage.stage_variables:
        event["stageVariables"] = dict(stage.stage_variables)
    event.update(_body_fields(request))
    return event


def _event_v1(request, api_id, account_id, stage, route, params, authorizer) -> dict[str, Any]:
    multi_headers = dict(request.headers)
    body = _body_fields(request)
    return {
        "version": "1.0",
        "resource": route.route_key.partition(" ")[2] or "$default",
        "path": request.api_path,
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in request.query.items()} or None,
        "multiValueQueryStringParameters": dict(request.query) or None,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "authorizer": authorizer,
            "domainName": request.domain,
            "domainPrefix": request.domain.split(".")[0],
            "httpMethod": request.method,
            "identity": {"sourceIp": request.source_ip, "userAgent": request.header("user-agent")},
            "path": request.api_path,
            "protocol": request.protocol,
            "requestId": request.request_id,
            "requestTime": request.time.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(request.time.timestamp() * 1000),
            "resourcePath": route.route_key.partition(" ")[2] or "$default",
            "stage": stage.name,
        },
        "pathParameters": params or None,
        "stageVariables": dict(stage.stage_variables) or None,
        "body": body.get("body"),
        "isBase64Encoded": body["isBase64Encoded"],
    }


# --------------------------------------------------------------------------- steps
def _throttle(api_id: str, stage: Any, route: Any) -> None:
    settings = dict(stage.default_route_settings or {})
    settings.update((stage.route_settings or {}).get(route.route_key) or {})
    burst, rate = settings.get("throttlingBurstLimit"), settings.get("throttlingRateLimit")
    if burst is None and rate is None:
        return
    burst = float(burst if burst is not None else 5000)
    rate = float(rate if rate is not None else 10000)
    if not _BUCKETS.take((api_id, stage.name, route.route_key), burst, rate):
        raise _Answer(429, "Too Many Requests", "throttled")


def _authorize(api: Any, route: Any, request: _Request, region: str) -> dict[str, Any] | None:
    kind = (route.authorization_type or "NONE").upper()
    if kind == "NONE":
        return None
    if kind == "AWS_IAM":
        identity = verify_sigv4(
            request.method, request.raw_path, request.raw_query, request.headers, request.body, region
        )
        return {"iam": identity}
    if kind == "JWT":
        authorizer = api.authorizers.get(route.authorizer_id or "")
        if authorizer is None or (authorizer.authorizer_type or "").upper() != "JWT":
            raise _Answer(500, "Internal Server Error", "the route's JWT authorizer does not exist")
        config = {k.lower(): v for k, v in (authorizer.jwt_config or {}).items()}
        sources = authorizer.identity_source or ["$request.header.Authorization"]
        token = identity_value(sources[0], request.headers, request.query)
        return {"jwt": verify_jwt(token, config.get("issuer", ""), list(config.get("audience") or []),
                                  route.authorization_scopes)}  # fmt: skip
    raise _Answer(500, "Internal Server Error", f"{kind} authorizers are not modelled by the emulator")


def _function_arn(uri: str) -> str:
    match = re.search(r"functions/(arn:[^/]+)/invocations", uri or "")
    return match.group(1) if match else uri


def _lambda(integration: Any) -> Any:
    from emulator import lambda_runtime

    arn = _function_arn(integration.integration_uri)
    fn = lambda_runtime.function_from_arn(arn)
    if fn is None:
        raise _Answer(500, "Internal Server Error", f"the integration's function {arn} does not exist")
    return fn


def _source_arn(api: Any, region: str, account_id: str, stage: Any, route: Any) -> str:
    partition = api.arn.split(":")[1]
    if route.route_key == "$default":
        resource = "$default"
    else:
        method, dummy, template = route.route_key.partition(" ")
        resource = f"{'*' if method == 'ANY' else method}/{template.lstrip('/')}"
    return f"arn:{partition}:execute-api:{region}:{account_id}:{api.api_id}/{stage.name}/{resource}"


def _integrate(api, region, account_id, stage, route, params, authorizer, request) -> tuple[int, list, bytes, dict]:
    from emulator import lambda_permissions, lambda_runtime

    integration = api.integrations.get((route.target or "").removeprefix("integrations/"))
    if integration is None:
        raise _Answer(500, "Internal Server Error", "the route has no integration")
    if (integration.integration_type or "").upper() != "AWS_PROXY":
        raise _Answer(500, "Internal Server Error", f"{integration.integration_type} integrations are not modelled")
    fn = _lambda(integration)
    if not lambda_permissions.allows(fn, "apigateway.amazonaws.com", _source_arn(api, region, account_id, stage, route),
                                     account_id):  # fmt: skip
        raise _Answer(500, "Internal Server Error", "Invalid permissions on Lambda function")
    version = integration.payload_format_version or "2.0"
    build = _event_v1 if version == "1.0" else _event_v2
    event = build(request, api.api_id, account_id, stage, route, params, authorizer)
    timeout = (integration.timeout_in_millis or 30000) / 1000.0
    started = time.monotonic()
    future = _invocations.submit(lambda_runtime.invoke_function, fn, json.dumps(event))
    try:
        outcome = future.result(timeout=timeout)
    except FutureTimeout:
        raise _Answer(503, "Service Unavailable", "the integration timed out")
    except Exception as exc:
        raise _Answer(500, "Internal Server Error", f"the function could not be invoked: {exc}")
    latency = int((time.monotonic() - started) * 1000)
    info = {"integrationStatus": 200, "integrationLatency": latency}
    if outcome.function_error:
        raise _Answer(500, "Internal Server Error", "the function failed")
    status, headers, body = _response(outcome.payload, version)
    return status, headers, body, info


def _response(payload: bytes, version: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """The HTTP response API Gateway makes of the function's answer (Lambda proxy integration)."""
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        raise _Answer(500, "Internal Server Error", "malformed Lambda proxy response")
    if not isinstance(answer, dict) or "statusCode" not in answer:
        if version == "1.0":
            raise _Answer(500, "Internal Server Error", "malformed Lambda proxy response")
        # Format 2.0 without statusCode: API Gateway answers 200 with the function's JSON as the body.
        return 200, [("content-type", "application/json")], payload
    try:
        status = int(answer["statusCode"])
    except (TypeError, ValueError):
        raise _Answer(500, "Internal Server Error", "malformed Lambda proxy response")
    headers: list[tuple[str, str]] = []
    for name, value in (answer.get("headers") or {}).items():
        headers.append((str(name), str(value)))
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(v)) for v in values or [])
    for cookie in answer.get("cookies") or []:
        headers.append(("set-cookie", str(cookie)))
    body = answer.get("body")
    if body is None:
        data = b""
    elif answer.get("isBase64Encoded"):
        try:
            data = base64.b64decode(str(body))
        except ValueError:
            raise _Answer(500, "Internal Server Error", "malformed Lambda proxy response")
    else:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return status, headers, data


# --------------------------------------------------------------------------- access logs
def _access_log(api, stage, region, account_id, request, route, status, length, latency, info, error) -> None:
    settings = stage.access_log_settings or {}
    arn, template = settings.get("destinationArn"), settings.get("format")
    if not arn or not template:
        return
    values = {
        "requestId": request.request_id,
        "extendedRequestId": request.request_id,
        "apiId": api.api_id,
        "stage": stage.name,
        "domainName": request.domain,
        "identity.sourceIp": request.source_ip,
        "identity.userAgent": request.header("user-agent") or "-",
        "requestTime": request.time.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": str(int(request.time.timestamp() * 1000)),
        "httpMethod": request.method,
        "routeKey": route.route_key if route is not None else "-",
        "path": request.api_path,
        "status": str(status),
        "protocol": request.protocol,
        "responseLength": str(length),
        "responseLatency": str(latency),
        "integrationStatus": str(info.get("integrationStatus", "-")),
        "integrationLatency": str(info.get("integrationLatency", "-")),
        "integrationErrorMessage": info.get("integrationErrorMessage", "-"),
        "authorizer.error": info.get("authorizerError", "-"),
        "error.message": error or "-",
    }
    line = re.sub(r"\$context\.([A-Za-z0-9_.]+)", lambda m: str(values.get(m.group(1), "-")), template)
    try:
        from moto.logs.models import logs_backends

        parts = arn.split(":")
        group = parts[6] if len(parts) > 6 else ""
        logs = logs_backends[parts[4]][parts[3]]
        if group not in logs.groups:
            return  # API Gateway cannot deliver to a missing log group
        stream = f"{api.api_id}_{stage.name}"
        logs.ensure_log_stream(group, stream)
        logs.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": line}])
    except Exception as exc:
        print(f"emulator: access log of {api.api_id}/{stage.name} not written: {exc!r}")  # noqa: T201


# --------------------------------------------------------------------------- WSGI
def _reply(start_response, status: int, headers: list[tuple[str, str]], body: bytes, request_id: str) -> list[bytes]:
    names = {header[0].lower() for header in headers}
    headers = list(headers) + [("apigw-requestid", request_id), ("content-length", str(len(body)))]
    if "content-type" not in names and body:
        headers.append(("content-type", "text/plain; charset=utf-8"))
    start_response(f"{status} {REASONS.get(status, 'Status')}", headers)
    return [body]


def handle(environ: dict[str, Any], start_response: Any, api_id: str, api_path: str, host: str | None) -> list[bytes]:
    """Answer one request of the invoke endpoint of API api_id (api_path: /<stage>/<path>)."""
    found = _find_api(api_id)
    region = found[1] if found else "us-east-1"
    request = _Request(environ, api_path, host or f"{api_id}.execute-api.{region}.amazonaws.com")
    started = time.monotonic()
    route = stage = None
    info: dict[str, Any] = {}
    try:
        if found is None or (found[0].protocol_type or "HTTP") != "HTTP":
            raise _Answer(404, "Not Found", "no HTTP API has this id")
        api, region, account_id = found
        if api.disable_execute_api_endpoint:
            raise _Answer(403, "Forbidden", "the default endpoint is disabled")
        stage, path = _stage_and_path(api, api_path)
        route, params = _route(api, request.method, path)
        _throttle(api.api_id, stage, route)
        try:
            authorizer = _authorize(api, route, request, region)
        except Refused as refused:
            info["authorizerError"] = refused.reason
            raise _Answer(refused.status, refused.message, refused.reason)
        status, headers, body, integration = _integrate(api, region, account_id, stage, route, params, authorizer,
                                                        request)  # fmt: skip
        info.update(integration)
        error = None
    except _Answer as answer:
        status, body, error = answer.status, json.dumps({"message": answer.message}).encode(), answer.detail
        headers = [("content-type", "application/json")]
        if status >= 500:
            info["integrationErrorMessage"] = error
    if found is not None and stage is not None:
        latency = int((time.monotonic() - started) * 1000)
        _access_log(found[0], stage, region, found[2], request, route, status, len(body), latency, info, error)
    return _reply(start_response, status, headers, body, request.request_id)


def target(environ: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """(api id, /<stage>/<path>, host) when the request is for an invoke endpoint, else None."""
    if environ.get("PATH_INFO", "").startswith(PREFIX):
        raw_path = urlsplit(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]).path
        api_id, dummy, rest = raw_path[len(PREFIX) :].partition("/")
        return api_id, "/" + rest, None
    host = environ.get("HTTP_HOST", "")
    match = HOST.match(host)
    if match:
        raw_path = urlsplit(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")).path
        return match.group("api").lower(), raw_path or "/", host.split(":")[0]
    return None


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original_call = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        found = target(environ)
        if found is None:
            return original_call(self, environ, start_response)
        return handle(environ, start_response, *found)

    DomainDispatcherApplication.__call__ = __call__
