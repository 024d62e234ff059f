"""S3 validates a bucket's Lambda notification destinations (aws profile).

Gap filled: moto stores any notification configuration. AWS checks, when
PutBucketNotificationConfiguration is called, that S3 may invoke each destination function: its
resource policy must allow ``s3.amazonaws.com`` to call ``lambda:InvokeFunction`` for this bucket (an
``AWS:SourceArn`` condition, if any, matching the bucket's ARN; an ``AWS:SourceAccount`` condition, if
any, naming the bucket's account), and that permission must have propagated
(``lambda.permission.propagation`` AWS seconds after AddPermission, see ``emulator.propagation``).
Otherwise, under the aws profile, the call answers InvalidArgument "Unable to validate the following
destination configurations", naming each refused destination (``<function arn>, null``) with "Not
authorized to invoke function [<function arn>]", as AWS does, and the configuration is not changed.

Patched (moto 5.2.5): ``S3Backend.put_bucket_notification_configuration`` (wrapped; the error is
written here, since moto's S3 error serializer writes Code and Message only).
"""

from __future__ import annotations

import fnmatch
import functools
import uuid
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.exceptions import HTTPException

from emulator import profile, propagation

S3_PRINCIPAL = "s3.amazonaws.com"
MESSAGE = "Unable to validate the following destination configurations"

_INSTALLED = False


def _condition_values(statement: dict[str, Any], key: str) -> list[tuple[str, str]]:
    """(operator, value) pairs of the statement's conditions on key (condition keys are case-insensitive)."""
    found = []
    for operator, conditions in (statement.get("Condition") or {}).items():
        for name, values in (conditions or {}).items():
            if name.lower() == key.lower():
                found.extend((operator, str(v)) for v in propagation.as_list(values))
    return found


def _matches(pairs: list[tuple[str, str]], value: str) -> bool:
    if not pairs:
        return True
    return any(
        fnmatch.fnmatchcase(value, expected) if "Like" in operator else value == expected
        for operator, expected in pairs
    )


def _find_function(function_arn: str) -> Any | None:
    from moto.awslambda.models import lambda_backends

    parts = function_arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        return None
    try:
        return lambda_backends[parts[4]][parts[3]].get_function(function_arn)
    except Exception:  # noqa: BLE001 - a missing function cannot be invoked either
        return None


def s3_may_invoke(function_arn: str, bucket: Any) -> bool:
    fn = _find_function(function_arn)
    if fn is None:
        return False
    bucket_arn = f"arn:{bucket.partition}:s3:::{bucket.name}"
    for statement in fn.policy.statements:
        if not (
            propagation.allows(statement, "lambda:InvokeFunction")
            and propagation.names_service(statement, S3_PRINCIPAL)
        ):
            continue
        if not _matches(_condition_values(statement, "AWS:SourceArn"), bucket_arn):
            continue
        if not _matches(_condition_values(statement, "AWS:SourceAccount"), bucket.account_id):
            continue
        if not propagation.permission_propagating(fn.policy, statement.get("Sid")):
            return True
    return False


def refused_destinations(notification_config: dict[str, Any], bucket: Any) -> list[str]:
    functions = [
        c.get("CloudFunction") for c in propagation.as_list(notification_config.get("CloudFunctionConfiguration"))
    ]
    return [arn for arn in functions if arn and not s3_may_invoke(arn, bucket)]


class DestinationsNotValidated(HTTPException):
    """AWS's error body, numbering each refused destination (ArgumentName1/ArgumentValue1, ...).

    moto's S3 error serializer writes only Code and Message, so this answer is written here; Flask
    answers an HTTPException raised by a handler with its body and headers.
    """

    code = 400

    def __init__(self, function_arns: list[str]) -> None:
        super().__init__()
        arguments = "".join(
            f"<ArgumentName{i}>{escape(arn)}, null</ArgumentName{i}>"
            f"<ArgumentValue{i}>Not authorized to invoke function [{escape(arn)}]</ArgumentValue{i}>"
            for i, arn in enumerate(function_arns, start=1)
        )
        request_id = uuid.uuid4().hex[:16].upper()
        self.description = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>InvalidArgument</Code><Message>{MESSAGE}</Message>{arguments}"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )

    def get_body(self, *args: Any, **kwargs: Any) -> str:
        return self.description

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [("Content-Type", "application/xml")]


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.s3.models import S3Backend

    propagation.install()

    original = S3Backend.put_bucket_notification_configuration

    @functools.wraps(original)
    def put_bucket_notification_configuration(self: Any, bucket_name: str, notification_config: dict[str, Any]) -> None:
        if profile.current().aws and notification_config:
            refused = refused_destinations(notification_config, self.get_bucket(bucket_name))
            if refused:
                raise DestinationsNotValidated(refused)
        return original(self, bucket_name, notification_config)

    S3Backend.put_bucket_notification_configuration = put_bucket_notification_configuration
