"""tap.multiregion.alert_topic against the emulator (in-process via run_module)."""

from __future__ import annotations

import json

import botocore.client
import pytest

from ansible_collections.tap.multiregion.plugins.modules import alert_topic
from emulator import control

REGION = "us-west-1"  # not used by the playbook tests
ACCOUNT = "123456789012"  # the emulator's account
CATEGORIES = ["failure", "failover", "maintenance"]
READ_OPS = {"GetCallerIdentity", "GetTopicAttributes", "ListTagsForResource", "DescribeEventSubscriptions",
            "GetResources"}


@pytest.fixture
def api_calls(monkeypatch):
    """Record (service, operation) of every AWS call made in-process."""
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls


@pytest.fixture
def kms_key(aws):
    return aws("kms", REGION).create_key(Description="alert topic test key")["KeyMetadata"]["Arn"]


def args(name: str, key: str, **extra) -> dict:
    base = dict(
        name=f"tap-alerts-{name}",
        kms_master_key_id=key,
        tags={"Environment": "test", "Region": REGION},
        rds_event_subscriptions=[
            dict(name=f"tap-rds-events-{name}-db-cluster", source_type="db-cluster", event_categories=CATEGORIES),
            dict(name=f"tap-rds-events-{name}-db-instance", source_type="db-instance", event_categories=CATEGORIES),
        ],
    )
    return {**base, **extra}


def topic_attributes(aws, arn):
    return aws("sns", REGION).get_topic_attributes(TopicArn=arn)["Attributes"]


def subscriptions(aws, *names):
    found = aws("rds", REGION).describe_event_subscriptions()["EventSubscriptionsList"]
    return {s["CustSubscriptionId"]: s for s in found if s["CustSubscriptionId"] in names}


def test_creates_encrypted_topic_policy_and_subscriptions_then_converges(run_module, aws, kms_key, api_calls):
    result = run_module(alert_topic.main, args("create", kms_key), region=REGION)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:tap-alerts-create"
    assert result["topic_arn"] == arn and result["account_id"] == ACCOUNT

    attributes = topic_attributes(aws, arn)
    assert attributes["KmsMasterKeyId"] == kms_key
    policy = json.loads(attributes["Policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {
        "AllowThisAccount",
        "AllowPublishFromCloudwatchAmazonawsCom",
        "AllowPublishFromEventsRdsAmazonawsCom",
    }
    assert by_sid["AllowThisAccount"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    for sid in ("AllowPublishFromCloudwatchAmazonawsCom", "AllowPublishFromEventsRdsAmazonawsCom"):
        assert by_sid[sid]["Action"] == "sns:Publish"
        assert by_sid[sid]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
        assert by_sid[sid]["Resource"] == arn
    actions = [a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert not [a for a in actions if "*" in a]
    tags = aws("sns", REGION).list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Environment": "test", "Region": REGION}

    subs = subscriptions(aws, "tap-rds-events-create-db-cluster", "tap-rds-events-create-db-instance")
    assert {s["SourceType"] for s in subs.values()} == {"db-cluster", "db-instance"}
    for sub in subs.values():
        assert sub["SnsTopicArn"] == arn and sub["Enabled"] is True
        assert sorted(sub["EventCategoriesList"]) == sorted(CATEGORIES)
    assert len(result["rds_event_subscriptions"]) == 2

    api_calls.clear()
    again = run_module(alert_topic.main, args("create", kms_key), region=REGION)
    assert again["changed"] is False, again["changes"]
    assert set(api_calls) <= READ_OPS, api_calls
    assert api_calls.count("DescribeEventSubscriptions") == 1
    # The tags of the topic and both subscriptions in one read of the tagging index, none of their own.
    assert api_calls.count("GetResources") == 1 and "ListTagsForResource" not in api_calls, api_calls


def test_policy_key_and_tag_drift_is_repaired(run_module, aws, kms_key):
    created = run_module(alert_topic.main, args("drift", kms_key), region=REGION)
    arn = created["topic_arn"]
    other_key = aws("kms", REGION).create_key(Description="other")["KeyMetadata"]["Arn"]
    sns = aws("sns", REGION)
    wide_open = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:*", "Resource": arn}],
    }
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(wide_open))
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=other_key)
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "Stray", "Value": "x"}])

    result = run_module(alert_topic.main, args("drift", kms_key), region=REGION, diff=True)
    assert result["changed"] is True
    key_id, other_id = kms_key.split(":")[-1], other_key.split(":")[-1]
    assert sorted(result["changes"]) == [
        f"topic tap-alerts-drift: KMS key {other_id} -> {key_id}",
        "topic tap-alerts-drift: policy statements added AllowPublishFromCloudwatchAmazonawsCom, "
        "AllowPublishFromEventsRdsAmazonawsCom, AllowThisAccount; removed #0",
        "topic tap-alerts-drift: remove tags Stray",
    ]
    assert result["diff"]["before"]["topic"]["kms_master_key_id"] == other_key
    assert result["diff"]["after"]["topic"]["kms_master_key_id"] == kms_key
    attributes = topic_attributes(aws, arn)
    assert attributes["KmsMasterKeyId"] == kms_key
    assert "sns:*" not in attributes["Policy"]
    assert "Stray" not in {t["Key"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert run_module(alert_topic.main, args("drift", kms_key), region=REGION)["changed"] is False


def test_equal_policy_in_another_json_form_is_not_rewritten(run_module, aws, kms_key, api_calls):
    created = run_module(alert_topic.main, args("eqpol", kms_key), region=REGION)
    arn = created["topic_arn"]
    sns = aws("sns", REGION)
    policy = json.loads(topic_attributes(aws, arn)["Policy"])
    policy["Statement"].reverse()
    policy["Statement"][0]["Action"] = (
        sorted(policy["Statement"][0]["Action"], reverse=True)
        if isinstance(policy["Statement"][0]["Action"], list)
        else [policy["Statement"][0]["Action"]]
    )
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy, indent=2))
    api_calls.clear()
    assert run_module(alert_topic.main, args("eqpol", kms_key), region=REGION)["changed"] is False
    assert "SetTopicAttributes" not in api_calls


def test_subscription_drift_is_modified(run_module, aws, kms_key, monkeypatch):
    run_module(alert_topic.main, args("subdrift", kms_key), region=REGION)
    rds = aws("rds", REGION)
    name = "tap-rds-events-subdrift-db-cluster"
    current = subscriptions(aws, name)[name]
    rds.delete_event_subscription(SubscriptionName=name)
    rds.create_event_subscription(
        SubscriptionName=name,
        SnsTopicArn=current["SnsTopicArn"],
        SourceType="db-cluster",
        EventCategories=["failure"],
        Enabled=False,
        Tags=[{"Key": "Environment", "Value": "test"}, {"Key": "Region", "Value": REGION}],
    )

    # The emulator modifies the subscription in place (ModifyEventSubscription); record what was asked.
    original = botocore.client.BaseClient._make_api_call
    modified: list[dict] = []

    def record_modify(self, operation_name, api_params):
        if operation_name == "ModifyEventSubscription":
            modified.append(dict(api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record_modify)
    result = run_module(alert_topic.main, args("subdrift", kms_key), region=REGION)
    assert result["changes"] == [
        f"RDS event subscription {name}: enabled False -> True, "
        "event categories ['failure'] -> ['failover', 'failure', 'maintenance']"
    ]
    assert modified == [
        {
            "SubscriptionName": name,
            "SnsTopicArn": current["SnsTopicArn"],
            "SourceType": "db-cluster",
            "EventCategories": sorted(CATEGORIES),
            "Enabled": True,
        }
    ]
    assert sorted(subscriptions(aws, name)[name]["EventCategoriesList"]) == sorted(CATEGORIES)
    assert subscriptions(aws, name)[name]["Enabled"] is True
    assert run_module(alert_topic.main, args("subdrift", kms_key), region=REGION)["changed"] is False


def test_check_mode_writes_nothing(run_module, aws, kms_key, api_calls):
    result = run_module(alert_topic.main, args("check", kms_key), region=REGION, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["topic_arn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:tap-alerts-check"
    assert set(api_calls) <= READ_OPS, api_calls
    assert result["diff"]["before"]["topic"] is None
    assert result["diff"]["after"]["topic"]["kms_master_key_id"] == kms_key
    assert "tap-alerts-check" not in str(aws("sns", REGION).list_topics()["Topics"])
    assert subscriptions(aws, "tap-rds-events-check-db-cluster") == {}


def test_given_account_id_skips_sts_and_wrong_account_fails(run_module, kms_key, api_calls):
    result = run_module(alert_topic.main, args("acct", kms_key, account_id=ACCOUNT), region=REGION)
    assert result["changed"] is True and "GetCallerIdentity" not in api_calls
    wrong = run_module(alert_topic.main, args("acct2", kms_key, account_id="111122223333"), region=REGION)
    assert wrong["failed"] is True and "111122223333" in wrong["msg"]


def test_state_absent_deletes_subscriptions_and_topic(run_module, aws, kms_key):
    created = run_module(alert_topic.main, args("gone", kms_key), region=REGION)
    absent = dict(args("gone", kms_key), state="absent")
    result = run_module(alert_topic.main, absent, region=REGION)
    assert result["changed"] is True
    assert subscriptions(aws, "tap-rds-events-gone-db-cluster", "tap-rds-events-gone-db-instance") == {}
    assert created["topic_arn"] not in str(aws("sns", REGION).list_topics()["Topics"])
    assert run_module(alert_topic.main, absent, region=REGION)["changed"] is False


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"account_actions": ["sns:*"]}, "wildcard"),
        ({"kms_master_key_id": None}, "kms_master_key_id is required"),
        ({"name": "tap-alerts-x.fifo"}, "FIFO"),
    ],
)
def test_invalid_input_fails_before_any_call(run_module, api_calls, extra, message):
    result = run_module(alert_topic.main, {**args("bad", "alias/x"), **extra}, region=REGION)
    assert result["failed"] is True and message in result["msg"]
    assert api_calls == []


def test_drift_in_check_mode_names_the_attribute_and_writes_nothing(run_module, aws, kms_key, emulator_url):
    created = run_module(alert_topic.main, args("chkdrift", kms_key), region=REGION)
    aws("sns", REGION).set_topic_attributes(
        TopicArn=created["topic_arn"], AttributeName="DisplayName", AttributeValue="someone else's"
    )
    mark = control.last_call_seq(emulator_url)
    checked = run_module(
        alert_topic.main, args("chkdrift", kms_key, display_name="alerts"), region=REGION, check_mode=True, diff=True
    )
    assert checked["changes"] == ["topic tap-alerts-chkdrift: display name someone else's -> alerts"]
    assert checked["diff"]["before"]["topic"]["display_name"] == "someone else's"
    assert checked["diff"]["after"]["topic"]["display_name"] == "alerts"
    assert control.write_calls(emulator_url, mark) == []


def test_parameter_group_and_security_group_subscriptions(run_module, aws, kms_key):
    extra = [
        dict(name="tap-rds-events-pgsg-db-parameter-group", source_type="db-parameter-group",
             event_categories=["configuration change"]),
        dict(name="tap-rds-events-pgsg-db-security-group", source_type="db-security-group",
             event_categories=["configuration change", "failure"]),
    ]
    spec = args("pgsg", kms_key)
    spec["rds_event_subscriptions"] += extra
    result = run_module(alert_topic.main, spec, region=REGION)
    assert result.get("failed") is not True, result
    assert "create RDS event subscription tap-rds-events-pgsg-db-security-group (db-security-group: configuration " \
           "change, failure)" in result["changes"]
    found = subscriptions(aws, *(s["name"] for s in extra))
    assert found["tap-rds-events-pgsg-db-parameter-group"]["EventCategoriesList"] == ["configuration change"]
    assert sorted(found["tap-rds-events-pgsg-db-security-group"]["EventCategoriesList"]) == [
        "configuration change", "failure"
    ]
    assert run_module(alert_topic.main, spec, region=REGION)["changed"] is False
