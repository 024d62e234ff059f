"""The account's Lambda concurrency: GetAccountSettings, and AWS's floor of 100 unreserved executions.

Gaps filled (moto 5.2.5):

* GetAccountSettings is not implemented: moto's server answers 404 with an HTML page, in either
  profile. It now answers as AWS does (both profiles): ``AccountLimit`` with AWS's default code-size
  limits, ``ConcurrentExecutions`` (the account setting below) and ``UnreservedConcurrentExecutions``
  (that limit less the reserved concurrency of this region's functions), and ``AccountUsage``
  (``FunctionCount``, ``TotalCodeSize`` of their code).
* PutFunctionConcurrency enforces no quota unless MOTO_LAMBDA_CONCURRENCY_QUOTA is set in the
  environment of the server. Under the aws profile a reservation that would leave fewer than 100
  unreserved executions answers AWS's InvalidParameterValueException: "Specified
  ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below
  its minimum value of [100]." (the default profile stays as moto is).

Account setting (``profile.current().account``):

* ``lambda_concurrent_executions`` (default ``1000``, AWS's default quota per region): the account's
  concurrent executions limit in every region.

Patched: ``LambdaBackend.put_function_concurrency`` (wrapped); ``LambdaResponse.get_account_settings``
and its URL (``/<version>/account-settings/``) added.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from emulator import profile

LIMIT_SETTING = "lambda_concurrent_executions"
DEFAULT_LIMIT = 1000
MINIMUM_UNRESERVED = 100
# AWS's default limits (bytes): all functions' code, one unzipped package, one zipped upload.
TOTAL_CODE_SIZE = 80530636800
CODE_SIZE_UNZIPPED = 262144000
CODE_SIZE_ZIPPED = 52428800
BELOW_MINIMUM = (
    "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
    f"below its minimum value of [{MINIMUM_UNRESERVED}]."
)

_INSTALLED = False


def account_limit() -> int:
    return int(profile.current().account.get(LIMIT_SETTING, DEFAULT_LIMIT))


def reserved(backend: Any, except_function: str | None = None) -> int:
    return sum(
        int(fn.reserved_concurrency or 0) for fn in backend.list_functions() if fn.function_name != except_function
    )


def account_settings(backend: Any) -> dict[str, Any]:
    functions = list(backend.list_functions())
    limit = account_limit()
    return {
        "AccountLimit": {
            "TotalCodeSize": TOTAL_CODE_SIZE,
            "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
            "CodeSizeZipped": CODE_SIZE_ZIPPED,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit - reserved(backend),
        },
        "AccountUsage": {
            "TotalCodeSize": sum(int(getattr(fn, "code_size", 0) or 0) for fn in functions),
            "FunctionCount": len(functions),
        },
    }


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.awslambda import urls
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda.responses import LambdaResponse

    def get_account_settings(self: Any) -> str:
        return json.dumps(account_settings(self.backend))

    LambdaResponse.get_account_settings = get_account_settings
    urls.url_paths.setdefault(r"{0}/(?P<api_version>[^/]+)/account-settings/?$", LambdaResponse.dispatch)

    original_put = LambdaBackend.put_function_concurrency

    @functools.wraps(original_put)
    def put_function_concurrency(self: Any, function_name: str, reserved_concurrency: str) -> str:
        if profile.current().aws:
            fn = self.get_function(function_name)
            unreserved = account_limit() - int(reserved_concurrency) - reserved(self, fn.function_name)
            if unreserved < MINIMUM_UNRESERVED:
                raise InvalidParameterValueException(BELOW_MINIMUM)
        return original_put(self, function_name, reserved_concurrency)

    LambdaBackend.put_function_concurrency = put_function_concurrency
