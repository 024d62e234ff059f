"""Emulator feature: S3 bucket policies with conditions evaluated as AWS would for a TLS client.

moto 5.x checks a bucket's policy on object requests (GetObject, PutObject, ...) but cannot see
the request context (``aws:SecureTransport``, ``aws:SourceArn``, ``aws:SourceAccount``...). Its
statement evaluation returns DENIED whenever a statement's condition is not met, whatever the
statement's effect, so the TLS-only statement every bucket of this project carries
(Deny ``s3:*`` when ``aws:SecureTransport`` is ``false``) denies every object request, and so
does any conditional Allow.

In AWS a statement whose condition does not hold simply does not apply. The emulator is reached
over plain HTTP only because it is local; deployed code always uses TLS. This extension,
installed in the emulator's server process by `emulator.extensions.install()`, therefore
evaluates bucket policies the AWS way for a request made over TLS with no further context:
statements with a ``Condition`` do not apply (their context keys are unknown), every other
statement is evaluated by moto as before (an unconditional Deny still denies).
"""

from __future__ import annotations

import json
from typing import Any


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy.get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def evaluate(policy_document: str, action: str, resource: str) -> Any:
    """PermissionResult of a bucket policy for an unconditioned request context."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    permitted = False
    for statement in _statements(json.loads(policy_document)):
        if statement.get("Condition"):
            continue
        result = IAMPolicyStatement(statement).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return result
        if result == PermissionResult.PERMITTED:
            permitted = True
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def install() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        return evaluate(self.policy.decode(), action, resource)

    FakeBucket.get_permission = get_permission
