"""CloudWatch Logs refuses a KMS key it may not use yet (aws profile): CreateLogGroup, AssociateKmsKey.

Gap filled: moto encrypts a log group with any kmsKeyId, even one that does not exist. In AWS
CloudWatch Logs uses the key with its own service principal (``logs.<region>.amazonaws.com``), so the
key must exist in the log group's region, its key policy must allow that principal to use it, and a new
key or a changed key policy takes seconds to become effective (``kms.policy.propagation`` AWS seconds
after CreateKey or PutKeyPolicy, see ``emulator.propagation``). Until then, under the aws profile,
CreateLogGroup and AssociateKmsKey with that key answer AccessDeniedException "The specified KMS key
does not exist or is not allowed to be used with Arn 'arn:aws:logs:<region>:<account>:log-group:<name>'".

The policy check is by principal and action only (``kms:GenerateDataKey`` allowed to
``logs.<region>.amazonaws.com``); the encryption-context condition AWS recommends is not evaluated.

Patched (moto 5.2.5): checks before Logs ``CreateLogGroup`` and ``AssociateKmsKey`` through
``emulator.action_guards`` (no operation method is replaced).
"""

from __future__ import annotations

from typing import Any

from emulator import action_guards, propagation

MESSAGE = "The specified KMS key does not exist or is not allowed to be used with Arn '{}'"
REQUIRED_ACTION = "kms:GenerateDataKey"

_INSTALLED = False


def logs_principal(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"logs.{region}.{suffix}"


def log_group_arn(account_id: str, region: str, name: str) -> str:
    from moto.utilities.utils import get_partition

    return f"arn:{get_partition(region)}:logs:{region}:{account_id}:log-group:{name}"


def key_usable(key_id: str, account_id: str, region: str) -> bool:
    key = propagation.find_key(key_id, account_id, region)
    if key is None or key.region != region:
        return False
    if not propagation.key_policy_allows(key, logs_principal(region), REQUIRED_ACTION):
        return False
    return not propagation.key_policy_propagating(key)


def _check(response: Any) -> None:
    from moto.core.exceptions import JsonRESTError

    key_id = response._get_param("kmsKeyId")
    if not key_id:
        return
    account_id, region = response.current_account, response.region
    if not key_usable(key_id, account_id, region):
        name = response._get_param("logGroupName")
        raise JsonRESTError("AccessDeniedException", MESSAGE.format(log_group_arn(account_id, region, name)))


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.logs.responses import LogsResponse

    propagation.install()
    for action in ("CreateLogGroup", "AssociateKmsKey"):
        action_guards.guard(LogsResponse, action, _check)
