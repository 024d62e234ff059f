"""Checks the aws profile runs before moto answers an operation, answering AWS's error when one fails.

Gap filled: the rules of the aws profile (a function still Pending, a role not yet propagated, a key
policy not yet effective...) refuse a call before moto performs it. Rather than replacing moto's
operation methods (which other fillers may patch too), a check hooks in front of the response class's
``call_action``: ``guard(LambdaResponse, "UpdateFunctionCode", check)`` runs ``check(response)`` under the
aws profile only; when it raises one of moto's service errors, the caller gets that error as moto
itself answers its own (same protocol, status and headers), and moto's operation never runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator import profile

Check = Callable[[Any], None]
REGISTRY = "_tap_action_checks"


def _error_answer(response: Any, error: Exception) -> Any:
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult

    if isinstance(error, ServiceException):
        status, headers, body = response.serialized(ActionResult(error))
        headers["status"] = status
        answer = body, headers
    else:
        headers = dict(error.get_headers() or [])  # type: ignore[attr-defined]
        headers["status"] = error.code  # type: ignore[attr-defined]
        answer = error.description, headers  # type: ignore[attr-defined]
    status, headers, body = response._transform_response(response.response_headers, answer)
    headers, body = response._enrich_response(headers, body)
    return status, headers, body


def _install_hook(response_cls: type) -> dict[str, list[Check]]:
    from moto.core.exceptions import ServiceException
    from werkzeug.exceptions import HTTPException

    registry: dict[str, list[Check]] = {}
    original = response_cls.call_action

    def call_action(self: Any) -> Any:
        if profile.current().aws:
            for check in registry.get(self._get_action(), ()):
                try:
                    check(self)
                except (ServiceException, HTTPException) as error:
                    return _error_answer(self, error)
        return original(self)

    response_cls.call_action = call_action
    setattr(response_cls, REGISTRY, registry)
    return registry


def guard(response_cls: type, action: str, check: Check) -> None:
    """Run check(response) before moto answers action (botocore's operation name) under the aws profile."""
    registry = response_cls.__dict__.get(REGISTRY)
    if registry is None:
        registry = _install_hook(response_cls)
    registry.setdefault(action, []).append(check)
