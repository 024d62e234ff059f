"""tap.multiregion.preflight: what AWS would refuse is found with reads only, naming region, setting and
what AWS allows (against the emulator; the aws profile models bucket names of other accounts and the
account's Lambda concurrency limit)."""

from __future__ import annotations

import pytest

from ansible_collections.tap.multiregion.plugins.module_utils import preflight as checks
from ansible_collections.tap.multiregion.plugins.modules import preflight
from emulator import control

VERSION = "8.0.mysql_aurora.3.04.0"


def args(**overrides):
    result = {
        "zone_count": 3,
        "aurora": {"engine_version": VERSION, "instance_class": "db.t4g.medium"},
        "buckets": ["tap-preflight-data", "tap-preflight-logs"],
        "kms_aliases": ["alias/tap-preflight"],
    }
    result.update(overrides)
    return result


def test_a_region_aws_would_accept_passes_with_reads_only(run_module, emulator_url):
    mark = control.last_call_seq(emulator_url)
    result = run_module(preflight.main, args(lambda_reserved_concurrency=10, lambda_function_name="fn"))
    assert result.get("failed") is not True, result
    assert result["problems"] == [] and result["changed"] is False and result["changes"] == []
    assert len(result["zones"]) >= 3 and "db.t4g.medium" in result["orderable_instance_classes"]
    calls = control.calls(emulator_url, mark)
    assert [c for c in calls if c["kind"] == "write"] == []
    assert {c["operation"] for c in calls} >= {
        "DescribeAvailabilityZones", "DescribeDBEngineVersions", "DescribeOrderableDBInstanceOptions", "DescribeKey",
    }  # fmt: skip


def test_two_zones_fail_naming_region_setting_and_zones(run_module):
    result = run_module(preflight.main, args(aurora=None), region="us-west-1")
    assert result["failed"] is True
    assert result["problems"] == [
        "us-west-1: vpc_zone_count=3 but the region has 2 availability zone(s) (us-west-1a, us-west-1b); "
        "use a region with 3 or set vpc_zone_count lower"
    ]


def test_t3_small_is_not_orderable_for_aurora_mysql_3(run_module):
    result = run_module(preflight.main, args(aurora={"engine_version": VERSION, "instance_class": "db.t3.small"}))
    assert result["failed"] is True
    (problem,) = result["problems"]
    assert problem.startswith(
        "us-east-1: aurora_instance_class=db.t3.small is not orderable for aurora-mysql %s; AWS allows " % VERSION
    )
    allowed = problem.split("AWS allows ")[1]
    assert "db.t4g.{medium,large}" in allowed and "small" not in allowed and "db.r5.{large,xlarge,2xlarge," in allowed


def test_a_burstable_class_cannot_join_a_global_database(run_module):
    aurora = {"engine_version": VERSION, "instance_class": "db.t4g.medium", "global_database": True}
    result = run_module(preflight.main, args(aurora=aurora))
    assert result["failed"] is True
    (problem,) = result["problems"]
    assert "aurora_instance_class=db.t4g.medium cannot run in an Aurora global database" in problem
    assert "db.r5.{large," in problem and "db.t" not in problem.split("AWS allows")[1]


def test_an_unknown_engine_version_is_named(run_module):
    result = run_module(preflight.main, args(aurora={"engine_version": "8.0.mysql_aurora.9.99.9",
                                                     "instance_class": "db.r5.large"}))  # fmt: skip
    assert result["problems"] == [
        "us-east-1: aurora_engine_version=8.0.mysql_aurora.9.99.9 is not an available aurora-mysql version in the "
        "region"
    ]


def test_reserved_concurrency_above_the_account_quota(run_aws_module, aws_profile):
    aws_profile.set(account={"lambda_concurrent_executions": 10})
    result = run_aws_module(preflight.main, args(lambda_reserved_concurrency=10, lambda_function_name="fn"))
    assert result["failed"] is True
    assert result["problems"] == [
        "us-east-1: lambda_api_reserved_concurrency=10 would leave 0 unreserved of the account's concurrency limit "
        "of 10; AWS keeps at least 100 unreserved, so at most 0 can be reserved here (ask for a higher quota or set "
        "it to null)"
    ]
    assert aws_profile.write_calls() == []


def test_a_bucket_name_owned_by_another_account(run_aws_module, aws_profile):
    aws_profile.set(account={"foreign_buckets": ["tap-preflight-data"]})
    result = run_aws_module(preflight.main, args())
    assert result["failed"] is True
    assert result["problems"] == [
        "us-east-1: bucket name tap-preflight-data belongs to another AWS account (S3 bucket names are global); "
        "choose other bucket names (tap_bucket_name_suffix)"
    ]
    assert aws_profile.write_calls() == []


def test_our_own_bucket_and_a_key_pending_deletion_are_notices_not_problems(run_module, aws):
    aws("s3").create_bucket(Bucket="tap-preflight-ours")
    kms = aws("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/tap-preflight-pending", TargetKeyId=key)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    ours = args(buckets=["tap-preflight-ours"], kms_aliases=["alias/tap-preflight-pending"])
    result = run_module(preflight.main, ours)
    assert result.get("failed") is not True and result["problems"] == []
    assert result["notices"] == [
        "us-east-1: KMS key alias/tap-preflight-pending is pending deletion; this run cancels its deletion and "
        "enables it again"
    ]


def test_check_mode_gives_the_same_answer(run_module):
    result = run_module(preflight.main, args(aurora={"engine_version": VERSION, "instance_class": "db.t3.small"}),
                        check_mode=True)  # fmt: skip
    assert result["failed"] is True and "db.t3.small is not orderable" in result["msg"]


@pytest.mark.parametrize(
    "unreserved, current, reserved, problem",
    [(990, None, 10, False), (110, None, 10, False), (109, None, 10, True), (100, 10, 10, False)],
)
def test_concurrency_rule_counts_the_functions_own_reservation(unreserved, current, reserved, problem):
    settings = {"AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": unreserved}}
    assert bool(checks.concurrency_problems("r", reserved, settings, current)) is problem
