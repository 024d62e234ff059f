"""Propagation of IAM roles, KMS key policies and Lambda permissions under the aws profile.

Gap filled: in AWS a new IAM role, a new or changed key policy and a new Lambda permission take seconds
to reach the services that use them (IAM and KMS are eventually consistent); moto applies them at once.
This module records, on the moto objects themselves and only under the aws profile, when each was
created or changed (``profile.aws_seconds()``), and answers whether a service may use it yet:

* an IAM role (CreateRole, UpdateAssumeRolePolicy): not assumable for ``iam.role.propagation`` seconds;
* a KMS key (CreateKey, PutKeyPolicy): its policy not effective for ``kms.policy.propagation`` seconds;
* a statement of a function's resource policy (AddPermission): not seen by the invoking service for
  ``lambda.permission.propagation`` seconds.

The checks read the durations when asked, so a test may shorten one after the fact. The rules that
use them live in ``emulator.iam_role_propagation``, ``emulator.kms_policy_propagation`` and
``emulator.s3_lambda_notifications``. Nothing is recorded under the default profile, where
everything is usable at once as before.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from typing import Any
from urllib.parse import unquote

from emulator import profile

ROLE_STAMP = "_tap_trust_changed_at"
KEY_STAMP = "_tap_policy_changed_at"
PERMISSION_STAMPS = "_tap_statements_added_at"

_INSTALLED = False


def _now_if_aws() -> float | None:
    return profile.aws_seconds() if profile.current().aws else None


def _still_propagating(changed_at: float | None, duration_name: str) -> bool:
    if changed_at is None or not profile.current().aws:
        return False
    return profile.aws_seconds() - changed_at < profile.duration(duration_name)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def load_policy(document: Any) -> dict[str, Any]:
    """A policy document as a dict, whether moto kept it as JSON text (possibly URL-encoded) or a dict."""
    if isinstance(document, dict):
        return document
    if not document:
        return {}
    text = str(document)
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(unquote(text))


def allows(statement: dict[str, Any], action: str) -> bool:
    """True when an Allow statement's Action names action (wildcards as IAM reads them)."""
    if statement.get("Effect", "Allow") != "Allow":
        return False
    return any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in as_list(statement.get("Action")))


def names_service(statement: dict[str, Any], service: str) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return service in as_list(principal.get("Service")) or "*" in as_list(principal.get("AWS"))


# ---------------------------------------------------------------- IAM roles


def find_role(role_arn: str) -> Any | None:
    """The moto role of that ARN (in the account the ARN names), or None."""
    from moto.iam.models import iam_backends

    parts = role_arn.split(":")
    if len(parts) < 6 or parts[2] != "iam":
        return None
    try:
        return iam_backends[parts[4]][parts[1] or "aws"].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - moto's not-found error differs by path; unknown means no role
        return None


def role_trusts(role: Any, service: str) -> bool:
    """True when the role's trust policy lets service call sts:AssumeRole (conditions are not evaluated)."""
    try:
        trust = load_policy(role.assume_role_policy_document)
    except ValueError:
        return False
    return any(allows(s, "sts:AssumeRole") and names_service(s, service) for s in as_list(trust.get("Statement")))


def role_assumable(role_arn: str | None, service: str) -> bool:
    """Whether service can assume the role now: it exists, trusts service, and has propagated."""
    if not role_arn:
        return False
    role = find_role(role_arn)
    if role is None or not role_trusts(role, service):
        return False
    return not _still_propagating(getattr(role, ROLE_STAMP, None), "iam.role.propagation")


def _install_iam() -> None:
    from moto.iam.models import IAMBackend

    original_create = IAMBackend.create_role
    original_update = IAMBackend.update_assume_role_policy

    @functools.wraps(original_create)
    def create_role(self: Any, *args: Any, **kwargs: Any) -> Any:
        role = original_create(self, *args, **kwargs)
        setattr(role, ROLE_STAMP, _now_if_aws())
        return role

    @functools.wraps(original_update)
    def update_assume_role_policy(self: Any, role_name: str, policy_document: str) -> None:
        original_update(self, role_name, policy_document)
        setattr(self.get_role(role_name), ROLE_STAMP, _now_if_aws())

    IAMBackend.create_role = create_role
    IAMBackend.update_assume_role_policy = update_assume_role_policy


# ---------------------------------------------------------------- KMS keys


def find_key(key_id: str, account_id: str, region: str) -> Any | None:
    """The moto key that key_id (id, ARN, alias) names in that account and region, or None."""
    from moto.kms.models import kms_backends

    if key_id.startswith("arn:"):
        parts = key_id.split(":")
        if len(parts) >= 6:
            account_id, region = parts[4], parts[3]
    try:
        return kms_backends[account_id][region].describe_key(key_id)
    except Exception:  # noqa: BLE001 - an unknown key or alias is simply not found
        return None


def key_policy_allows(key: Any, service: str, action: str) -> bool:
    """True when the key policy has an Allow statement for service and action (conditions not evaluated)."""
    try:
        policy = load_policy(key.policy)
    except ValueError:
        return False
    return any(allows(s, action) and names_service(s, service) for s in as_list(policy.get("Statement")))


def key_policy_propagating(key: Any) -> bool:
    return _still_propagating(getattr(key, KEY_STAMP, None), "kms.policy.propagation")


def _install_kms() -> None:
    from moto.kms.models import KmsBackend

    original_create = KmsBackend.create_key
    original_put = KmsBackend.put_key_policy

    @functools.wraps(original_create)
    def create_key(self: Any, *args: Any, **kwargs: Any) -> Any:
        key = original_create(self, *args, **kwargs)
        setattr(key, KEY_STAMP, _now_if_aws())
        return key

    @functools.wraps(original_put)
    def put_key_policy(self: Any, key_id: str, policy: str) -> None:
        original_put(self, key_id, policy)
        setattr(self.describe_key(key_id), KEY_STAMP, _now_if_aws())

    KmsBackend.create_key = create_key
    KmsBackend.put_key_policy = put_key_policy


# ---------------------------------------------------------------- Lambda permissions


def permission_propagating(policy: Any, sid: str | None) -> bool:
    """True while the statement sid of a function's resource policy is still propagating."""
    added = getattr(policy, PERMISSION_STAMPS, {}).get(sid)
    return _still_propagating(added, "lambda.permission.propagation")


def _install_lambda_policy() -> None:
    from moto.awslambda.policy import Policy

    original_add = Policy.add_statement
    original_delete = Policy.del_statement

    @functools.wraps(original_add)
    def add_statement(self: Any, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
        statement, revision = original_add(self, raw, qualifier)
        stamps = self.__dict__.setdefault(PERMISSION_STAMPS, {})
        stamps[statement.get("Sid")] = _now_if_aws()
        return statement, revision

    @functools.wraps(original_delete)
    def del_statement(self: Any, sid: str, revision: str = "") -> None:
        original_delete(self, sid, revision)
        self.__dict__.get(PERMISSION_STAMPS, {}).pop(sid, None)

    Policy.add_statement = add_statement
    Policy.del_statement = del_statement


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    _install_iam()
    _install_kms()
    _install_lambda_policy()
