"""WSGI middleware in front of moto: the emulator's control API, its call log, and the aws profile's
latency and faults.

* ``GET/POST /tap-emulator/profile``: read or change the behaviour profile (``emulator.profile``);
  POST takes a JSON object of settings (``{"name": "aws", "latency_ms": 100}``; ``{"reset": true, ...}``
  starts from the defaults instead of the running settings).
* ``GET /tap-emulator/calls?since=N``: every AWS call answered since sequence number N, each
  ``{seq, service, region, operation, kind, status, time}`` (``kind`` is read or write, by AWS's naming
  rule: Describe/Get/List/Head/BatchGet/Query/Scan read, everything else writes; REST calls by method).
  ``POST /tap-emulator/calls/reset`` empties it. Tests assert "no write call" with it.
* Under the aws profile every signed AWS call waits ``latency_ms`` (jittered) and a share of them is
  answered with the service's own throttling error or a 5xx, in the service's protocol, as AWS does.
  Those 5xx answer instead of the call. AWS may also answer 5xx to a call it has carried out (the answer
  is lost): account setting ``lost_answers`` (``{"<operation as the call log names it>": n}``) makes the
  next n such calls take effect and answer 5xx all the same (call log: ``fault`` and ``took_effect``).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from emulator import profile

CONTROL_PREFIX = "/tap-emulator/"
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
READ_PREFIXES = ("Describe", "Get", "List", "Head", "BatchGet", "Query", "Scan")
MAX_CALLS = 200_000

# Protocol of each service our modules use (botocore's metadata.protocol).
QUERY_SERVICES = {"ec2", "rds", "iam", "sts", "sns", "monitoring", "cloudwatch", "elasticloadbalancing"}
JSON_SERVICES = {"dynamodb", "kms", "logs", "secretsmanager", "sqs", "events", "ssm", "servicequotas"}
# Throttling error code of each service (what AWS answers; botocore and AWSRetry retry them).
THROTTLING_CODES = {
    "ec2": ("RequestLimitExceeded", "Request limit exceeded.", 503),
    "s3": ("SlowDown", "Please reduce your request rate.", 503),
    "lambda": ("TooManyRequestsException", "Rate exceeded", 429),
    "apigateway": ("TooManyRequestsException", "Too Many Requests", 429),
    "backup": ("ThrottlingException", "Rate exceeded", 400),
    "dynamodb": ("ThrottlingException", "Rate of requests exceeds the allowed throughput.", 400),
}
DEFAULT_THROTTLING = ("Throttling", "Rate exceeded", 400)
DEFAULT_THROTTLING_JSON = ("ThrottlingException", "Rate exceeded", 400)


class CallLog:
    """The AWS calls the emulator answered, in order (bounded)."""

    def __init__(self, limit: int = MAX_CALLS):
        self._calls: deque[dict[str, Any]] = deque(maxlen=limit)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, call: dict[str, Any]) -> None:
        with self._lock:
            call["seq"] = next(self._seq)
            self._calls.append(call)

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self._calls if c["seq"] > seq]

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()


CALLS = CallLog()


def _rest_operation(method: str, path: str, service: str) -> str:
    """A readable name of a REST call: ``PUT bucket?notification``, ``GET /2015-03-31/functions/{}``."""
    parts = urlsplit(path)
    if service == "s3":
        segments = [s for s in parts.path.split("/") if s]
        target = "object" if len(segments) > 1 else "bucket" if segments else "service"
        query = parse_qs(parts.query, keep_blank_values=True)
        sub = ",".join(sorted(k for k in query if not k.startswith(("X-Amz", "x-id", "max-", "prefix"))))
        return f"{method} {target}" + (f"?{sub}" if sub else "")
    labels, previous = [], ""
    for segment in (s for s in parts.path.split("/") if s):
        label = "{}" if previous.endswith("s") and previous != "{}" and labels else segment
        labels.append(label)
        previous = label
    return f"{method} /" + "/".join(labels)


def identify(environ: dict[str, Any], body: bytes) -> dict[str, Any] | None:
    """{service, region, operation, kind} of a signed AWS request; None for anything else."""
    scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not scope:
        return None
    region, service = scope.groups()
    method = environ.get("REQUEST_METHOD", "GET").upper()
    operation = None
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif service in QUERY_SERVICES or (method == "POST" and b"Action=" in body[:4096]):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if method == "POST":
            query.update(parse_qs(body.decode("utf-8", "replace")))
        operation = (query.get("Action") or [None])[0]
    if operation:
        kind = "read" if operation.startswith(READ_PREFIXES) else "write"
    else:
        path = environ.get("PATH_INFO", "/")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        operation = _rest_operation(method, path, service)
        kind = "read" if method in ("GET", "HEAD") else "write"
    return {"service": service, "region": region, "operation": operation, "kind": kind}


def _protocol(service: str) -> str:
    if service in QUERY_SERVICES:
        return "ec2" if service == "ec2" else "query"
    if service in JSON_SERVICES:
        return "json"
    if service == "s3":
        return "rest-xml"
    return "rest-json"


def request_protocol(service: str, environ: dict[str, Any]) -> str:
    """The protocol of this request: a former query service (CloudWatch) may be called in AWS JSON 1.0."""
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    return _protocol(service)


def error_response(
    service: str, code: str, message: str, status: int, environ: dict[str, Any] | None = None
) -> tuple[str, list[tuple[str, str]], bytes]:
    """An AWS error answer in the request's protocol: (status line, headers, body)."""
    request_id = str(uuid.uuid4())
    protocol = request_protocol(service, environ or {})
    extra_headers: list[tuple[str, str]] = []
    if protocol == "ec2":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        content_type = "text/xml"
    elif protocol == "query":
        kind = "Receiver" if status >= 500 else "Sender"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        content_type = "text/xml"
    elif protocol == "rest-xml":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        content_type = "application/xml"
    else:
        body = json.dumps({"__type": code, "message": message, "Message": message})
        content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
        requested = (environ or {}).get("CONTENT_TYPE", "")
        if protocol == "json" and requested.startswith("application/x-amz-json-"):
            content_type = requested
        if protocol == "json" and _protocol(service) == "query":
            # A query service answering in JSON names its query error code in this header (awsQueryCompatible),
            # which botocore reads: CloudWatch's DescribeAlarms is throttled with Throttling, not a JSON code.
            extra_headers.append(("x-amzn-query-error", f"{code};{'Receiver' if status >= 500 else 'Sender'}"))
    reason = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
    headers = [
        ("Content-Type", content_type),
        ("x-amzn-RequestId", request_id),
        ("x-amz-request-id", request_id),
        ("x-amzn-ErrorType", code),
        *extra_headers,
    ]
    return f"{status} {reason.get(status, 'Error')}", headers, body.encode()


def _fault(service: str) -> tuple[str, str, int] | None:
    settings = profile.current()
    if not settings.aws:
        return None
    if profile.chance(settings.throttle_rate):
        # A query-compatible service keeps its query code (Throttling) in JSON too (x-amzn-query-error).
        default = DEFAULT_THROTTLING_JSON if _protocol(service) == "json" else DEFAULT_THROTTLING
        return THROTTLING_CODES.get(service, default)
    if profile.chance(settings.error_rate):
        return _server_error(service)
    return None


LOST_ANSWERS = "lost_answers"


def _lose_answer(operation: str) -> bool:
    """True when this call's answer is to be lost (account setting lost_answers), counting it down."""
    settings = profile.current()
    if not settings.aws:
        return False
    with profile._lock:
        counts = settings.account.get(LOST_ANSWERS) or {}
        if counts.get(operation, 0) <= 0:
            return False
        counts[operation] -= 1
        return True


def _server_error(service: str) -> tuple[str, str, int]:
    if service == "s3":
        return ("InternalError", "We encountered an internal error. Please try again.", 500)
    if service == "ec2":
        return ("Unavailable", "The server is overloaded and can't handle the request.", 503)
    return ("ServiceUnavailable", "Service is unavailable. Please try again later.", 503)


def _latency() -> None:
    settings = profile.current()
    if not settings.aws or settings.latency_ms <= 0:
        return
    spread = settings.jitter * settings.latency_ms
    with profile._lock:
        delay = settings.latency_ms + profile.rng().uniform(-spread, spread)
    time.sleep(max(delay, 0.0) / 1000.0)


def _json_answer(start_response: Callable, payload: Any, status: str = "200 OK") -> Iterable[bytes]:
    body = json.dumps(payload, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _control(environ: dict[str, Any], body: bytes, start_response: Callable) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")[len(CONTROL_PREFIX) :].strip("/")
    method = environ.get("REQUEST_METHOD", "GET").upper()
    try:
        if path == "profile":
            if method == "POST":
                values = json.loads(body or b"{}")
                if values.pop("reset", False):
                    profile.configure(values)
                else:
                    profile.update(values)
            return _json_answer(start_response, profile.current().to_dict())
        if path == "calls":
            since = int((parse_qs(environ.get("QUERY_STRING", "")).get("since") or ["0"])[0])
            return _json_answer(start_response, CALLS.since(since))
        if path == "calls/reset" and method == "POST":
            CALLS.reset()
            return _json_answer(start_response, {"reset": True})
        if path == "clock":
            return _json_answer(start_response, {"aws_seconds": profile.aws_seconds()})
    except (ValueError, TypeError) as exc:
        return _json_answer(start_response, {"error": str(exc)}, "400 Bad Request")
    return _json_answer(start_response, {"error": f"unknown control path {path!r}"}, "404 Not Found")


class EmulatorMiddleware:
    """Wraps moto's WSGI application (see module docstring)."""

    def __init__(self, app: Callable, calls: CallLog = CALLS):
        self.app = app
        self.calls = calls

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return _control(environ, body, start_response)
        call = identify(environ, body)
        if call is None:
            return self.app(environ, start_response)
        _latency()
        call["time"] = time.time()
        fault = _fault(call["service"])
        if fault is not None:
            code, message, status = fault
            status_line, headers, payload = error_response(call["service"], code, message, status, environ)
            call["status"] = int(status_line.split()[0])
            call["fault"] = code
            self.calls.add(call)
            start_response(status_line, headers + [("Content-Length", str(len(payload)))])
            return [payload]

        if _lose_answer(call["operation"]):
            return self._answer_lost(environ, call, start_response)

        def recording_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            call["status"] = int(status.split()[0])
            self.calls.add(call)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, recording_start_response)

    def _answer_lost(self, environ: dict[str, Any], call: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Carry the call out, then answer a 5xx as if the answer had been lost on the way back."""
        answered: dict[str, str] = {}

        def keep_status(status: str, headers: list, exc_info: Any = None) -> Callable:
            answered["status"] = status
            return lambda _data: None

        body = self.app(environ, keep_status)
        try:
            for _chunk in body:
                pass
        finally:
            getattr(body, "close", lambda: None)()
        code, message, status = _server_error(call["service"])
        status_line, headers, payload = error_response(call["service"], code, message, status, environ)
        call.update(status=int(status_line.split()[0]), fault=code,
                    took_effect=int(answered.get("status", "500").split()[0]) < 400)
        self.calls.add(call)
        start_response(status_line, headers + [("Content-Length", str(len(payload)))])
        return [payload]
