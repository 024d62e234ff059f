"""Data processor: S3 object-created events and API Gateway v2 ``POST /process``.

Handler: ``processor.handler``. Runtime: python3.11. Dependencies: boto3 (from the runtime) only.

Environment:
  TABLE_NAME          sessions table (required)
  REGION              region recorded on items (default: AWS_REGION of the runtime)
  INLINE_LIMIT_BYTES  objects larger than this are recorded by reference, not inlined
                      (default 262144 = 256 KiB, at most 358400 so an item stays below
                      DynamoDB's 400 KB item limit)
  LOG_LEVEL           DEBUG/INFO/WARNING/ERROR (default INFO)

S3 events: each record's object is read and stored as an item
``{session_id: key, data, region, size, processed_at, request_id, bucket, etag, storage}``.
Objects above the inline limit are stored with ``storage: "reference"`` and a ``reference``
map ``{bucket, key, etag[, version_id]}`` instead of ``data``. Text objects are stored as
strings; other bytes as DynamoDB binary (``data_encoding: "base64"`` in API responses).
A record that cannot be processed makes the invocation fail with a generic error after all
records were tried, so Lambda retries the asynchronous invocation and finally hands it to the
function's on-failure destination; the details are only in the log.

API events (payload format 2.0, route ``POST /process``, JSON body ``{"session_id": "..."}``,
optionally base64-encoded): 200 with the item, 404 when unknown, 400 for a missing or invalid
body or session_id. Any other event: 400. Unexpected errors: 500 with a generic message.

Every log line is one JSON object on stdout.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import datetime
import json
import logging
import os
import sys
import threading
import traceback
from decimal import Decimal
from urllib.parse import unquote_plus

import boto3
from boto3.dynamodb.types import Binary
from botocore.config import Config

DEFAULT_INLINE_LIMIT_BYTES = 256 * 1024
# DynamoDB's item limit is 400 KB including attribute names and the other attributes.
MAX_INLINE_LIMIT_BYTES = 350 * 1024
MAX_SESSION_ID_BYTES = 1024  # S3 key limit; DynamoDB allows 2048 for a hash key
API_ROUTE = "POST /process"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


# --------------------------------------------------------------------------- logging
class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "request_id": _request_id.get(),
            "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        }
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["error_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            line["error"] = str(record.exc_info[1])
            line["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(line, default=_json_default, ensure_ascii=False, separators=(",", ":"))


class _StdoutHandler(logging.Handler):
    """Writes to the current sys.stdout (Lambda sends stdout to CloudWatch Logs)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:  # logging must never break the handler
            self.handleError(record)


LOG = logging.getLogger("processor")
if not LOG.handlers:
    _handler = _StdoutHandler()
    _handler.setFormatter(_JsonFormatter())
    LOG.addHandler(_handler)
LOG.propagate = False  # the runtime's root handler would print every line a second time
_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOG.setLevel(_LEVEL if _LEVEL in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "INFO")


def _log(level: int, message: str, exc_info: bool = False, **fields) -> None:
    LOG.log(level, message, exc_info=exc_info, extra={"fields": fields})


# --------------------------------------------------------------------------- clients
# Created on first use and kept for the life of the container (not per invocation).
_clients: dict[str, object] = {}
_clients_lock = threading.Lock()
_CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=5,
    read_timeout=20,
)


def _region() -> str | None:
    return os.environ.get("REGION") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def _client(name: str):
    client = _clients.get(name)
    if client is None:
        with _clients_lock:
            client = _clients.get(name)
            if client is None:
                session = _clients.get("session")
                if session is None:
                    session = _clients["session"] = boto3.session.Session()
                if name == "dynamodb":
                    client = session.resource("dynamodb", region_name=_region(), config=_CLIENT_CONFIG)
                else:
                    client = session.client(name, region_name=_region(), config=_CLIENT_CONFIG)
                _clients[name] = client
    return client


def _table():
    name = os.environ.get("TABLE_NAME")
    if not name:
        raise RuntimeError("environment variable TABLE_NAME is not set")
    key = f"table:{name}"
    table = _clients.get(key)
    if table is None:
        table = _client("dynamodb").Table(name)
        _clients[key] = table
    return table


def _reset_clients() -> None:
    """Forget the cached clients (tests and benchmarks that change endpoint or region)."""
    with _clients_lock:
        _clients.clear()


# --------------------------------------------------------------------------- helpers
def _json_default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        value = value.value
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _response(status: int, body: dict) -> dict:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, default=_json_default, ensure_ascii=False),
    }


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _inline_limit() -> int:
    raw = os.environ.get("INLINE_LIMIT_BYTES")
    if raw in (None, ""):
        return DEFAULT_INLINE_LIMIT_BYTES
    try:
        limit = int(raw)
    except ValueError:
        raise RuntimeError(f"INLINE_LIMIT_BYTES must be an integer, got {raw!r}")
    if limit < 0:
        raise RuntimeError(f"INLINE_LIMIT_BYTES must not be negative, got {limit}")
    return min(limit, MAX_INLINE_LIMIT_BYTES)


class ProcessingError(RuntimeError):
    """Raised when S3 records could not be processed, so that Lambda retries the event."""


class _BadRequest(Exception):
    """The client's fault: answered with 400 and this message."""


# --------------------------------------------------------------------------- S3 events
def _is_s3_event(event) -> bool:
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, dict) and r.get("eventSource") == "aws:s3" and isinstance(r.get("s3"), dict)
                for r in records)
    )


def _process_record(record: dict, request_id: str | None, limit: int) -> str:
    bucket = record["s3"]["bucket"]["name"]
    key = unquote_plus(record["s3"]["object"]["key"])  # S3 sends keys form-encoded
    version_id = record["s3"]["object"].get("versionId")
    args = {"Bucket": bucket, "Key": key}
    if version_id:
        args["VersionId"] = version_id

    response = _client("s3").get_object(**args)
    body = response["Body"]
    size = int(response.get("ContentLength", 0))
    etag = (response.get("ETag") or "").strip('"')
    item = {
        "session_id": key,
        "region": _region(),
        "size": size,
        "processed_at": _now(),
        "request_id": request_id,
        "bucket": bucket,
        "etag": etag,
    }
    if size > limit:
        body.close()  # do not download what will not be stored
        reference = {"bucket": bucket, "key": key, "etag": etag}
        if response.get("VersionId"):
            reference["version_id"] = response["VersionId"]
        item.update(storage="reference", reference=reference)
    else:
        data = body.read()
        try:
            item["data"] = data.decode("utf-8")
        except UnicodeDecodeError:
            item["data"] = Binary(data)
            item["data_encoding"] = "base64"
        item["storage"] = "inline"

    _table().put_item(Item=item)
    _log(logging.INFO, "stored object", bucket=bucket, key=key, size=size, storage=item["storage"])
    return key


def _handle_s3(event: dict, request_id: str | None) -> dict:
    limit = _inline_limit()
    processed, failed = [], 0
    for index, record in enumerate(event["Records"]):
        name = str(record.get("eventName", ""))
        if name.startswith("ObjectRemoved"):
            _log(logging.INFO, "skipped record", record=index, event_name=name)
            continue
        try:
            processed.append(_process_record(record, request_id, limit))
        except Exception:
            failed += 1
            _log(logging.ERROR, "record failed", exc_info=True, record=index, event_name=name)
    if failed:
        # Generic on purpose: the invocation error can reach the on-failure destination.
        raise ProcessingError(f"{failed} of {len(event['Records'])} records could not be processed")
    return _response(200, {"processed": len(processed)})


# --------------------------------------------------------------------------- API events
def _is_api_event(event) -> bool:
    return event.get("version") == "2.0" and isinstance(event.get("requestContext"), dict) and "routeKey" in event


def _session_id_from(event: dict) -> str:
    body = event.get("body")
    if body is None:
        raise _BadRequest("request body is required")
    if not isinstance(body, str):
        raise _BadRequest("request body must be JSON text")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _BadRequest("request body is not valid base64-encoded UTF-8")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise _BadRequest("request body is not valid JSON")
    if not isinstance(payload, dict):
        raise _BadRequest("request body must be a JSON object")
    session_id = payload.get("session_id")
    if not isinstance(session_id, str) or not session_id.strip():
        raise _BadRequest("session_id must be a non-empty string")
    if len(session_id.encode("utf-8")) > MAX_SESSION_ID_BYTES:
        raise _BadRequest(f"session_id must be at most {MAX_SESSION_ID_BYTES} bytes")
    return session_id


def _handle_api(event: dict) -> dict:
    if event.get("routeKey") != API_ROUTE:
        _log(logging.WARNING, "unsupported route", route=event.get("routeKey"))
        return _response(400, {"message": "unsupported request"})
    try:
        session_id = _session_id_from(event)
    except _BadRequest as exc:
        _log(logging.INFO, "bad request", reason=str(exc))
        return _response(400, {"message": str(exc)})
    item = _table().get_item(Key={"session_id": session_id}).get("Item")
    if item is None:
        _log(logging.INFO, "session not found", session_id=session_id)
        return _response(404, {"message": "session not found"})
    _log(logging.INFO, "session found", session_id=session_id)
    return _response(200, item)


# --------------------------------------------------------------------------- entry point
def handler(event, context):
    request_id = getattr(context, "aws_request_id", None)
    token = _request_id.set(request_id)
    try:
        if isinstance(event, dict) and _is_s3_event(event):
            _log(logging.INFO, "s3 event", records=len(event["Records"]))
            try:
                return _handle_s3(event, request_id)
            except ProcessingError:
                raise
            except Exception:
                _log(logging.ERROR, "s3 event failed", exc_info=True)
                raise ProcessingError("the event could not be processed") from None
        if isinstance(event, dict) and _is_api_event(event):
            return _handle_api(event)
        _log(logging.WARNING, "unsupported event",
             keys=sorted(event)[:20] if isinstance(event, dict) else type(event).__name__)
        return _response(400, {"message": "unsupported event"})
    except ProcessingError:
        raise  # S3 (asynchronous) events: Lambda retries, then the on-failure destination
    except Exception:
        _log(logging.ERROR, "internal error", exc_info=True)
        return _response(500, {"message": "internal error", "request_id": request_id})
    finally:
        _request_id.reset(token)
