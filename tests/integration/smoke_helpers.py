"""Helpers of the smoke test and rollout tests: the smoke table a run printed, and test data left behind."""

from __future__ import annotations

import re

from integration.helpers import data_bucket
PREFIX = "smoke-tests/"


def smoke_table(output: str, env: str) -> dict[str, dict[str, str]]:
    """The last smoke table of env a run printed: region -> check -> pass/FAIL/skip/plan/ERROR."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith(f"Smoke tests of {env}:")]
    assert starts, f"no smoke table of {env} in the output"
    header = lines[starts[-1] + 1].split()
    assert header[0] == "region" and header[-1] == "seconds", header
    table = {}
    for line in lines[starts[-1] + 2 :]:
        cells = line.split()
        if len(cells) != len(header) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", cells[0]):
            break
        table[cells[0]] = dict(zip(header[1:-1], cells[1:-1], strict=True))
    return table


def leftovers(aws, env: str, regions) -> dict[str, dict[str, list]]:
    """Per region: versions of test objects in the data bucket, test items in the sessions table."""
    found = {}
    for region in regions:
        listing = aws("s3", region).list_object_versions(Bucket=data_bucket(env, region), Prefix=PREFIX)
        versions = [v["Key"] for v in listing.get("Versions", []) + listing.get("DeleteMarkers", [])]
        items = [
            item["session_id"]["S"]
            for item in aws("dynamodb", region).scan(TableName=f"sessions-{env}", ConsistentRead=True)["Items"]
            if item["session_id"]["S"].startswith(PREFIX)
        ]
        if versions or items:
            found[region] = {"versions": versions, "items": items}
    return found
