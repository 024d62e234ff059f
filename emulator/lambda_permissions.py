"""Whether a function's resource-based policy lets a service invoke it (for the emulator's S3 notifications
and API Gateway invocations).

AWS evaluates the function policy on every invocation by a service: S3 drops an event it may not
deliver, API Gateway answers 500 ("Invalid permissions on Lambda function"). moto stores the
statements AddPermission writes but never evaluates them. Evaluated here: ``Allow`` statements whose
principal is the service (or ``*``), whose action is ``lambda:InvokeFunction`` (or ``lambda:*``/``*``)
and whose conditions (``ArnLike``, ``ArnEquals``, ``StringEquals``, ``StringLike`` on
``AWS:SourceArn`` and ``AWS:SourceAccount``) hold; an explicit ``Deny`` that matches wins. A condition
operator or key not listed here makes its statement not apply.
"""

from __future__ import annotations

import fnmatch
from typing import Any

_ACTIONS = {"lambda:invokefunction", "lambda:*", "*"}


def _values(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return service in _values(principal.get("Service")) or "*" in _values(principal.get("AWS"))
    return False


def _glob(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _condition_holds(condition: dict, context: dict[str, str | None]) -> bool:
    for operator, entries in (condition or {}).items():
        for key, expected in (entries or {}).items():
            actual = context.get(key.lower())
            if actual is None:
                return False
            patterns = [str(p) for p in _values(expected)]
            if operator in ("ArnLike", "StringLike"):
                matched = any(_glob(p, actual) for p in patterns)
            elif operator in ("ArnEquals", "StringEquals"):
                matched = actual in patterns
            else:
                return False
            if not matched:
                return False
    return True


def allows(fn: Any, service: str, source_arn: str | None, source_account: str | None) -> bool:
    """True when fn's policy lets ``service`` (e.g. s3.amazonaws.com) invoke it for that source."""
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": source_account}
    allowed = False
    for statement in getattr(fn.policy, "statements", []) or []:
        actions = {str(a).lower() for a in _values(statement.get("Action"))}
        if not actions & _ACTIONS or not _principal_matches(statement.get("Principal"), service):
            continue
        if not _condition_holds(statement.get("Condition") or {}, context):
            continue
        if statement.get("Effect", "Allow") == "Deny":
            return False
        allowed = True
    return allowed
