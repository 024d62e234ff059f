"""Emulator feature: Lambda functions really run (Invoke, RequestResponse and Event).

Gap: moto 5.2.5 runs a function only in a container engine (Docker), and none runs here: every Invoke
answers "error running docker". This extension runs Python functions (zip packages) in a process of
their own (``emulator.lambda_sandbox``: the package extracted on ``sys.path``, the function's
environment variables plus the runtime's, ``AWS_ENDPOINT_URL`` = the emulator, so the handler's boto3
clients reach the emulator without code changes), with AWS's behaviour:

- RequestResponse: 200 with the handler's result; an exception, a runtime fault, a crash or a timeout
  answers 200 with ``X-Amz-Function-Error: Unhandled`` and the runtime's error document
  (``errorMessage``, ``errorType``, ``requestId``, ``stackTrace``; ``Sandbox.Timedout`` when the
  function's Timeout passed, after which its process is killed). ``X-Amz-Log-Type: Tail`` returns
  the last 4 KB of the log. ``X-Amz-Executed-Version`` names the version that ran.
- Event: 202 at once; the invocation runs in a background thread with the retries and destinations of
  the function's event invoke configuration (``emulator.lambda_async``). DryRun: 204, nothing runs.
- A payload that is not JSON: 400 ``InvalidRequestContentException``, as Lambda answers.
- Reserved concurrency: a synchronous invocation beyond the function's reserved concurrency (0
  included) is refused with 429 ``TooManyRequestsException`` (Reason
  ``ReservedFunctionConcurrentInvocationLimitExceeded``); asynchronous ones wait for a free slot.
- Logs: every invocation writes ``START``/``END``/``REPORT`` and everything the function printed to a new
  stream ``YYYY/MM/DD/[$LATEST]<id>`` of the function's log group in CloudWatch Logs (created when
  missing, as Lambda does with AWSLambdaBasicExecutionRole).

Functions of other runtimes or image packages keep moto's behaviour. Patched moto methods:
``moto.awslambda.models.LambdaFunction.invoke`` (also what moto's InvokeAsync, SNS and SQS
integrations call) and ``moto.core.responses.BaseResponse._enrich_response`` (keeps the invocation's
request id as ``x-amzn-RequestId`` instead of a random one). Installed by ``emulator.extensions.install()``.
"""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
from collections import defaultdict
from typing import Any

from emulator import lambda_async
from emulator.lambda_sandbox import SANDBOX, FunctionSpec, Outcome

LOG_TAIL_BYTES = 4096

_INSTALLED = False
_in_flight: dict[str, int] = defaultdict(int)
_in_flight_lock = threading.Condition()


def _lambda_error(code: str, message: str, status: int, **extra: Any) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError(code, message)
    error.code = status
    if extra:
        body = json.loads(error.description)
        body.update(extra)
        error.description = json.dumps(body)
    return error


def spec_for(fn: Any) -> FunctionSpec | None:
    """The execution environment a moto function needs; None when this runtime cannot run it."""
    runtime = fn.run_time or ""
    if not runtime.startswith("python") or getattr(fn, "package_type", "Zip") != "Zip" or not fn.code_bytes:
        return None
    return FunctionSpec(
        function_arn=fn.function_arn,
        function_name=fn.function_name,
        region=fn.region,
        version=str(fn.version),
        handler=fn.handler or "",
        runtime=runtime,
        memory_size=int(fn.memory_size or 128),
        timeout=int(fn.timeout or 3),
        log_group_name=fn.logs_group_name,
        code_sha256=fn.code_sha_256,
        environment=tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items())),
    )


def find_function(account_id: str, region: str, name: str, qualifier: str | None = None) -> Any:
    """The moto function (or its version/alias), None when it does not exist (any more)."""
    from moto.awslambda.utils import get_backend

    try:
        return get_backend(account_id, region).get_function(name, qualifier)
    except Exception:
        return None


def function_from_arn(arn: str) -> Any:
    """The moto function an ARN names (arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>])."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
        return None
    return find_function(parts[4], parts[3], parts[6], parts[7] if len(parts) > 7 else None)


def _reserved(fn: Any) -> int | None:
    value = getattr(fn, "reserved_concurrency", None)
    return None if value is None or value == "" else int(value)


def _take_slot(fn: Any, wait: bool) -> bool:
    """Count an invocation against the function's reserved concurrency; False when none is free."""
    with _in_flight_lock:
        while True:
            limit = _reserved(fn)
            if limit is None or _in_flight[fn.function_arn] < limit:
                _in_flight[fn.function_arn] += 1
                return True
            if not wait:
                return False
            _in_flight_lock.wait(timeout=1.0)


def _free_slot(fn: Any) -> None:
    with _in_flight_lock:
        _in_flight[fn.function_arn] -= 1
        _in_flight_lock.notify_all()


def save_logs(fn: Any, outcome: Outcome) -> None:
    """The invocation's log stream in the function's log group."""
    logs = fn.logs_backend
    logs.ensure_log_group(fn.logs_group_name)
    logs.create_log_stream(fn.logs_group_name, outcome.log_stream_name)
    now = int(time.time() * 1000)
    events = [
        {"timestamp": min(outcome.started_ms + i, now), "message": line} for i, line in enumerate(outcome.log_lines)
    ]
    if events:
        logs.put_log_events(fn.logs_group_name, outcome.log_stream_name, events)


def invoke_function(
    fn: Any, payload: str, *, request_id: str | None = None, wait_for_slot: bool = False, client_context: Any = None
) -> Outcome:
    """Run one invocation of a Python function and log it. Raises TooManyRequestsException when throttled."""
    spec = spec_for(fn)
    if spec is None:
        raise ValueError(f"the emulator cannot run {fn.function_name} ({fn.run_time}, {fn.package_type})")
    if not _take_slot(fn, wait_for_slot):
        raise _lambda_error(
            "TooManyRequestsException",
            "Rate Exceeded.",
            429,
            Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
            Type="User",
        )
    try:
        outcome = SANDBOX.invoke(spec, fn.code_bytes, payload, fn.function_arn, request_id, client_context)
    finally:
        _free_slot(fn)
    try:
        save_logs(fn, outcome)
    except Exception as exc:  # the log group may be gone; the invocation's answer stands
        print(f"emulator: logs of {fn.function_name} not saved: {exc}")  # noqa: T201 - server.log
    return outcome


def parse_payload(body: Any) -> str:
    """The request payload as JSON text ('{}' when empty); InvalidRequestContentException when not JSON."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = body or ""
    if not text.strip():
        return "{}"
    try:
        json.loads(text)
    except ValueError as exc:
        raise _lambda_error(
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {exc}",
            400,
        )
    return text


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.awslambda.models import LambdaFunction

    original_invoke = LambdaFunction.invoke

    @functools.wraps(original_invoke)
    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> Any:
        if spec_for(self) is None:
            return original_invoke(self, body, request_headers, response_headers)
        payload = parse_payload(body)
        headers = request_headers or {}
        invocation_type = (
            headers.get("x-amz-invocation-type") or headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        )
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            response_headers["x-amzn-requestid"] = lambda_async.submit(self, payload)
            return b""
        client_context = headers.get("x-amz-client-context") or headers.get("X-Amz-Client-Context")
        if client_context:
            try:
                client_context = json.loads(base64.b64decode(client_context))
            except ValueError:
                client_context = None
        outcome = invoke_function(self, payload, client_context=client_context)
        response_headers["x-amzn-requestid"] = outcome.request_id
        response_headers["x-amz-executed-version"] = str(self.version)
        if outcome.function_error:
            response_headers["x-amz-function-error"] = outcome.function_error
        tail = ("\n".join(outcome.log_lines) + "\n").encode()[-LOG_TAIL_BYTES:]
        response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
        return outcome.payload

    LambdaFunction.invoke = invoke
    _keep_invocation_request_id()
    lambda_async.install()


def _keep_invocation_request_id() -> None:
    """moto gives every answer a random x-amzn-requestid; Invoke answers with the invocation's request id
    (the function's context.aws_request_id), so keep an id the invoke handler already set."""
    from moto.core.responses import BaseResponse

    original = BaseResponse._enrich_response

    def enrich(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        request_id = headers.get("x-amzn-requestid")
        headers, body = original(headers, body)
        if request_id:
            headers["x-amzn-requestid"] = request_id
        return headers, body

    BaseResponse._enrich_response = staticmethod(enrich)
