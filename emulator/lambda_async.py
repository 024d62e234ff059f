"""Asynchronous invocation of functions (``InvocationType=Event``, S3 notifications), for
``emulator.lambda_runtime``.

Gap: moto runs an asynchronous invocation synchronously, in the request that asked for it, once, and
ignores the function's event invoke configuration. As Lambda does, an event is accepted at once and run
by a background thread of the emulator; when the function fails (an unhandled error, a timeout, a crash)
it is tried again up to ``MaximumRetryAttempts`` times (default 2), then a record of the invocation goes
to the ``OnFailure`` destination; a successful one goes to ``OnSuccess`` when configured. An event older
than ``MaximumEventAgeInSeconds`` (default 6 hours) is not tried again (condition ``EventAgeExceeded``).
The request id stays the same for every attempt. A function throttled by its reserved concurrency waits
for a free slot.

Record (AWS's destination record, version 1.0): ``{version, timestamp, requestContext: {requestId,
functionArn, condition, approximateInvokeCount}, requestPayload, responseContext: {statusCode,
executedVersion, functionError}, responsePayload}``. Destinations: SQS queues, SNS topics and Lambda
functions (S3 buckets and EventBridge buses are reported in the server log and skipped).

Retry delays: AWS waits about one minute before the second attempt and two before the third. The
``aws`` profile waits these (scaled by its time scale; ``durations["lambda.async.retry"]`` sets the
first wait in AWS seconds); the default profile retries at once.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from emulator import profile

DEFAULT_RETRY_ATTEMPTS = 2
DEFAULT_MAX_EVENT_AGE = 21600
FIRST_RETRY_DELAY = 60.0  # AWS seconds; doubled before each further attempt
WORKERS = 8

_executor: ThreadPoolExecutor | None = None


def install() -> None:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="tap-lambda-async")


def submit(fn: Any, payload: str, request_id: str | None = None) -> str:
    """Queue an event for fn (a moto LambdaFunction); returns the invocation's request id at once."""
    install()
    request_id = request_id or str(uuid.uuid4())
    key = (fn.account_id, fn.region, fn.function_name, None if str(fn.version) == "$LATEST" else str(fn.version))
    _executor.submit(_run, key, payload, request_id, time.time())
    return request_id


def _invoke_config(fn: Any) -> dict:
    configs = getattr(fn, "event_invoke_config", None) or []
    return dict(configs[-1].config) if configs else {}


def _retry_delay(attempt: int) -> float:
    settings = profile.current()
    if not settings.aws:
        return 0.0
    first = float(settings.durations.get("lambda.async.retry", FIRST_RETRY_DELAY))
    return profile.real_seconds(first * (2 ** (attempt - 1)))


def _run(key: tuple, payload: str, request_id: str, accepted: float) -> None:
    from emulator import lambda_runtime

    attempts, outcome, fn = 0, None, None
    try:
        while True:
            fn = lambda_runtime.find_function(*key)
            if fn is None:
                return  # deleted meanwhile: Lambda drops the event
            config = _invoke_config(fn)
            retries = int(config.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS))
            max_age = int(config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE))
            if attempts and profile.real_seconds(max_age) < time.time() - accepted:
                _deliver(
                    fn, config, "OnFailure", _record(fn, request_id, payload, "EventAgeExceeded", attempts, outcome)
                )
                return
            attempts += 1
            outcome = lambda_runtime.invoke_function(fn, payload, request_id=request_id, wait_for_slot=True)
            if not outcome.function_error:
                _deliver(fn, config, "OnSuccess", _record(fn, request_id, payload, "Success", attempts, outcome))
                return
            if attempts > retries:
                _deliver(
                    fn, config, "OnFailure", _record(fn, request_id, payload, "RetriesExhausted", attempts, outcome)
                )
                return
            time.sleep(_retry_delay(attempts))
    except Exception as exc:  # a background thread: report, never raise into the executor
        name = key[2]
        print(f"emulator: asynchronous invocation {request_id} of {name} failed in the emulator: {exc!r}")  # noqa: T201


def _record(fn: Any, request_id: str, payload: str, condition: str, attempts: int, outcome: Any) -> dict:
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{fn.function_arn}:{fn.version}",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": json.loads(payload),
    }
    if outcome is not None:
        context = {"statusCode": 200, "executedVersion": str(fn.version)}
        if outcome.function_error:
            context["functionError"] = outcome.function_error
        record["responseContext"] = context
        try:
            record["responsePayload"] = json.loads(outcome.payload or b"null")
        except ValueError:
            record["responsePayload"] = outcome.payload.decode("utf-8", "replace")
    return record


def _deliver(fn: Any, config: dict, kind: str, record: dict) -> None:
    destination = ((config.get("DestinationConfig") or {}).get(kind) or {}).get("Destination")
    if not destination:
        return
    parts = destination.split(":")
    service, region, account = parts[2], parts[3], parts[4]
    body = json.dumps(record)
    try:
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            sqs_backends[account][region].send_message(queue_name=parts[5], message_body=body)
        elif service == "sns":
            from moto.sns.models import sns_backends

            sns_backends[account][region].publish(arn=destination, message=body)
        elif service == "lambda":
            from emulator import lambda_runtime

            target = lambda_runtime.function_from_arn(destination)
            if target is not None:
                submit(target, body)
        else:
            print(f"emulator: destination {destination} of {fn.function_name} is not modelled; record dropped")  # noqa: T201
    except Exception as exc:  # Lambda counts a DestinationDeliveryFailures metric and drops the record
        print(f"emulator: record of {fn.function_name} not delivered to {destination}: {exc!r}")  # noqa: T201
