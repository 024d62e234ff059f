"""alarm_watch against the emulator: a bake that ends healthy, one that stops at the first alarm, and one
that watches nothing."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from ansible_collections.tap.multiregion.plugins.modules import alarm_watch as module
from emulator import control

REGION = "ap-south-1"


@pytest.fixture
def alarms(aws):
    """Two alarms under a prefix of their own (OK and INSUFFICIENT_DATA) and one outside it."""
    cloudwatch = aws("cloudwatch", REGION)
    prefix = f"tap-watch-{uuid.uuid4().hex[:8]}-"
    for name in (prefix + "errors", prefix + "throttles", prefix.rstrip("-") + "x-other"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=10,
            ComparisonOperator="GreaterThanThreshold",
        )
    cloudwatch.set_alarm_state(AlarmName=prefix + "errors", StateValue="OK", StateReason="fine")
    return prefix


def set_state(aws, name: str, state: str, reason: str) -> None:
    aws("cloudwatch", REGION).set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)


def test_a_quiet_bake_is_healthy_and_lists_what_it_watched(run_module, alarms, emulator_url):
    mark = control.last_call_seq(emulator_url)
    result = run_module(module.main, {"alarm_name_prefix": alarms, "bake_seconds": 0}, region=REGION)
    assert result["healthy"] and result["reason"] == "" and not result["changed"], result
    assert result["in_alarm"] == [] and result["reads"] == 1
    assert [a["name"] for a in result["alarms"]] == [alarms + "errors", alarms + "throttles"]
    assert {a["state"] for a in result["alarms"]} <= {"OK", "INSUFFICIENT_DATA"}
    assert control.write_calls(emulator_url, mark) == []


def test_an_alarm_already_firing_stops_the_bake_at_the_first_read(run_module, alarms, aws):
    set_state(aws, alarms + "throttles", "ALARM", "Threshold Crossed: 1 datapoint [3.0] was greater than 0")
    result = run_module(
        module.main, {"alarm_name_prefix": alarms, "bake_seconds": 600, "poll_interval": 1}, region=REGION
    )
    assert not result["healthy"] and result["reads"] == 1
    assert result["reason"] == (
        f"alarm {alarms}throttles is in ALARM: Threshold Crossed: 1 datapoint [3.0] was greater than 0"
    )
    assert [a["name"] for a in result["in_alarm"]] == [alarms + "throttles"]


def test_an_alarm_that_fires_during_the_bake_ends_it(run_module, alarms, aws, emulator_url):
    mark = control.last_call_seq(emulator_url)
    outcome = {}

    def bake():
        outcome["result"] = run_module(
            module.main, {"alarm_names": [alarms + "errors"], "bake_seconds": 120, "poll_interval": 0.05}, region=REGION
        )

    watcher = threading.Thread(target=bake)
    watcher.start()
    # Fire the alarm once the bake has read it at least twice (healthy so far).
    while len([c for c in control.calls(emulator_url, mark) if c["operation"] == "DescribeAlarms"]) < 2:
        assert watcher.is_alive(), outcome
        time.sleep(0.02)
    set_state(aws, alarms + "errors", "ALARM", "errors above 10")
    watcher.join(timeout=120)
    result = outcome["result"]
    assert not result["healthy"] and result["reads"] >= 2
    assert result["reason"] == f"alarm {alarms}errors is in ALARM: errors above 10"
    assert [a["name"] for a in result["alarms"]] == [alarms + "errors"]


def test_no_alarm_to_watch_is_unhealthy_unless_allowed(run_module):
    args = {"alarm_name_prefix": "tap-nothing-here-", "bake_seconds": 0}
    result = run_module(module.main, args, region=REGION)
    assert not result["healthy"]
    assert result["reason"] == (
        "no alarm matches the prefix tap-nothing-here-: a bake that watches nothing proves nothing"
    )
    assert run_module(module.main, dict(args, require_alarms=False), region=REGION)["healthy"]


def test_check_mode_reads_once_without_waiting(run_module, alarms):
    result = run_module(module.main, {"alarm_name_prefix": alarms, "bake_seconds": 600}, region=REGION, check_mode=True)
    assert result["healthy"] and result["reads"] == 1


def test_bad_settings_fail_before_any_call(run_module):
    result = run_module(module.main, {"alarm_name_prefix": "x", "bake_seconds": -1}, region=REGION)
    assert result["failed"] and result["msg"] == "bake_seconds: -1 is not allowed; 0 or more seconds"
