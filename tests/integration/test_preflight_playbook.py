"""What AWS would refuse stops site.yml before its first write (issue 13, "Done when"), against the aws profile.

Each case is a real site.yml run against the session's aws-profile emulator, whose account settings say what
AWS says on a real account (a region with two zones, the orderable Aurora classes, the account's Lambda
concurrency limit, bucket names another account owns). Each fails naming region, setting and what AWS allows,
with no write call in the emulator's call log (reads are fine) and no deploy lock taken. A burstable class
with a global database is refused by validation before any AWS call at all; the preflight module refuses it
too when validation is bypassed (tests/unit/plugins/test_preflight.py).
"""

from __future__ import annotations

import json

import pytest
from integration.helpers import ACCOUNT, make_inventory
from integration.stack_scan import deploy_lock

pytestmark = [pytest.mark.slow]

STOPPED = "Preflight: AWS would refuse this deployment; nothing was written."
CASES = {
    "a region with two availability zones": dict(
        regions={"us-west-1": "10.30.0.0/16"},
        expected=["us-west-1: vpc_zone_count=3 but the region has 2 availability zone(s) (us-west-1a, us-west-1b); "
                  "use a region with 3 or set vpc_zone_count lower"],  # fmt: skip
    ),
    "db.t3.small on Aurora MySQL 3": dict(
        extra={"aurora_instance_class": "db.t3.small"},
        expected=["us-east-1: aurora_instance_class=db.t3.small is not orderable for aurora-mysql "
                  "8.0.mysql_aurora.3.04.0; AWS allows ", "db.t4g.{medium,large}"],  # fmt: skip
    ),
    "reserved concurrency above the account's quota": dict(
        account={"lambda_concurrent_executions": 150},
        extra={"lambda_api_reserved_concurrency": 60},
        expected=["us-east-1: lambda_api_reserved_concurrency=60 would leave 90 unreserved of the account's "
                  "concurrency limit of 150; AWS keeps at least 100 unreserved, so at most 50 can be reserved here"],
    ),
    "a bucket name another account owns": dict(
        account={"foreign_buckets": [f"tap-logs-dev-us-east-1-{ACCOUNT}"]},
        expected=[f"us-east-1: bucket name tap-logs-dev-us-east-1-{ACCOUNT} belongs to another AWS account (S3 "
                  "bucket names are global); choose other bucket names (tap_bucket_name_suffix)"],
    ),
}


def extra_vars(values: dict) -> list[str]:
    return ["-e", json.dumps(values)] if values else []


@pytest.mark.parametrize("case", list(CASES))
def test_what_aws_would_refuse_stops_the_run_before_any_write(case, aws_profile, run_playbook, tmp_path):
    spec = CASES[case]
    if spec.get("account"):
        aws_profile.set(account=spec["account"])
    regions = spec.get("regions") or {"us-east-1": "10.31.0.0/16"}
    inventory = make_inventory(tmp_path / "inventory", "dev", regions)
    run = run_playbook("site.yml", str(inventory), *extra_vars(spec.get("extra", {})),
                       env={"TAP_EMULATOR_URL": aws_profile.url, "TAP_OUTPUTS_DIR": str(tmp_path / "outputs")})
    text = " ".join(run.output.split())
    assert run.rc != 0, run.output[-4000:]
    assert STOPPED in text, run.output[-4000:]
    for sentence in spec["expected"]:
        assert sentence in text, run.output[-4000:]
    calls = aws_profile.calls()
    assert calls, "the preflight made no AWS call"
    assert aws_profile.write_calls() == [], aws_profile.write_calls()
    assert deploy_lock(aws_profile.client, "dev", next(iter(regions))) is None


def test_a_burstable_class_with_a_global_database_is_refused_by_validation_before_any_aws_call(
    aws_profile, run_playbook, tmp_path
):
    inventory = make_inventory(tmp_path / "inventory", "dev", {"us-east-1": "10.32.0.0/16"})
    run = run_playbook("site.yml", str(inventory),
                       *extra_vars({"aurora_global_database": True, "aurora_instance_class": "db.t4g.medium"}),
                       env={"TAP_EMULATOR_URL": aws_profile.url, "TAP_OUTPUTS_DIR": str(tmp_path / "outputs")})
    text = " ".join(run.output.split())
    assert run.rc != 0
    assert ("aurora_instance_class=db.t4g.medium cannot run in an Aurora global database (aurora_global_database="
            "true): global databases take no burstable db.t* class; use e.g. db.r5.large") in text, run.output[-4000:]
    assert aws_profile.calls() == []
