"""emulator.cloudwatch_replication_metrics: ReplicationLatency and AuroraGlobalDBReplicationLag in CloudWatch."""

from __future__ import annotations

import datetime
import uuid

import pytest
from rds_support import create_cluster, create_instance, name

from emulator import control

TABLE_REGIONS = ("eu-south-1", "eu-north-1")  # the table's region first
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
PRIMARY, SECONDARY = "me-south-1", "af-south-1"


@pytest.fixture
def account_settings(emulator_url):
    """Set account settings of the (default-profile) emulator for one test; they are cleared afterwards."""
    def set_account(**values):
        control.set_profile(emulator_url, account=values)

    yield set_account
    control.set_profile(emulator_url, account={})


def latest(cloudwatch, namespace: str, metric: str, dimensions: list[dict]) -> list[float]:
    now = datetime.datetime.now(datetime.UTC)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[{
            "Id": "m",
            "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
                           "Period": 60, "Stat": "Maximum"},
        }],
        StartTime=now - datetime.timedelta(minutes=5),
        EndTime=now,
    )
    return answer["MetricDataResults"][0]["Values"]


def listed(cloudwatch, namespace: str, metric: str, dimension: dict) -> list[list[dict]]:
    metrics = cloudwatch.list_metrics(Namespace=namespace, MetricName=metric, Dimensions=[dimension])["Metrics"]
    return [sorted(m["Dimensions"], key=lambda d: d["Name"]) for m in metrics]


def test_global_table_replicas_report_their_replication_latency(aws, account_settings):
    table = f"metrics-{uuid.uuid4().hex[:8]}"
    here, there = TABLE_REGIONS
    dynamodb = aws("dynamodb", here)
    dynamodb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST", StreamSpecification=STREAM,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )  # fmt: skip
    cloudwatch = {region: aws("cloudwatch", region) for region in TABLE_REGIONS}
    assert listed(cloudwatch[here], "AWS/DynamoDB", "ReplicationLatency", {"Name": "TableName", "Value": table}) == []

    dynamodb.update_table(TableName=table, ReplicaUpdates=[{"Create": {"RegionName": there}}])
    # Each replica's region publishes the latency towards every other replica.
    for source, receiving in ((here, there), (there, here)):
        found = listed(cloudwatch[source], "AWS/DynamoDB", "ReplicationLatency", {"Name": "TableName", "Value": table})
        assert found == [[{"Name": "ReceivingRegion", "Value": receiving}, {"Name": "TableName", "Value": table}]]
    pair = [{"Name": "TableName", "Value": table}, {"Name": "ReceivingRegion", "Value": there}]
    values = latest(cloudwatch[here], "AWS/DynamoDB", "ReplicationLatency", pair)
    assert values and set(values) == {600.0}

    account_settings(dynamodb_replication_latency_ms={here: 45000})
    assert set(latest(cloudwatch[here], "AWS/DynamoDB", "ReplicationLatency", pair)) == {45000.0}
    back = [{"Name": "TableName", "Value": table}, {"Name": "ReceivingRegion", "Value": here}]
    assert set(latest(cloudwatch[there], "AWS/DynamoDB", "ReplicationLatency", back)) == {600.0}


def test_secondary_clusters_report_their_global_replication_lag(aws, account_settings):
    east, west = aws("rds", PRIMARY), aws("rds", SECONDARY)
    primary, secondary, global_id = name("primary"), name("secondary"), name("global")
    primary_arn = create_cluster(east, primary)["DBClusterArn"]
    create_instance(east, name("primary-i"), primary)
    east.create_global_cluster(GlobalClusterIdentifier=global_id, SourceDBClusterIdentifier=primary_arn)
    create_cluster(west, secondary, global_cluster=global_id)
    cloudwatch = {region: aws("cloudwatch", region) for region in (PRIMARY, SECONDARY)}
    lag = "AuroraGlobalDBReplicationLag"

    # Only the secondary's region has the metric, named after the secondary and the primary's region.
    assert listed(cloudwatch[PRIMARY], "AWS/RDS", lag, {"Name": "DBClusterIdentifier", "Value": primary}) == []
    found = listed(cloudwatch[SECONDARY], "AWS/RDS", lag, {"Name": "DBClusterIdentifier", "Value": secondary})
    dimensions = [{"Name": "DBClusterIdentifier", "Value": secondary}, {"Name": "SourceRegion", "Value": PRIMARY}]
    assert found == [dimensions]
    assert set(latest(cloudwatch[SECONDARY], "AWS/RDS", lag, dimensions)) == {120.0}

    account_settings(aurora_global_replication_lag_ms=30000)
    assert set(latest(cloudwatch[SECONDARY], "AWS/RDS", lag, dimensions)) == {30000.0}

    # After a switchover the old primary is the secondary that lags.
    west.switchover_global_cluster(GlobalClusterIdentifier=global_id, TargetDbClusterIdentifier=secondary)
    assert listed(cloudwatch[SECONDARY], "AWS/RDS", lag, {"Name": "DBClusterIdentifier", "Value": secondary}) == []
    found = listed(cloudwatch[PRIMARY], "AWS/RDS", lag, {"Name": "DBClusterIdentifier", "Value": primary})
    assert found == [[{"Name": "DBClusterIdentifier", "Value": primary}, {"Name": "SourceRegion", "Value": SECONDARY}]]
