# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure checks of tap.multiregion.preflight: AWS's answers in, sentences out (region, setting, value,
what AWS allows). No AWS call here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# AWS keeps this many of the account's concurrent executions unreserved.
MIN_UNRESERVED_CONCURRENCY = 100
# Aurora global databases take no burstable (db.t*) class.
BURSTABLE_PREFIX = "db.t"


SIZES = ("micro", "small", "medium", "large", "xlarge")


def _size_rank(size):
    """medium < large < xlarge < 2xlarge < 4xlarge ... (AWS's order of instance sizes)."""
    if size in SIZES:
        return (SIZES.index(size), 0)
    digits = size[: -len("xlarge")] if size.endswith("xlarge") else ""
    return (len(SIZES), int(digits) if digits.isdigit() else 0)


def _allowed(classes):
    """Instance classes compactly, by family: 'db.r5.{large,xlarge,2xlarge}, db.t4g.{medium,large}'."""
    families = {}
    for name in classes:
        family, _dot, size = name.rpartition(".")
        families.setdefault(family, []).append(size)
    shown = []
    for family, sizes in sorted(families.items()):
        sizes = sorted(sizes, key=_size_rank)
        shown.append("%s.{%s}" % (family, ",".join(sizes)) if len(sizes) > 1 else "%s.%s" % (family, sizes[0]))
    return ", ".join(shown)


def zone_problems(region, zones, zone_count):
    if len(zones) >= zone_count:
        return []
    return [
        "%s: vpc_zone_count=%d but the region has %d availability zone(s) (%s); use a region with %d or set "
        "vpc_zone_count lower" % (region, zone_count, len(zones), ", ".join(zones) or "none", zone_count)
    ]


def instance_classes(orderable):
    return sorted(set(o["DBInstanceClass"] for o in orderable))


def aurora_problems(region, aurora, versions, orderable):
    engine, version, wanted = aurora["engine"], aurora["engine_version"], aurora["instance_class"]
    if version not in versions:
        return ["%s: aurora_engine_version=%s is not an available %s version in the region" % (region, version, engine)]
    problems = []
    classes = instance_classes(orderable)
    if wanted not in classes:
        problems.append(
            "%s: aurora_instance_class=%s is not orderable for %s %s; AWS allows %s"
            % (region, wanted, engine, version, _allowed(classes) or "no class in this region")
        )
    if aurora.get("global_database"):
        global_classes = sorted(set(
            o["DBInstanceClass"] for o in orderable
            if o.get("SupportsGlobalDatabases") and not o["DBInstanceClass"].startswith(BURSTABLE_PREFIX)
        ))
        if wanted not in global_classes:
            problems.append(
                "%s: aurora_instance_class=%s cannot run in an Aurora global database (aurora_global_database=true; "
                "burstable db.t* classes never can); AWS allows %s" % (region, wanted, _allowed(global_classes))
            )
    return problems


def concurrency_problems(region, reserved, settings, current_reservation):
    limit = settings.get("AccountLimit", {})
    total = limit.get("ConcurrentExecutions")
    unreserved = limit.get("UnreservedConcurrentExecutions")
    if total is None or unreserved is None:
        return []
    # The function's own current reservation is given back when it is replaced.
    available = unreserved + (current_reservation or 0)
    if available - reserved >= MIN_UNRESERVED_CONCURRENCY:
        return []
    return [
        "%s: lambda_api_reserved_concurrency=%d would leave %d unreserved of the account's concurrency limit of %d; "
        "AWS keeps at least %d unreserved, so at most %d can be reserved here (ask for a higher quota or set it to "
        "null)" % (region, reserved, available - reserved, total, MIN_UNRESERVED_CONCURRENCY,
                   max(available - MIN_UNRESERVED_CONCURRENCY, 0))
    ]


def bucket_problems(region, owners):
    return [
        "%s: bucket name %s belongs to another AWS account (S3 bucket names are global); choose other bucket names "
        "(tap_bucket_name_suffix)" % (region, name)
        for name, owner in sorted(owners.items()) if owner == "foreign"
    ]


def key_notices(region, states):
    return [
        "%s: KMS key %s is pending deletion; this run cancels its deletion and enables it again" % (region, alias)
        for alias, state in sorted(states.items()) if state == "PendingDeletion"
    ]
