"""S3 bucket names owned by another account (aws profile): in moto every name is free or ours.

Gap: bucket names are global on AWS; a name another account owns cannot be created and none of
its calls are allowed to us, whereas moto (one account, no neighbours) answers NoSuchBucket or
creates it. A deploy that picks a taken name therefore fails on AWS only, with a vague error. The
account setting below lets tests model such names, so a read-only preflight can show that it
names the bucket instead of failing later with a permission error.

Account setting (``profile.current().account``), read on every S3 call under the aws profile:

* ``foreign_buckets`` (list of bucket names, default ``[]``): names owned by another account.

For those names, whatever the emulator holds under them:

* HeadBucket (and HeadObject) answers 403 with no body, as AWS does for a bucket you may not read;
* CreateBucket answers 409 BucketAlreadyExists, ``The requested bucket name is not available. The
  bucket namespace is shared by all users of the system. Please select a different name and try
  again.``;
* any other bucket or object call answers 403 AccessDenied, ``Access Denied``.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any
from xml.sax.saxutils import escape

from emulator import profile

BUCKET_ALREADY_EXISTS = (
    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
    "Please select a different name and try again."
)
_INSTALLED = False


def foreign_buckets() -> list[str]:
    settings = profile.current()
    if not settings.aws:
        return []
    return list(settings.account.get("foreign_buckets") or [])


def _error(status: int, code: str, message: str, bucket: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request_id = uuid.uuid4().hex[:16].upper()
    extra = f"<BucketName>{escape(bucket)}</BucketName>" if bucket else ""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}</Message>'
        f"{extra}<RequestId>{request_id}</RequestId><HostId>{uuid.uuid4().hex}</HostId></Error>"
    )
    headers = {"content-type": "application/xml", "x-amz-request-id": request_id}
    return status, headers, body.encode()


def answer(method: str, bucket: str, is_bucket_call: bool, query: dict[str, Any]) -> tuple | None:
    """AWS's answer to a call on a bucket another account owns; None when the bucket is not one."""
    if not bucket or bucket not in foreign_buckets():
        return None
    if method == "HEAD":
        return 403, {"x-amz-request-id": uuid.uuid4().hex[:16].upper()}, b""
    if is_bucket_call and method == "PUT" and not [k for k in query if k != "x-id"]:
        return _error(409, "BucketAlreadyExists", BUCKET_ALREADY_EXISTS, bucket)
    return _error(403, "AccessDenied", "Access Denied")


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.s3.responses import S3Response

    def guarded(original: Any, is_bucket_call: bool) -> Any:
        @functools.wraps(original)
        def response(self: Any, request: Any, full_url: str, headers: Any) -> Any:
            if foreign_buckets():
                self.setup_class(request)
                bucket = self.parse_bucket_name_from_url(request, full_url)
                refused = answer(request.method, bucket, is_bucket_call, self._get_querystring(request, full_url))
                if refused is not None:
                    return refused
            return original(self, request, full_url, headers)

        return response

    S3Response.bucket_response = guarded(S3Response.bucket_response, True)
    S3Response.key_response = guarded(S3Response.key_response, False)
