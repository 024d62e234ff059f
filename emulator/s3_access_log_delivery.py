"""Late S3 server access log objects (aws profile): moto writes them at once, AWS later, best effort.

Gap: with server access logging on, moto puts a log object into the target bucket during the very
request it logs. AWS delivers access logs best effort, minutes to hours later, so a target bucket
that was just emptied can receive a log object before it is deleted, and DeleteBucket answers 409
BucketNotEmpty (``The bucket you tried to delete is not empty``). Teardown code that empties and
deletes a log bucket once, without retrying, fails on AWS only.

Under the aws profile (the default profile keeps moto's immediate logs):

* each request to a bucket that has server access logging schedules one log object for its target
  bucket (``<TargetPrefix>YYYY-mm-DD-HH-MM-SS-<16 hex>``, one line in AWS's log format), arriving
  ``s3.access_log.delay`` AWS seconds after the request;
* a scheduled object is put into the target bucket when that bucket is next called (listed, read,
  written or deleted) after its arrival time; nothing runs in the background;
* once the source bucket is gone (or its logging is off) nothing more is scheduled, but objects
  already scheduled still arrive; objects for a target bucket that no longer exists are dropped.

The schedule is kept on moto's S3 backend, so the emulator's reset drops it with the buckets.
"""

from __future__ import annotations

import datetime
import functools
import threading
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

from emulator import profile

DELAY = "s3.access_log.delay"
_LOCK = threading.RLock()
_INSTALLED = False


@dataclass
class ScheduledLog:
    target: str
    prefix: str
    line: str
    requested_at: float  # AWS seconds


def _schedule(backend: Any) -> list[ScheduledLog]:
    scheduled = getattr(backend, "_tap_scheduled_logs", None)
    if scheduled is None:
        scheduled = []
        backend._tap_scheduled_logs = scheduled
    return scheduled


def _log_line(request: Any, bucket: Any) -> str:
    """One access log record in AWS's field order (values the emulator cannot know are '-')."""
    now = datetime.datetime.now(datetime.UTC)
    path = urllib.parse.urlparse(getattr(request, "url", "") or "").path or "/"
    segments = [s for s in path.split("/") if s]
    key = "/".join(segments[1:]) if segments and segments[0] == bucket.name else "/".join(segments)
    operation = f"REST.{request.method}.{'OBJECT' if key else 'BUCKET'}"
    user_agent = request.headers.get("User-Agent", "-")
    request_id = uuid.uuid4().hex[:16].upper()
    return (
        f"{uuid.uuid4().hex}{uuid.uuid4().hex} {bucket.name} [{now:%d/%b/%Y:%H:%M:%S +0000}] 127.0.0.1 - "
        f'{request_id} {operation} {key or "-"} "{request.method} {path} HTTP/1.1" - - - - - - "-" '
        f'"{user_agent}" - {uuid.uuid4().hex} SigV4 - AuthHeader - - - -\n'
    )


def deliver_due(backend: Any, bucket_name: str) -> int:
    """Put the log objects for bucket_name whose arrival time has passed; returns how many."""
    scheduled = getattr(backend, "_tap_scheduled_logs", None)
    if not scheduled:
        return 0
    delivered = 0
    now, delay = profile.aws_seconds(), profile.duration(DELAY)
    with _LOCK:
        for log in [s for s in scheduled if s.target == bucket_name and now >= s.requested_at + delay]:
            scheduled.remove(log)
            if bucket_name not in backend.buckets:
                continue  # AWS cannot deliver to a bucket that is gone
            stamp = datetime.datetime.now(datetime.UTC)
            key = f"{log.prefix}{stamp:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4().hex[:16].upper()}"
            backend.put_object(bucket_name, key, value=log.line.encode())
            delivered += 1
    return delivered


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.s3.models import S3Backend

    original = S3Backend.log_incoming_request

    @functools.wraps(original)
    def log_incoming_request(self: Any, request: Any, bucket_name: str) -> None:
        if not profile.current().aws:
            deliver_due(self, bucket_name)  # left over from an earlier aws profile: arrive now
            return original(self, request, bucket_name)
        deliver_due(self, bucket_name)
        bucket = self.buckets.get(bucket_name)
        target = (bucket.logging or {}).get("TargetBucket") if bucket is not None else None
        if target:
            with _LOCK:
                _schedule(self).append(
                    ScheduledLog(
                        target=target,
                        prefix=bucket.logging.get("TargetPrefix") or "",
                        line=_log_line(request, bucket),
                        requested_at=profile.aws_seconds(),
                    )
                )
        return None

    S3Backend.log_incoming_request = log_incoming_request
