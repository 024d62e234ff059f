"""emulator.lambda_concurrency: GetAccountSettings, and the 100 unreserved executions AWS keeps."""

from __future__ import annotations

import botocore.exceptions
import pytest
from aws_profile_support import function_kwargs, make_role, unique

BELOW_MINIMUM = (
    "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
    "below its minimum value of [100]."
)
INSTANT = {"iam.role.propagation": 0, "lambda.function.create.no_vpc": 0}


def test_reservations_must_leave_100_unreserved_executions(aws_profile):
    region = "ap-southeast-2"  # a region no other test reserves concurrency in
    aws_profile.set(durations=INSTANT, account={"lambda_concurrent_executions": 300})
    lam = aws_profile.client("lambda", region)
    role = make_role(aws_profile)
    first, second = unique("reserved"), unique("reserved")
    for name in (first, second):
        lam.create_function(**function_kwargs(name, role))
    before = lam.get_account_settings()["AccountLimit"]
    assert before["ConcurrentExecutions"] == 300

    lam.put_function_concurrency(FunctionName=first, ReservedConcurrentExecutions=150)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        lam.put_function_concurrency(
            FunctionName=second, ReservedConcurrentExecutions=before["UnreservedConcurrentExecutions"] - 199
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert error.value.response["Error"]["Message"] == BELOW_MINIMUM
    assert "Concurrency" not in lam.get_function(FunctionName=second)

    lam.put_function_concurrency(
        FunctionName=second, ReservedConcurrentExecutions=before["UnreservedConcurrentExecutions"] - 250
    )
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 100
    assert settings["AccountUsage"]["FunctionCount"] >= 2
    # A function's own reservation is replaced, not added to.
    lam.put_function_concurrency(FunctionName=first, ReservedConcurrentExecutions=150)
    with pytest.raises(botocore.exceptions.ClientError):
        lam.put_function_concurrency(FunctionName=first, ReservedConcurrentExecutions=151)
    lam.delete_function_concurrency(FunctionName=second)
    assert (
        lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
        == before["UnreservedConcurrentExecutions"] - 150
    )


def test_the_default_profile_answers_account_settings_and_enforces_no_floor(aws):
    lam = aws("lambda", "ap-southeast-2")
    name = unique("default-reserved")
    lam.create_function(**function_kwargs(name, make_role(aws)))
    before = lam.get_account_settings()["AccountLimit"]
    assert before["ConcurrentExecutions"] == 1000
    assert before["CodeSizeZipped"] == 52428800
    lam.put_function_concurrency(
        FunctionName=name, ReservedConcurrentExecutions=before["UnreservedConcurrentExecutions"] - 50
    )
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 50
    lam.delete_function_concurrency(FunctionName=name)
