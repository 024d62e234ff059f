"""CloudWatch metrics of cross-region replication: DynamoDB ``ReplicationLatency`` and Aurora's
``AuroraGlobalDBReplicationLag`` (both profiles).

Gap: moto 5.2.5 publishes no metric of its own for DynamoDB or RDS (it only returns what
PutMetricData stored), so GetMetricData, GetMetricStatistics and ListMetrics find nothing for the
replication of a global table or an Aurora global database. AWS publishes:

* ``AWS/DynamoDB`` ``ReplicationLatency`` (Milliseconds), in the region of the replica an item was
  written to, for every other replica: dimensions ``TableName`` and ``ReceivingRegion`` (DynamoDB
  Developer Guide, "Monitoring global tables": "emitted for every source- and destination-Region
  pair");
* ``AWS/RDS`` ``AuroraGlobalDBReplicationLag`` (Milliseconds), in the region of each secondary cluster
  of a global database: dimensions ``DBClusterIdentifier`` and ``SourceRegion`` (the primary's region).

A second gap of moto's ListMetrics matters here: it lists a metric with two or more dimensions once per
datapoint (its check for "already listed" compares every dimension with every other). ListMetrics now lists
each metric (namespace, name, dimension set) once, as AWS does.

This filler is a moto ``CloudWatchMetricProvider``: whenever a CloudWatch read looks at the metrics of a
region it adds, for every global table replica and every secondary Aurora member there, one datapoint a
minute for the last ``WINDOW_MINUTES`` minutes, all of the configured value, so every read of these
metrics finds the current value whatever its period and statistic.

Account settings (``profile.current().account``; a number for every region, or ``{region: number}``
with the region that sends - the replica's region for DynamoDB, the secondary's region for Aurora):

* ``dynamodb_replication_latency_ms`` (default ``DEFAULT_DYNAMODB_MS``);
* ``aurora_global_replication_lag_ms`` (default ``DEFAULT_AURORA_MS``).

A test sets a large value to see an operation refuse or wait (``control.set_profile(url,
account={...})``) and a small one to let it go on.

Only AWS will show: latency that follows the traffic (AWS emits ReplicationLatency only while items are
replicated, so an idle table has no datapoint; here there is always one), spikes and per-pair
differences that come from geography, and ``AuroraGlobalDBRPOLag`` / ``AuroraGlobalDBProgressLag``.

Patched: ``CloudWatchBackend.get_filtered_metrics`` (replaced, for ListMetrics); a
``CloudWatchMetricProvider`` subclass added.
"""

from __future__ import annotations

import datetime
from typing import Any

from emulator import profile

DYNAMODB_SETTING = "dynamodb_replication_latency_ms"
AURORA_SETTING = "aurora_global_replication_lag_ms"
# Small, as AWS reports in normal operation (both typically well under a second).
DEFAULT_DYNAMODB_MS = 600.0
DEFAULT_AURORA_MS = 120.0
WINDOW_MINUTES = 15
MILLISECONDS = "Milliseconds"

_INSTALLED = False
_PROVIDERS: list[type] = []


def setting(name: str, default: float, region: str) -> float:
    """The account setting for the sending region: a number, or {region: number} (default for the others)."""
    value = profile.current().account.get(name, default)
    if isinstance(value, dict):
        value = value.get(region, default)
    return float(value)


def _minutes() -> list[datetime.datetime]:
    """Naive UTC minute marks of the window (moto's metric timestamps are naive UTC), oldest first."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, second=0, microsecond=0)
    return [now - datetime.timedelta(minutes=back) for back in range(WINDOW_MINUTES - 1, -1, -1)]


def _series(namespace: str, name: str, value: float, dimensions: list[dict[str, str]]) -> list[Any]:
    from moto.cloudwatch.models import MetricDatum

    return [MetricDatum(namespace, name, value, dimensions, at, MILLISECONDS) for at in _minutes()]


def dynamodb_metrics(account_id: str, region: str) -> list[Any]:
    """ReplicationLatency from every global table replica in region to each other replica."""
    from moto.dynamodb.models import dynamodb_backends

    if region not in dynamodb_backends[account_id]:
        return []
    groups = getattr(dynamodb_backends[account_id][region], "_tap_replica_groups", None) or {}
    value = setting(DYNAMODB_SETTING, DEFAULT_DYNAMODB_MS, region)
    data: list[Any] = []
    for table, group in sorted(groups.items()):
        if region not in group:
            continue
        for receiving in sorted(set(group) - {region}):
            dimensions = [{"Name": "TableName", "Value": table}, {"Name": "ReceivingRegion", "Value": receiving}]
            data.extend(_series("AWS/DynamoDB", "ReplicationLatency", value, dimensions))
    return data


def aurora_metrics(account_id: str, region: str) -> list[Any]:
    """AuroraGlobalDBReplicationLag of every secondary member of a global database in region."""
    from emulator.rds_timeline import global_backend, settle

    value = setting(AURORA_SETTING, DEFAULT_AURORA_MS, region)
    data: list[Any] = []
    for global_cluster in list(global_backend(account_id).global_clusters.values()):
        settle(global_cluster)
        writer = next((member for member in global_cluster.members if member.is_writer), None)
        for member in global_cluster.members:
            if member is writer or member.db_cluster_arn.split(":")[3] != region:
                continue
            dimensions = [{"Name": "DBClusterIdentifier", "Value": member.db_cluster_identifier}]
            if writer is not None:
                dimensions.append({"Name": "SourceRegion", "Value": writer.db_cluster_arn.split(":")[3]})
            data.extend(_series("AWS/RDS", "AuroraGlobalDBReplicationLag", value, dimensions))
    return data


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True

    from moto.core.common_models import CloudWatchMetricProvider

    class ReplicationMetrics(CloudWatchMetricProvider):
        """Found by moto's CloudWatch backend among CloudWatchMetricProvider's subclasses."""

        @staticmethod
        def get_cloudwatch_metrics(account_id: str, region: str) -> list[Any]:
            return dynamodb_metrics(account_id, region) + aurora_metrics(account_id, region)

    from moto.cloudwatch.models import CloudWatchBackend

    def get_filtered_metrics(self, metric_name, namespace, dimensions):
        unique, seen = [], set()
        for datum in self.get_all_metrics():
            key = (datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))
            if key not in seen and datum.filter(namespace=namespace, name=metric_name, dimensions=dimensions):
                seen.add(key)
                unique.append(datum)
        return unique

    CloudWatchBackend.get_filtered_metrics = get_filtered_metrics
    # moto finds providers through __subclasses__(), which holds them weakly: keep this one alive.
    _PROVIDERS.append(ReplicationMetrics)
