"""The monitoring role in every region of the local inventory, run twice through a playbook."""

from __future__ import annotations

import json

import pytest

PLAYBOOK = "tests/integration/playbooks/monitoring.yml"
REGIONS = ("us-east-1", "us-east-2", "eu-west-1")
ENV = "montest"  # tap_environment the playbook sets
ACCOUNT = "123456789012"  # the emulator's account


def check_region(aws, region: str) -> None:
    topic_arn = f"arn:aws:sns:{region}:{ACCOUNT}:tap-alerts-{ENV}-{region}"
    key_arn = aws("kms", region).describe_key(KeyId=f"alias/tap-{ENV}-{region}")["KeyMetadata"]["Arn"]

    attributes = aws("sns", region).get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert attributes["KmsMasterKeyId"] == key_arn
    statements = json.loads(attributes["Policy"])["Statement"]
    publishers = {s["Principal"].get("Service") for s in statements} - {None}
    assert publishers == {"cloudwatch.amazonaws.com", "events.rds.amazonaws.com"}
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert "sns:Publish" in actions and not [a for a in actions if "*" in a]
        if "Service" in statement["Principal"]:
            assert actions == ["sns:Publish"]
            assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
        else:
            assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    tags = {t["Key"]: t["Value"] for t in aws("sns", region).list_tags_for_resource(ResourceArn=topic_arn)["Tags"]}
    assert tags["Environment"] == ENV and tags["Region"] == region and tags["CostCenter"]

    prefix = f"tap-{ENV}-{region}-"
    alarms = {
        a["AlarmName"]: a for a in aws("cloudwatch", region).describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]
    }
    expected = {"aurora-cpu-high", "lambda-errors", "lambda-throttles", "dynamodb-user-errors"}
    if region == "us-east-1":  # the only region the playbook gives an API id
        expected.add("api-5xx")
    assert set(alarms) == {prefix + name for name in expected}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic_arn]
        assert alarm["TreatMissingData"] == "notBreaching"
    cpu = alarms[prefix + "aurora-cpu-high"]
    assert (cpu["Statistic"], cpu["Threshold"], cpu["Period"], cpu["EvaluationPeriods"]) == ("Average", 80.0, 300, 2)
    assert cpu["Dimensions"] == [{"Name": "DBClusterIdentifier", "Value": f"aurora-{ENV}-{region}"}]
    errors = alarms[prefix + "lambda-errors"]
    assert (errors["Threshold"], errors["Dimensions"]) == (
        10.0,
        [{"Name": "FunctionName", "Value": f"data-processor-{ENV}-{region}"}],
    )
    assert alarms[prefix + "dynamodb-user-errors"]["Dimensions"] == [{"Name": "TableName", "Value": f"sessions-{ENV}"}]
    assert alarms[prefix + "lambda-throttles"]["Threshold"] == 0.0
    if region == "us-east-1":
        api = alarms[prefix + "api-5xx"]
        assert (api["Namespace"], api["MetricName"]) == ("AWS/ApiGateway", "5xx")
        assert sorted((d["Name"], d["Value"]) for d in api["Dimensions"]) == [("ApiId", "montestapi"), ("Stage", ENV)]

    subscriptions = {
        s["CustSubscriptionId"]: s for s in aws("rds", region).describe_event_subscriptions()["EventSubscriptionsList"]
    }
    expected_categories = {
        "db-cluster": ["failover", "failure", "maintenance"],
        "db-instance": ["configuration change", "failover", "failure", "maintenance"],
        "db-parameter-group": ["configuration change"],
        "db-security-group": ["configuration change", "failure"],
    }
    ours = {name: s for name, s in subscriptions.items() if name.startswith(f"tap-rds-events-{ENV}-{region}-")}
    assert set(ours) == {f"tap-rds-events-{ENV}-{region}-{source_type}" for source_type in expected_categories}
    for source_type, categories in expected_categories.items():
        sub = subscriptions[f"tap-rds-events-{ENV}-{region}-{source_type}"]
        assert sub["SourceType"] == source_type and sub["SnsTopicArn"] == topic_arn and sub["Enabled"] is True
        assert sorted(sub["EventCategoriesList"]) == categories


@pytest.mark.slow
def test_monitoring_role_in_every_region_is_idempotent(run_playbook, aws):
    first = run_playbook(PLAYBOOK)
    assert first.rc == 0, first.output
    assert set(first.recap()) == set(REGIONS)
    assert "no 5xx alarm in us-east-2 because lambda_api_api_id is not defined" in first.output
    for region in REGIONS:
        check_region(aws, region)

    second = run_playbook(PLAYBOOK)
    assert second.rc == 0, second.output
    assert second.changed() == 0, second.output
