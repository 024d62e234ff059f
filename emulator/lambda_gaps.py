"""Lambda and CloudWatch Logs gaps of moto 5.2.5 that tap.multiregion.lambda_function runs into.

Gaps filled (each as AWS documents it):
- UpdateFunctionConfiguration ignores ``KMSKeyArn``: the key that encrypts the environment variables
  could never be changed or removed (``""`` goes back to the AWS managed key).
- CreateFunction and UpdateFunctionConfiguration ignore ``DeadLetterConfig`` and GetFunction never answers
  it: a function's dead-letter queue could not be set or checked. AWS keeps ``{"TargetArn": <queue or
  topic>}``, answers it in the configuration while it is set and drops it when updated with an empty
  ``TargetArn``.
- PutFunctionEventInvokeConfig appends a second configuration and GetFunctionEventInvokeConfig keeps
  answering with the first one; AWS replaces the function's configuration.
- CloudWatch Logs AssociateKmsKey / DisassociateKmsKey are not implemented (a log group's key could be
  set at creation only).
- AddPermission with a statement id the function's policy already has appends a second statement of that
  id; AWS refuses it with ResourceConflictException (409, "The statement id (<sid>) provided already
  exists..."), so a module that adds without removing the old statement first fails as it would on AWS.

Installed in the emulator's server process by ``emulator.extensions.install()`` (register
``lambda_gaps`` in ``EXTENSIONS``). The AWS managed policies the execution role attaches come from
``emulator.iam_managed_policies``.
"""

from __future__ import annotations

import functools
from typing import Any

_INSTALLED = False


def _install_lambda() -> None:
    from moto.awslambda.models import EventInvokeConfig, LambdaBackend, LambdaFunction

    original_update = LambdaFunction.update_configuration

    @functools.wraps(original_update)
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "KMSKeyArn" in config_updates:
            self.kms_key_arn = config_updates["KMSKeyArn"] or None
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_target_arn = (config_updates["DeadLetterConfig"] or {}).get("TargetArn") or None
        return original_update(self, config_updates)

    LambdaFunction.update_configuration = update_configuration

    original_init = LambdaFunction.__init__

    @functools.wraps(original_init)
    def init(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.dead_letter_target_arn = (spec.get("DeadLetterConfig") or {}).get("TargetArn") or None

    LambdaFunction.__init__ = init

    original_configuration = LambdaFunction.get_configuration

    @functools.wraps(original_configuration)
    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_configuration(self, *args, **kwargs)
        target = getattr(self, "dead_letter_target_arn", None)
        if target:
            config["DeadLetterConfig"] = {"TargetArn": target}
        return config

    LambdaFunction.get_configuration = get_configuration

    def put_function_event_invoke_config(self: Any, function_name: str, config: dict[str, Any]) -> dict[str, Any]:
        fn = self.get_function(function_name)
        event_config = EventInvokeConfig(fn.function_arn, fn.last_modified, config)
        fn.event_invoke_config = [event_config]
        return event_config.response()

    LambdaBackend.put_function_event_invoke_config = put_function_event_invoke_config


def _install_policy() -> None:
    from moto.awslambda.exceptions import LambdaClientError
    from moto.awslambda.policy import Policy

    class StatementIdExists(LambdaClientError):
        code = 409

        def __init__(self, sid: str) -> None:
            super().__init__(
                "ResourceConflictException",
                f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                "or remove the existing statement.",
            )

    original_add = Policy.add_statement

    @functools.wraps(original_add)
    def add_statement(self: Any, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
        revision = self.revision
        statement, new_revision = original_add(self, raw, qualifier)
        sid = statement.get("Sid")
        if sid and any(s is not statement and s.get("Sid") == sid for s in self.statements):
            self.statements.remove(statement)
            self.revision = revision
            raise StatementIdExists(sid)
        return statement, new_revision

    Policy.add_statement = add_statement


def _install_logs() -> None:
    from moto.logs.exceptions import ResourceNotFoundException
    from moto.logs.responses import LogsResponse

    def set_key(self: Any, key_id: str | None) -> str:
        name = self._get_param("logGroupName")
        group = self.logs_backend.groups.get(name)
        if group is None:
            raise ResourceNotFoundException()
        group.kms_key_id = key_id
        return ""

    def associate_kms_key(self: Any) -> str:
        return set_key(self, self._get_param("kmsKeyId"))

    def disassociate_kms_key(self: Any) -> str:
        return set_key(self, None)

    LogsResponse.associate_kms_key = associate_kms_key
    LogsResponse.disassociate_kms_key = disassociate_kms_key


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    _install_lambda()
    _install_policy()
    _install_logs()
