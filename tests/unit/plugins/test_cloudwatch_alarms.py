"""tap.multiregion.cloudwatch_alarms against the emulator (in-process via run_module)."""

from __future__ import annotations

import json

import botocore.client
import pytest
from botocore.exceptions import ClientError

from ansible_collections.tap.multiregion.plugins.modules import cloudwatch_alarms
from emulator import control

REGION = "us-west-2"  # not used by the playbook tests
TOPIC = "arn:aws:sns:us-west-2:123456789012:tap-alerts-test"
WRITE_OPS = {"PutMetricAlarm", "DeleteAlarms", "TagResource", "UntagResource"}


def five_alarms(prefix: str, cpu_threshold: float = 80) -> list[dict]:
    common = {"period": 300, "evaluation_periods": 1, "comparison_operator": "GreaterThanThreshold", "statistic": "Sum"}
    return [
        dict(
            common,
            name=f"{prefix}-aurora-cpu",
            namespace="AWS/RDS",
            metric_name="CPUUtilization",
            statistic="Average",
            evaluation_periods=2,
            threshold=cpu_threshold,
            dimensions={"DBClusterIdentifier": "aurora-test-us-west-2"},
            description="Aurora CPU above 80%",
        ),
        dict(
            common,
            name=f"{prefix}-lambda-errors",
            namespace="AWS/Lambda",
            metric_name="Errors",
            threshold=10,
            dimensions={"FunctionName": "data-processor-test-us-west-2"},
        ),
        dict(
            common,
            name=f"{prefix}-dynamodb-user-errors",
            namespace="AWS/DynamoDB",
            metric_name="UserErrors",
            threshold=5,
            dimensions={"TableName": "sessions-test"},
        ),
        dict(
            common,
            name=f"{prefix}-lambda-throttles",
            namespace="AWS/Lambda",
            metric_name="Throttles",
            threshold=0,
            dimensions={"FunctionName": "data-processor-test-us-west-2"},
        ),
        dict(
            common,
            name=f"{prefix}-api-5xx",
            namespace="AWS/ApiGateway",
            metric_name="5xx",
            threshold=5,
            dimensions={"ApiId": "abc123", "Stage": "test"},
        ),
    ]


def args(prefix: str, **extra) -> dict:
    base = dict(
        alarms=five_alarms(prefix),
        alarm_actions=[TOPIC],
        treat_missing_data="notBreaching",
        tags={"Environment": "test", "Region": REGION},
    )
    return {**base, **extra}


@pytest.fixture
def api_calls(monkeypatch):
    """Record the operation name of every AWS call made in-process."""
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls


def describe(aws, names):
    return {a["AlarmName"]: a for a in aws("cloudwatch", REGION).describe_alarms(AlarmNames=names)["MetricAlarms"]}


def test_creates_five_alarms_then_converges_without_writes(run_module, aws, api_calls):
    first = run_module(cloudwatch_alarms.main, args("conv"), region=REGION)
    assert first.get("failed") is not True, first
    assert first["changed"] is True
    assert first["changes"] == [f"create alarm {a['name']}" for a in five_alarms("conv")]
    assert api_calls.count("PutMetricAlarm") == 5
    assert api_calls.count("DescribeAlarms") == 2  # one before, one to report the result

    alarms = describe(aws, [a["name"] for a in five_alarms("conv")])
    assert len(alarms) == 5
    cpu = alarms["conv-aurora-cpu"]
    assert cpu["AlarmActions"] == [TOPIC]
    assert cpu["TreatMissingData"] == "notBreaching"
    assert (cpu["Statistic"], cpu["Threshold"], cpu["Period"], cpu["EvaluationPeriods"]) == ("Average", 80.0, 300, 2)
    assert cpu["Dimensions"] == [{"Name": "DBClusterIdentifier", "Value": "aurora-test-us-west-2"}]
    tags = aws("cloudwatch", REGION).list_tags_for_resource(ResourceARN=cpu["AlarmArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Environment": "test", "Region": REGION}
    assert {a["alarm_name"] for a in first["alarms"]} == set(alarms)

    api_calls.clear()
    second = run_module(cloudwatch_alarms.main, args("conv"), region=REGION)
    assert second["changed"] is False, second
    assert second["changes"] == []
    assert not WRITE_OPS & set(api_calls), api_calls
    assert api_calls.count("DescribeAlarms") == 1
    # The five alarms' tags in one read of the tagging index; no alarm's own tag read was needed.
    assert api_calls.count("GetResources") == 1 and "ListTagsForResource" not in api_calls, api_calls


def test_changed_threshold_updates_only_that_alarm(run_module, aws, api_calls):
    run_module(cloudwatch_alarms.main, args("thr"), region=REGION)
    changed = args("thr")
    changed["alarms"] = five_alarms("thr", cpu_threshold=90)
    api_calls.clear()
    result = run_module(cloudwatch_alarms.main, changed, region=REGION, diff=True)
    assert result["changed"] is True
    assert result["changes"] == ["alarm thr-aurora-cpu: threshold 80.0 -> 90.0"]
    assert api_calls.count("PutMetricAlarm") == 1
    assert describe(aws, ["thr-aurora-cpu"])["thr-aurora-cpu"]["Threshold"] == 90.0
    assert result["diff"]["before"]["thr-aurora-cpu"]["threshold"] == 80.0
    assert result["diff"]["after"]["thr-aurora-cpu"]["threshold"] == 90.0


def test_check_mode_writes_nothing_and_reports_changes(run_module, aws, api_calls):
    result = run_module(cloudwatch_alarms.main, args("chk"), region=REGION, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["changes"] == [f"create alarm {a['name']}" for a in five_alarms("chk")]
    assert not WRITE_OPS & set(api_calls), api_calls
    assert describe(aws, [a["name"] for a in five_alarms("chk")]) == {}
    assert result["diff"]["before"]["chk-lambda-errors"] is None
    assert result["diff"]["after"]["chk-lambda-errors"]["threshold"] == 10.0

    run_module(cloudwatch_alarms.main, args("chk"), region=REGION)
    drifted = args("chk", alarm_actions=[TOPIC, TOPIC + "-2"])
    api_calls.clear()
    result = run_module(cloudwatch_alarms.main, drifted, region=REGION, check_mode=True)
    both = json.dumps(sorted([TOPIC, TOPIC + "-2"]), separators=(",", ":"))
    assert result["changed"] is True and result["changes"] == [
        f"alarm {a['name']}: alarm actions {json.dumps([TOPIC], separators=(',', ':'))} -> {both[:57]}..."
        for a in five_alarms("chk")
    ]
    assert not WRITE_OPS & set(api_calls), api_calls
    assert describe(aws, ["chk-api-5xx"])["chk-api-5xx"]["AlarmActions"] == [TOPIC]


def test_diff_shows_before_and_after_per_alarm(run_module):
    result = run_module(cloudwatch_alarms.main, args("dif"), region=REGION, diff=True)
    after = result["diff"]["after"]["dif-api-5xx"]
    assert result["diff"]["before"]["dif-api-5xx"] is None
    assert after["dimensions"] == {"ApiId": "abc123", "Stage": "test"}
    assert after["alarm_actions"] == [TOPIC]
    assert after["tags"] == {"Environment": "test", "Region": REGION}
    again = run_module(cloudwatch_alarms.main, args("dif"), region=REGION, diff=True)
    assert again["changed"] is False
    assert again["diff"]["before"] == again["diff"]["after"]


def test_tag_drift_is_repaired_without_rewriting_the_alarm(run_module, aws, api_calls):
    run_module(cloudwatch_alarms.main, args("tag"), region=REGION)
    api_calls.clear()
    result = run_module(
        cloudwatch_alarms.main,
        args("tag", tags={"Environment": "test", "Region": REGION, "CostCenter": "platform"}),
        region=REGION,
    )
    assert result["changed"] is True
    assert result["changes"] == [f"alarm {a['name']}: tags CostCenter=platform" for a in five_alarms("tag")]
    assert api_calls.count("TagResource") == 5 and "PutMetricAlarm" not in api_calls
    # The index showed other tags than wanted: each alarm's own read confirmed them before its write.
    assert api_calls.count("GetResources") == 1 and api_calls.count("ListTagsForResource") == 5, api_calls
    arn = describe(aws, ["tag-api-5xx"])["tag-api-5xx"]["AlarmArn"]
    tags = aws("cloudwatch", REGION).list_tags_for_resource(ResourceARN=arn)["Tags"]
    assert {t["Key"] for t in tags} == {"Environment", "Region", "CostCenter"}


def test_state_absent_deletes_the_alarms(run_module, aws):
    run_module(cloudwatch_alarms.main, args("del"), region=REGION)
    names = [{"name": a["name"]} for a in five_alarms("del")]
    result = run_module(cloudwatch_alarms.main, {"state": "absent", "alarms": names}, region=REGION, diff=True)
    assert result["changed"] is True
    assert result["changes"] == [f"delete alarm {n['name']}" for n in names]
    assert result["diff"]["after"]["del-api-5xx"] is None
    assert describe(aws, [n["name"] for n in names]) == {}
    again = run_module(cloudwatch_alarms.main, {"state": "absent", "alarms": names}, region=REGION)
    assert again["changed"] is False and again["changes"] == []


def test_throttling_is_retried(run_module, aws, monkeypatch):
    from ansible_collections.amazon.aws.plugins.module_utils import cloud

    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    original = botocore.client.BaseClient._make_api_call
    attempts: list[str] = []

    def throttle_once(self, operation_name, api_params):
        if operation_name == "PutMetricAlarm":
            attempts.append(api_params["AlarmName"])
            if len(attempts) == 1:
                raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle_once)
    alarms = five_alarms("thrott")[:1]
    result = run_module(cloudwatch_alarms.main, dict(args("thrott"), alarms=alarms), region=REGION)
    assert result.get("failed") is not True, result
    assert attempts == ["thrott-aurora-cpu", "thrott-aurora-cpu"]
    assert "thrott-aurora-cpu" in describe(aws, ["thrott-aurora-cpu"])


def test_invalid_definitions_fail_before_any_call(run_module, api_calls):
    bad = five_alarms("bad")[:2]
    del bad[0]["threshold"]
    bad[1]["name"] = bad[0]["name"]
    result = run_module(cloudwatch_alarms.main, {"alarms": bad}, region=REGION)
    assert result["failed"] is True
    assert "missing threshold" in result["msg"] and "duplicate alarm name" in result["msg"]
    assert api_calls == []


def test_drift_in_check_mode_names_the_option_and_writes_nothing(run_module, aws, emulator_url):
    run_module(cloudwatch_alarms.main, args("drift"), region=REGION)
    cpu = describe(aws, ["drift-aurora-cpu"])["drift-aurora-cpu"]
    changed = {k: cpu[k] for k in ("AlarmName", "AlarmActions", "MetricName", "Namespace", "Statistic", "Dimensions",
                                   "Period", "EvaluationPeriods", "ComparisonOperator", "TreatMissingData",
                                   "AlarmDescription")}
    aws("cloudwatch", REGION).put_metric_alarm(**changed, Threshold=95.0)

    mark = control.last_call_seq(emulator_url)
    checked = run_module(cloudwatch_alarms.main, args("drift"), region=REGION, check_mode=True, diff=True)
    assert checked["changes"] == ["alarm drift-aurora-cpu: threshold 95.0 -> 80.0"]
    assert checked["diff"]["before"]["drift-aurora-cpu"]["threshold"] == 95.0
    assert checked["diff"]["after"]["drift-aurora-cpu"]["threshold"] == 80.0
    assert control.write_calls(emulator_url, mark) == []
