"""Pure logic of plugins/module_utils/monitoring.py (no emulator)."""

from __future__ import annotations

from ansible_collections.tap.multiregion.plugins.module_utils import kms
from ansible_collections.tap.multiregion.plugins.module_utils import monitoring as m
from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils.resources import event_subscription

ARN = "arn:aws:sns:eu-west-1:123456789012:tap-alerts-dev-eu-west-1"


def alarm(**extra):
    base = dict(
        name="a",
        namespace="AWS/Lambda",
        metric_name="Errors",
        statistic="Sum",
        period=300,
        evaluation_periods=1,
        threshold=10,
        comparison_operator="GreaterThanThreshold",
        dimensions={"FunctionName": "f"},
        alarm_actions=["t"],
    )
    return {**base, **extra}


def described(params):
    """What DescribeAlarms returns for params AWS stored (AWS adds fields, drops unset ones)."""
    return dict(
        params,
        AlarmArn="arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a",
        StateValue="OK",
        OKActions=[],
        InsufficientDataActions=[],
        ActionsEnabled=True,
    )


def test_described_alarm_equals_its_put_params():
    params = m.put_alarm_params(alarm())
    assert m.alarm_differences(described(params), params) == []


def test_aws_defaults_and_ordering_are_not_differences():
    params = m.put_alarm_params(
        alarm(
            alarm_actions=["t2", "t1"],
            dimensions={"B": "2", "A": 1},
            treat_missing_data="missing",
            datapoints_to_alarm=1,
        )
    )
    current = described(
        dict(params, AlarmActions=["t1", "t2"], Dimensions=[{"Name": "A", "Value": "1"}, {"Name": "B", "Value": "2"}])
    )
    del current["TreatMissingData"], current["DatapointsToAlarm"]
    assert m.alarm_differences(current, params) == []


def test_real_differences_are_named():
    current = described(m.put_alarm_params(alarm()))
    wanted = m.put_alarm_params(alarm(threshold=11, treat_missing_data="notBreaching", description="x"))
    assert m.alarm_differences(current, wanted) == ["description", "threshold", "treat_missing_data"]


def test_shared_defaults_fill_only_unset_options():
    merged = m.apply_alarm_defaults(
        alarm(alarm_actions=None, treat_missing_data="breaching"),
        {"alarm_actions": ["topic"], "treat_missing_data": "notBreaching"},
    )
    assert merged["alarm_actions"] == ["topic"] and merged["treat_missing_data"] == "breaching"


def test_spec_errors():
    errors = m.alarm_spec_errors([alarm(threshold=None), alarm(datapoints_to_alarm=3)])
    assert errors == [
        "alarms[0] (a): missing threshold",
        "alarms[1]: duplicate alarm name 'a'",
        "alarms[1] (a): datapoints_to_alarm (3) exceeds evaluation_periods (1)",
    ]


def test_topic_policy_limits_publishers_by_source_account_and_has_no_wildcard_action():
    policy = m.topic_policy(ARN, "123456789012", "aws", "eu-west-1")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["AllowThisAccount"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    cloudwatch = statements["AllowPublishFromCloudwatchAmazonawsCom"]
    assert cloudwatch["Action"] == "sns:Publish"
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*"},
    }
    rds = statements["AllowPublishFromEventsRdsAmazonawsCom"]
    assert rds["Principal"] == {"Service": "events.rds.amazonaws.com"}
    assert rds["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert all(s["Resource"] == ARN for s in policy["Statement"])
    actions = statements["AllowThisAccount"]["Action"] + [cloudwatch["Action"], rds["Action"]]
    assert policies.wildcard_actions(actions) == []
    assert policies.wildcard_actions(["sns:*", "sns:Get?", "sns:Publish"], "account_actions") == [
        "account_actions statement account_actions allows the wildcard action 'sns:*'",
        "account_actions statement account_actions allows the wildcard action 'sns:Get?'",
    ]


def test_subscription_comparison_ignores_case_and_order_of_categories():
    current = {
        "SnsTopicArn": ARN,
        "SourceType": "db-cluster",
        "EventCategoriesList": ["Failover", "failure"],
        "Enabled": True,
        "CustSubscriptionId": "s",
    }
    desired = {
        "SnsTopicArn": ARN,
        "SourceType": "db-cluster",
        "EventCategories": ["failure", "failover"],
        "Enabled": True,
    }
    assert event_subscription.differences(current, desired) == []
    assert event_subscription.differences(dict(current, Enabled=False, SnsTopicArn="x"), desired) == [
        "enabled",
        "sns_topic_arn",
    ]


def test_alarm_change_sentence_names_each_option_with_before_and_after():
    current = described(m.put_alarm_params(alarm()))
    wanted = m.put_alarm_params(alarm(threshold=11, treat_missing_data="notBreaching"))
    differences = m.alarm_differences(current, wanted)
    assert m.alarm_change_sentence("a", current, wanted, differences) == (
        "alarm a: threshold 10.0 -> 11.0, treat missing data missing -> notBreaching"
    )
    assert m.diff_view(None) is None and list(m.diff_view(wanted)) == sorted(m.diff_view(wanted))


def test_key_label_names_kms_keys_by_their_resource():
    assert kms.key_label("arn:aws:kms:eu-west-1:123456789012:key/abcd") == "key/abcd"
    assert kms.key_label("arn:aws:kms:eu-west-1:123456789012:alias/tap-dev") == "alias/tap-dev"
    assert kms.key_label("alias/tap-dev") == "alias/tap-dev" and kms.key_label("") == ""
