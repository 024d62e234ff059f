"""Lambda function states and update statuses under the aws profile.

Gap filled: moto creates every function ``Active`` and every update ``Successful`` at once. In AWS
(https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html) a new function is ``Pending``
(StateReasonCode ``Creating``, StateReason "The function is being created.") while Lambda sets up its
resources, a long time for a function in a VPC (its network interfaces), then ``Active`` or ``Failed``;
UpdateFunctionCode and UpdateFunctionConfiguration leave ``LastUpdateStatus`` ``InProgress``
(LastUpdateStatusReasonCode ``Creating``) until the update is done, then ``Successful`` or ``Failed``.
While a function is Pending, Invoke, UpdateFunctionCode, UpdateFunctionConfiguration and
PublishVersion fail; while an update is in progress the last three fail; all with
ResourceConflictException (409) and AWS's messages:

* "The operation cannot be performed at this time. The function is currently in the following
  state: Pending" (Invoke of a ``Failed`` function answers the same with ``Failed``);
* "The operation cannot be performed at this time. An update is in progress for resource: <arn>".

States are computed when read, from the times recorded on moto's LambdaFunction when it was created
or updated under the aws profile (``profile.aws_seconds()``) and the durations
``lambda.function.create`` (a function in a VPC), ``lambda.function.create.no_vpc`` (any other) and
``lambda.function.update``, looked up when read. Functions created under the default profile keep
moto's answers.

Account setting (``profile.current().account``):

* ``lambda_failing_functions`` (default ``{}``): ``{function name: StateReasonCode}`` or
  ``{function name: {"code": ..., "reason": ...}}``. A function named there when it is created ends
  ``State=Failed`` (and ``LastUpdateStatus=Failed``) with that code; named there when it is updated,
  the update ends ``LastUpdateStatus=Failed`` with that code (its state stays Active; unlike AWS, the
  configuration is not rolled back). Without a reason the StateReason says the failure was emulated.

Patched (moto 5.2.5): ``LambdaFunction.__init__``, ``update_configuration``, ``update_function_code``,
``get_configuration``; checks before ``Invoke``, ``UpdateFunctionCode``, ``UpdateFunctionConfiguration``
and ``PublishVersion`` through ``emulator.action_guards`` (no operation method is replaced).
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import unquote

from emulator import action_guards, profile

CREATING_REASON = "The function is being created."
STATE_MESSAGE = "The operation cannot be performed at this time. The function is currently in the following state: {}"
UPDATE_MESSAGE = "The operation cannot be performed at this time. An update is in progress for resource: {}"
FAILING_SETTING = "lambda_failing_functions"

REFUSED_WHILE_PENDING = ("Invoke", "UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion")
REFUSED_WHILE_UPDATING = ("UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion")
REFUSED_WHEN_FAILED = ("Invoke",)

_INSTALLED = False


def _failure(function_name: str, event: str) -> tuple[str, str] | None:
    """(code, reason) when the account setting makes this function's creation or update fail."""
    value = (profile.current().account.get(FAILING_SETTING) or {}).get(function_name)
    if not value:
        return None
    code = value if isinstance(value, str) else value.get("code", "InternalError")
    reason = None if isinstance(value, str) else value.get("reason")
    return code, reason or f"Emulated {event} failure ({code}) set by the account setting {FAILING_SETTING}."


def state(fn: Any) -> tuple[str, str | None, str | None] | None:
    """(State, StateReasonCode, StateReason) under the aws profile; None where moto's answer stands."""
    created = getattr(fn, "_tap_created_at", None)
    if created is None or not profile.current().aws:
        return None
    in_vpc = getattr(fn, "_tap_in_vpc", False)
    duration = profile.duration("lambda.function.create" if in_vpc else "lambda.function.create.no_vpc")
    if profile.aws_seconds() - created < duration:
        return "Pending", "Creating", CREATING_REASON
    failure = getattr(fn, "_tap_create_failure", None)
    if failure:
        return ("Failed", *failure)
    return "Active", None, None


def update_status(fn: Any) -> tuple[str, str | None, str | None] | None:
    """(LastUpdateStatus, its reason code, its reason) of the last update under the aws profile."""
    updated = getattr(fn, "_tap_updated_at", None)
    if updated is None or not profile.current().aws:
        return None
    if profile.aws_seconds() - updated < profile.duration("lambda.function.update"):
        return "InProgress", "Creating", CREATING_REASON
    failure = getattr(fn, "_tap_update_failure", None)
    if failure:
        return ("Failed", *failure)
    return "Successful", None, None


def _overlay(fn: Any, config: dict[str, Any], on_create: bool) -> dict[str, Any]:
    current = state(fn)
    if current is None:
        return config
    name, code, reason = current
    config["State"] = name
    if code:
        config["StateReasonCode"], config["StateReason"] = code, reason
    if name == "Pending":
        config.pop("LastUpdateStatus", None)  # "first set to Successful after function creation completes"
        return config
    if name == "Failed":
        config["LastUpdateStatus"] = "Failed"
        config["LastUpdateStatusReasonCode"], config["LastUpdateStatusReason"] = code, reason
        return config
    last = update_status(fn)
    if last is not None and not on_create:
        config["LastUpdateStatus"] = last[0]
        if last[1]:
            config["LastUpdateStatusReasonCode"], config["LastUpdateStatusReason"] = last[1], last[2]
    return config


def _install_model() -> None:
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get_configuration = LambdaFunction.get_configuration
    original_update_configuration = LambdaFunction.update_configuration
    original_update_code = LambdaFunction.update_function_code

    @functools.wraps(original_init)
    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        aws = profile.current().aws
        self._tap_created_at = profile.aws_seconds() if aws else None
        self._tap_in_vpc = bool((spec.get("VpcConfig") or {}).get("SubnetIds"))
        self._tap_create_failure = _failure(self.function_name, "creation") if aws else None
        self._tap_updated_at = None
        self._tap_update_failure = None

    @functools.wraps(original_get_configuration)
    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        return _overlay(self, original_get_configuration(self, on_create), on_create)

    def start_update(self: Any, apply: Any, *args: Any) -> dict[str, Any]:
        # Recorded before moto applies the update, so that the configuration it answers shows InProgress.
        before = (getattr(self, "_tap_updated_at", None), getattr(self, "_tap_update_failure", None))
        if profile.current().aws:
            self._tap_updated_at = profile.aws_seconds()
            self._tap_update_failure = _failure(self.function_name, "update")
        try:
            return apply(self, *args)
        except Exception:
            self._tap_updated_at, self._tap_update_failure = before
            raise

    @functools.wraps(original_update_configuration)
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        return start_update(self, original_update_configuration, config_updates)

    @functools.wraps(original_update_code)
    def update_function_code(self: Any, updated_spec: dict[str, Any]) -> dict[str, Any]:
        if updated_spec.get("DryRun"):
            return original_update_code(self, updated_spec)
        return start_update(self, original_update_code, updated_spec)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
    LambdaFunction.update_function_code = update_function_code


def requested_function(response: Any, with_qualifier: bool = False) -> Any | None:
    """The function a Lambda request names (None when moto will answer that it does not exist)."""
    name = response.uri_match.get("FunctionName") or response._get_param("FunctionName")
    if not name:
        return None
    qualifier = (response.querystring.get("Qualifier") or [None])[0] if with_qualifier else None
    try:
        return response.backend.get_function(unquote(name), qualifier)
    except Exception:  # noqa: BLE001 - moto answers not-found (or a bad name) itself
        return None


def _conflict(message: str) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError("ResourceConflictException", message)
    error.code = 409
    return error


def _refuse_while_transitioning(action: str) -> action_guards.Check:
    def check(response: Any) -> None:
        fn = requested_function(response, with_qualifier=action == "Invoke")
        if fn is None:
            return
        current = state(fn)
        if current is not None:
            if current[0] == "Pending" and action in REFUSED_WHILE_PENDING:
                raise _conflict(STATE_MESSAGE.format("Pending"))
            if current[0] == "Failed" and action in REFUSED_WHEN_FAILED:
                raise _conflict(STATE_MESSAGE.format("Failed"))
        last = update_status(fn)
        if last is not None and last[0] == "InProgress" and action in REFUSED_WHILE_UPDATING:
            raise _conflict(UPDATE_MESSAGE.format(fn.function_arn))

    return check


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.awslambda.responses import LambdaResponse

    _install_model()
    for action in sorted(set(REFUSED_WHILE_PENDING + REFUSED_WHILE_UPDATING)):
        action_guards.guard(LambdaResponse, action, _refuse_while_transitioning(action))
