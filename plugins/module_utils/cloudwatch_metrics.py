# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Recent values of an AWS-published CloudWatch metric, whatever dimension set AWS publishes it with.

AWS publishes ``AuroraGlobalDBReplicationLag`` and DynamoDB's ``ReplicationLatency`` with several
dimensions, and GetMetricData only answers for the exact set. So the metrics are found first with
ListMetrics (filtered by the dimension we know, e.g. ``DBClusterIdentifier`` or ``TableName``), then read
together with one GetMetricData call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

# GetMetricData takes at most 500 queries per call.
MAX_QUERIES = 500


def recent(owner, region, namespace, metric, dimension, minutes=5, period=60, statistic="Maximum"):
    """[{dimensions, latest, latest_time, maximum, values}] of the metric's series in region, newest values first.

    owner: the AwsResource whose reads these are (retries, failures); dimension: (name, value) that every
    series must carry. A series without a datapoint in the last ``minutes`` has latest None.
    """
    cloudwatch = owner.client("cloudwatch", region=region)
    name, value = dimension
    listed = owner.paginate(
        "list the CloudWatch metrics %s %s (%s=%s) in %s" % (namespace, metric, name, value, region),
        cloudwatch, "list_metrics", Namespace=namespace, MetricName=metric, Dimensions=[{"Name": name, "Value": value}],
    )
    series = [m["Dimensions"] for m in (listed or {}).get("Metrics") or []][:MAX_QUERIES]
    if not series:
        return []
    end = datetime.datetime.now(datetime.timezone.utc)
    answer = owner.read(
        "read the CloudWatch metric %s %s (%s=%s) in %s" % (namespace, metric, name, value, region),
        cloudwatch.get_metric_data,
        MetricDataQueries=[
            {"Id": "m%d" % index, "ReturnData": True,
             "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
                            "Period": period, "Stat": statistic}}
            for index, dimensions in enumerate(series)
        ],
        StartTime=end - datetime.timedelta(minutes=minutes), EndTime=end, ScanBy="TimestampDescending",
    )
    by_id = dict((result["Id"], result) for result in answer.get("MetricDataResults") or [])
    found = []
    for index, dimensions in enumerate(series):
        result = by_id.get("m%d" % index) or {}
        times, values = result.get("Timestamps") or [], result.get("Values") or []
        points = sorted(((times[i], values[i]) for i in range(min(len(times), len(values)))), reverse=True)
        found.append({
            "dimensions": dict((d["Name"], d["Value"]) for d in dimensions),
            "latest": points[0][1] if points else None,
            "latest_time": points[0][0].isoformat() if points else None,
            "maximum": max(v for _t, v in points) if points else None,
            "values": [v for _t, v in points],
        })
    return found


def latest_by(series, dimension):
    """{value of dimension: latest value} of recent()'s series (the highest when a value has several series)."""
    latest = {}
    for entry in series:
        key = entry["dimensions"].get(dimension)
        value = entry["latest"]
        if key not in latest or (value is not None and (latest[key] is None or value > latest[key])):
            latest[key] = value
    return latest
