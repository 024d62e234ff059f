# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure planning logic of tap.multiregion.dynamodb_global_table (no AWS calls, unit-testable).

The module reads the table (and each replica region's own settings), normalizes them into a
*state* dict, builds the *desired* state from its parameters and asks `plan_present` or
`plan_absent` for the ordered list of changes that turns one into the other. Each change is
one AWS write (AWS allows one replica change per UpdateTable call and needs the table and its
replicas ACTIVE before the next one), so the module executes them in order.

State (current or desired)::

    {
        "name": "sessions-dev",
        "region": "us-east-1",              # the region that owns the table (where we call from)
        "status": "ACTIVE",                 # current only
        "key_schema": [{"name": "session_id", "type": "S", "key_type": "HASH"}],
        "billing_mode": "PAY_PER_REQUEST",
        "stream_view_type": "NEW_AND_OLD_IMAGES",   # None when the stream is off
        "kms_key_arn": "arn:aws:kms:...:key/...",   # None = AWS owned key
        "settings": {"deletion_protection": bool, "point_in_time_recovery": bool, "tags": {..} or None},
        "replicas": {
            "us-east-2": {"kms_key_arn": "...", "status": "ACTIVE", "settings": {...} or None},
        },
    }

Per-region settings (deletion protection, point-in-time recovery, tags) are not replicated by
DynamoDB, so they are planned for the table and for every replica alike. Each change is a dict
(``action``, ``region`` and what the write needs); `change_sentence` says it the way the module
reports it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.tap.multiregion.plugins.module_utils.base import update_sentence
from ansible_collections.tap.multiregion.plugins.module_utils.kms import key_label

GLOBAL_TABLE_VERSION = "2019.11.21"
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"
PAY_PER_REQUEST = "PAY_PER_REQUEST"

# What a replica looks like right after AWS created it (nothing of these is copied).
NEW_REPLICA_SETTINGS = {"deletion_protection": False, "point_in_time_recovery": False, "tags": {}}

SETTLED = "ACTIVE"
FAILED_STATUSES = ("CREATION_FAILED", "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "REGION_DISABLED", "ARCHIVED")
# Changes of one region's own settings (not of the global table).
SETTINGS_ACTIONS = ("set_deletion_protection", "set_point_in_time_recovery", "tags")


# --------------------------------------------------------------------------- normalizing
def region_arn(table_arn, region):
    """The ARN of the same table in another region (replicas share name, account and partition)."""
    parts = table_arn.split(":")
    parts[3] = region
    return ":".join(parts)


def key_schema_from_description(description):
    types = {a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions", [])}
    return [
        {"name": k["AttributeName"], "type": types.get(k["AttributeName"]), "key_type": k["KeyType"]}
        for k in description.get("KeySchema", [])
    ]


def key_schema_from_params(hash_key_name, hash_key_type, range_key_name=None, range_key_type=None):
    schema = [{"name": hash_key_name, "type": hash_key_type, "key_type": "HASH"}]
    if range_key_name:
        schema.append({"name": range_key_name, "type": range_key_type, "key_type": "RANGE"})
    return schema


def settings_from_aws(description, continuous_backups, tags):
    """Per-region settings from DescribeTable, DescribeContinuousBackups and ListTagsOfResource."""
    pitr = (continuous_backups or {}).get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    return {
        "deletion_protection": bool(description.get("DeletionProtectionEnabled", False)),
        "point_in_time_recovery": pitr in ("ENABLED", "ENABLING"),
        "tags": dict(tags or {}),
    }


def state_from_description(description, region, settings=None, replica_settings=None):
    """Normalize DescribeTable's Table of the owning region (plus settings read separately)."""
    stream = description.get("StreamSpecification") or {}
    sse = description.get("SSEDescription") or {}
    kms_key_arn = None
    if sse.get("SSEType") == "KMS" and sse.get("Status") in ("ENABLED", "ENABLING", "UPDATING"):
        kms_key_arn = sse.get("KMSMasterKeyArn")
    replicas = {}
    for replica in description.get("Replicas") or []:
        name = replica["RegionName"]
        if name == region:  # some API versions list the region described itself
            continue
        replicas[name] = {
            "kms_key_arn": replica.get("KMSMasterKeyId"),
            "status": replica.get("ReplicaStatus", SETTLED),
            "settings": (replica_settings or {}).get(name),
        }
    return {
        "name": description["TableName"],
        "region": region,
        "arn": description.get("TableArn"),
        "status": description.get("TableStatus", SETTLED),
        "key_schema": key_schema_from_description(description),
        "billing_mode": (description.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
        "stream_view_type": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        "kms_key_arn": kms_key_arn,
        "settings": settings,
        "replicas": replicas,
        "global_table_version": description.get("GlobalTableVersion"),
    }


def is_settled(description):
    """True when the table and all its replicas are ACTIVE (AWS accepts the next change)."""
    if description.get("TableStatus") != SETTLED:
        return False
    return all(r.get("ReplicaStatus", SETTLED) == SETTLED for r in description.get("Replicas") or [])


def failed_statuses(description):
    """[(region or None, status)] of parts of the table that will not become ACTIVE by waiting."""
    failed = []
    if description.get("TableStatus") in FAILED_STATUSES:
        failed.append((None, description["TableStatus"]))
    for replica in description.get("Replicas") or []:
        if replica.get("ReplicaStatus") in FAILED_STATUSES:
            failed.append((replica["RegionName"], replica["ReplicaStatus"]))
    return failed


# --------------------------------------------------------------------------- planning
def plan_region_settings(region, desired, current, purge_tags=True):
    """Changes that make one region's deletion protection, PITR and tags match."""
    current = current or NEW_REPLICA_SETTINGS
    changes = []
    if desired.get("deletion_protection") is not None and bool(current.get("deletion_protection")) != bool(
        desired["deletion_protection"]
    ):
        changes.append(
            {"action": "set_deletion_protection", "region": region, "enabled": desired["deletion_protection"]}
        )
    if desired.get("point_in_time_recovery") is not None and bool(current.get("point_in_time_recovery")) != bool(
        desired["point_in_time_recovery"]
    ):
        changes.append(
            {"action": "set_point_in_time_recovery", "region": region, "enabled": desired["point_in_time_recovery"]}
        )
    if desired.get("tags") is not None:
        have = dict(current.get("tags") or {})
        want = dict((k, str(v)) for k, v in desired["tags"].items())
        to_set, to_unset = compare_aws_tags(have, want, purge_tags)
        if to_set or to_unset:
            changes.append({"action": "tags", "region": region, "current": have, "tags": want, "purge": purge_tags})
    return changes


def plan_present(
    desired, current, allow_replica_removal=False, allow_deletion_protection_removal=False, purge_tags=True
):
    """Ordered changes (and errors that forbid any change) to reach `desired` from `current`.

    `current` is None when the table does not exist. Order follows AWS's rules: table first
    (stream before any replica), replica removals, replica additions (each a separate
    UpdateTable), then each replica's own settings.
    """
    changes, errors = [], []
    region = desired["region"]
    if region in desired["replicas"]:
        errors.append("replicas: %s is the table's own region; list only the other regions" % region)

    if current is None:
        changes.append(
            {
                "action": "create_table",
                "region": region,
                "key_schema": desired["key_schema"],
                "billing_mode": desired["billing_mode"],
                "stream_view_type": desired["stream_view_type"],
                "kms_key_arn": desired["kms_key_arn"],
                "deletion_protection": bool(desired["settings"].get("deletion_protection")),
                "tags": desired["settings"].get("tags") or {},
            }
        )
        created = {
            "deletion_protection": bool(desired["settings"].get("deletion_protection")),
            "point_in_time_recovery": False,
            "tags": desired["settings"].get("tags") or {},
        }
        changes.extend(plan_region_settings(region, desired["settings"], created, purge_tags))
        current_replicas = {}
    else:
        if current["key_schema"] != desired["key_schema"]:
            errors.append(
                "table %s has key schema %s; the requested %s cannot be applied (DynamoDB cannot change keys)"
                % (desired["name"], _schema_text(current["key_schema"]), _schema_text(desired["key_schema"]))
            )
        if current["billing_mode"] != desired["billing_mode"]:
            changes.append({"action": "set_billing_mode", "region": region, "billing_mode": desired["billing_mode"],
                            "before": current["billing_mode"]})
        if current["stream_view_type"] != desired["stream_view_type"]:
            if current["stream_view_type"] is not None:
                if current["replicas"]:
                    errors.append(
                        "table %s has stream view type %s and replicas; a global table needs %s and its stream "
                        "cannot be switched while replicas exist"
                        % (desired["name"], current["stream_view_type"], desired["stream_view_type"])
                    )
                changes.append({"action": "disable_stream", "region": region, "before": current["stream_view_type"]})
            changes.append(
                {"action": "enable_stream", "region": region, "stream_view_type": desired["stream_view_type"]}
            )
        if current["kms_key_arn"] != desired["kms_key_arn"]:
            changes.append({"action": "set_kms_key", "region": region, "kms_key_arn": desired["kms_key_arn"],
                            "before": current["kms_key_arn"]})
        changes.extend(plan_region_settings(region, desired["settings"], current["settings"], purge_tags))
        version = current.get("global_table_version")
        if version and version != GLOBAL_TABLE_VERSION:
            errors.append(
                "table %s is a version %s global table; upgrade it to version %s before managing its replicas here"
                % (desired["name"], version, GLOBAL_TABLE_VERSION)
            )
        current_replicas = current["replicas"]

    # Replica removals: refused unless explicitly allowed.
    removed = sorted(r for r in current_replicas if r not in desired["replicas"])
    if removed and not allow_replica_removal:
        errors.append(
            "refusing to remove replica(s) %s of table %s: they are not in `replicas`; set allow_replica_removal=true "
            "to remove them" % (", ".join(removed), desired["name"])
        )
    elif removed:
        for replica_region in removed:
            changes.extend(
                _replica_deletion(
                    desired["name"],
                    replica_region,
                    current_replicas[replica_region],
                    allow_deletion_protection_removal,
                    errors,
                )
            )

    # Replica additions, one UpdateTable each; a new replica then gets its own settings.
    for replica_region in sorted(r for r in desired["replicas"] if r not in current_replicas and r != region):
        want = desired["replicas"][replica_region]
        changes.append({"action": "create_replica", "region": replica_region, "kms_key_arn": want["kms_key_arn"]})
        changes.extend(plan_region_settings(replica_region, want["settings"], NEW_REPLICA_SETTINGS, purge_tags))

    # Existing replicas: key and settings.
    for replica_region in sorted(r for r in desired["replicas"] if r in current_replicas):
        want, have = desired["replicas"][replica_region], current_replicas[replica_region]
        if want["kms_key_arn"] != have.get("kms_key_arn"):
            changes.append({"action": "set_replica_kms_key", "region": replica_region,
                            "kms_key_arn": want["kms_key_arn"], "before": have.get("kms_key_arn")})
        changes.extend(plan_region_settings(replica_region, want["settings"], have.get("settings"), purge_tags))

    return changes, errors


def plan_absent(current, allow_deletion_protection_removal=False):
    """Ordered changes to delete the table: every replica first, then the table itself."""
    if current is None:
        return [], []
    changes, errors = [], []
    for replica_region in sorted(current["replicas"]):
        changes.extend(
            _replica_deletion(
                current["name"],
                replica_region,
                current["replicas"][replica_region],
                allow_deletion_protection_removal,
                errors,
            )
        )
    if (current.get("settings") or {}).get("deletion_protection"):
        if not allow_deletion_protection_removal:
            errors.append(
                "table %s in %s has deletion protection enabled; set allow_deletion_protection_removal=true to "
                "lift it and delete the table" % (current["name"], current["region"])
            )
        changes.append({"action": "set_deletion_protection", "region": current["region"], "enabled": False})
    changes.append({"action": "delete_table", "region": current["region"]})
    return changes, errors


def _replica_deletion(name, region, replica, allow_deletion_protection_removal, errors):
    changes = []
    if ((replica or {}).get("settings") or {}).get("deletion_protection"):
        if not allow_deletion_protection_removal:
            errors.append(
                "replica of table %s in %s has deletion protection enabled; set allow_deletion_protection_removal=true "
                "to lift it and remove the replica" % (name, region)
            )
        changes.append({"action": "set_deletion_protection", "region": region, "enabled": False})
    changes.append({"action": "delete_replica", "region": region})
    return changes


def table_label(name, primary, region):
    """How sentences name the table in one region: the table itself, or one of its replicas."""
    return "table %s" % name if region == primary else "replica %s of table %s" % (region, name)


def change_sentence(name, primary, change):
    """The sentence the module reports for one planned change (tags are reported by the tag sync)."""
    action, region = change["action"], change["region"]
    label = table_label(name, primary, region)
    if action == "create_table":
        return "create table %s (%s, KMS key %s)" % (name, region, key_label(change["kms_key_arn"]))
    if action == "create_replica":
        return "create %s (KMS key %s)" % (label, key_label(change["kms_key_arn"]))
    if action in ("delete_replica", "delete_table"):
        return "delete %s" % label
    if action == "set_billing_mode":
        return update_sentence(label, "billing mode", change["before"], change["billing_mode"])
    if action == "disable_stream":
        return update_sentence(label, "stream", change["before"], None)
    if action == "enable_stream":
        return update_sentence(label, "stream", None, change["stream_view_type"])
    if action in ("set_kms_key", "set_replica_kms_key"):
        return update_sentence(label, "KMS key", key_label(change["before"]), key_label(change["kms_key_arn"]))
    if action == "set_deletion_protection":
        return update_sentence(label, "deletion protection", not change["enabled"], change["enabled"])
    if action == "set_point_in_time_recovery":
        return update_sentence(label, "point-in-time recovery", not change["enabled"], change["enabled"])
    raise ValueError("no sentence for change %s" % action)


def _schema_text(schema):
    return ", ".join("%s %s (%s)" % (k["key_type"], k["name"], k["type"]) for k in schema)


# --------------------------------------------------------------------------- reporting
def expected_state(desired, current, purge_tags=True):
    """The state after `plan_present`'s changes have been applied (for diff 'after')."""

    def merged_settings(want, have):
        have = have or NEW_REPLICA_SETTINGS
        out = {
            "deletion_protection": have.get("deletion_protection")
            if want.get("deletion_protection") is None
            else want["deletion_protection"],
            "point_in_time_recovery": have.get("point_in_time_recovery")
            if want.get("point_in_time_recovery") is None
            else want["point_in_time_recovery"],
        }
        if want.get("tags") is None:
            out["tags"] = have.get("tags") or {}
        elif purge_tags:
            out["tags"] = dict(want["tags"])
        else:
            out["tags"] = dict(have.get("tags") or {}, **want["tags"])
        return out

    current_replicas = (current or {}).get("replicas") or {}
    state = dict(desired)
    state["settings"] = merged_settings(
        desired["settings"],
        (current or {}).get("settings")
        if current
        else {"deletion_protection": False, "point_in_time_recovery": False, "tags": {}},
    )
    state["replicas"] = {
        region: {
            "kms_key_arn": want["kms_key_arn"],
            "settings": merged_settings(want["settings"], (current_replicas.get(region) or {}).get("settings")),
        }
        for region, want in desired["replicas"].items()
    }
    return state


def summarize(state):
    """Compact, comparable view of a state for the module's diff ({} when the table is absent)."""
    if not state:
        return {}
    settings = state.get("settings") or {}
    return {
        "table_name": state["name"],
        "region": state["region"],
        "key_schema": _schema_text(state["key_schema"]),
        "billing_mode": state["billing_mode"],
        "stream_view_type": state["stream_view_type"],
        "kms_key_arn": state["kms_key_arn"],
        "deletion_protection": settings.get("deletion_protection"),
        "point_in_time_recovery": settings.get("point_in_time_recovery"),
        "tags": settings.get("tags"),
        "replicas": {
            region: {
                "kms_key_arn": replica.get("kms_key_arn"),
                "deletion_protection": (replica.get("settings") or {}).get("deletion_protection"),
                "point_in_time_recovery": (replica.get("settings") or {}).get("point_in_time_recovery"),
                "tags": (replica.get("settings") or {}).get("tags"),
            }
            for region, replica in sorted((state.get("replicas") or {}).items())
        },
    }
