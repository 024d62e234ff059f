"""Emulator feature: S3 event notifications invoke Lambda functions asynchronously, with AWS's event shape.

Gaps of moto 5.2.5:
- A notification to a function invokes it synchronously, inside the PUT request (which then waits for
  the function), once, whatever the function's policy says. S3 invokes functions asynchronously: the
  PUT returns at once, the event is queued and run by a background thread with the function's retries
  and on-failure destination (``emulator.lambda_async``). An event whose function policy does not allow
  ``s3.amazonaws.com`` for this bucket (``AWS:SourceArn``) and account (``AWS:SourceAccount``) is
  dropped, as S3 cannot deliver it (reported in the server log).
- The event lacks ``versionId`` (versioned buckets), ``sequencer``, ``userIdentity``,
  ``requestParameters``, ``responseElements`` and the bucket's ``ownerIdentity``; the key is
  URL-encoded with ``/`` encoded too, where S3 keeps it (``quote_plus(key, safe="/")``: a space becomes
  ``+``, a literal ``+`` becomes ``%2B``). The same event goes to SQS and SNS destinations.

Patched: ``moto.s3.notifications._get_s3_event`` and ``moto.s3.notifications._invoke_awslambda``.
Installed by ``emulator.extensions.install()``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import quote_plus

_INSTALLED = False
_sequence_lock = threading.Lock()
_last_sequencer = 0
_request_ids = itertools.count(1)


def _sequencer() -> str:
    """Hexadecimal, increasing for successive events (S3 uses it to order events of one key)."""
    global _last_sequencer
    with _sequence_lock:
        _last_sequencer = max(_last_sequencer + 1, time.time_ns())
        return f"{_last_sequencer:018X}"


def _principal(account_id: str) -> str:
    """A stable stand-in for the Amazon customer id S3 puts in principalId fields."""
    return "A" + hashlib.sha256(account_id.encode()).hexdigest()[:13].upper()


def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
    """The notification S3 sends for one object event (notification-content-structure, version 2.1)."""
    from moto.core.utils import iso_8601_datetime_with_milliseconds

    request_id = f"{next(_request_ids):016X}"
    obj: dict[str, Any] = {
        "key": quote_plus(key.name, safe="/"),
        "size": key.size,
        "eTag": key.etag.replace('"', ""),
    }
    version_id = getattr(key, "version_id", None)
    if getattr(bucket, "is_versioned", False) and version_id and version_id != "null":
        obj["versionId"] = version_id
    obj["sequencer"] = _sequencer()
    owner = _principal(bucket.account_id)
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": bucket.region_name,
                "eventTime": iso_8601_datetime_with_milliseconds(),
                "eventName": str(getattr(event_name, "value", event_name))[
                    3:
                ],  # s3:ObjectCreated:Put -> ObjectCreated:Put
                "userIdentity": {"principalId": f"AWS:{owner}"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": request_id,
                    "x-amz-id-2": hashlib.sha256(request_id.encode()).hexdigest(),
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": notification_id,
                    "bucket": {"name": bucket.name, "ownerIdentity": {"principalId": owner}, "arn": bucket.arn},
                    "object": obj,
                },
            }
        ]
    }


def _invoke_awslambda(account_id: str, event_body: Any, fn_arn: str, region_name: str, original: Any) -> None:
    from emulator import lambda_async, lambda_permissions, lambda_runtime

    fn = lambda_runtime.function_from_arn(fn_arn)
    if fn is None:
        return  # the function is gone: S3 cannot deliver the event
    if lambda_runtime.spec_for(fn) is None:
        original(account_id, event_body, fn_arn, region_name)
        return
    record = event_body["Records"][0]
    bucket_arn = record["s3"]["bucket"]["arn"]
    if not lambda_permissions.allows(fn, "s3.amazonaws.com", bucket_arn, account_id):
        print(f"emulator: S3 event of {bucket_arn} not delivered: the policy of {fn.function_name} does not allow it")  # noqa: T201
        return
    lambda_async.submit(fn, json.dumps(event_body))


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.s3 import notifications

    original = notifications._invoke_awslambda
    notifications._get_s3_event = s3_event
    notifications._invoke_awslambda = lambda account_id, event_body, fn_arn, region_name: _invoke_awslambda(
        account_id, event_body, fn_arn, region_name, original
    )
