# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure logic of the s3_secure_bucket module: desired settings, their normalized forms and how a
setting reads in a change sentence.

Every setting is turned into one canonical shape, for what we want and for what S3 returns,
so that comparing the two is a plain equality and a re-run never rewrites an equal setting.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils.base import update_sentence

TLS_STATEMENT_SID = "DenyInsecureTransport"
PUBLIC_ACCESS_BLOCK_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

# The settings the module manages, in the order they are written: ownership and access first,
# then the data protection settings; replication last (it needs versioning).
SETTINGS = (
    "object_ownership",
    "public_access_block",
    "encryption",
    "policy",
    "versioning",
    "lifecycle_rules",
    "access_logging",
    "replication",
    "tags",
)
# How each setting is named in a change sentence.
ATTRIBUTES = {
    "object_ownership": "object ownership",
    "public_access_block": "public access block",
    "encryption": "default encryption",
    "policy": "policy",
    "versioning": "versioning",
    "lifecycle_rules": "lifecycle rules",
    "access_logging": "access logging",
    "replication": "replication",
    "tags": "tags",
}


def bucket_arn(partition, name):
    return "arn:%s:s3:::%s" % (partition, name)


def bucket_of_arn(arn):
    """The bucket name of an S3 bucket ARN (None when arn is not one)."""
    parsed = parse_aws_arn(arn or "")
    if not parsed or parsed.get("service") != "s3" or parsed.get("region") or parsed.get("account_id"):
        return None
    return parsed.get("resource") or None


def foreign_owner_message(name, state):
    """What HeadBucket's 403 means for a bucket this module would manage, and what to do."""
    consequence = (
        "refusing to empty or delete it" if state == "absent" else "it cannot be created or configured here"
    )
    return (
        "bucket %s: the name is taken by a bucket this account may not access (HeadBucket answered 403 "
        "Forbidden): another AWS account owns it, as S3 bucket names are global across all accounts, or a "
        "bucket policy denies this principal; %s. Choose other bucket names (see the bucket names setting "
        "of the inventory)" % (name, consequence)
    )


# --- policy -------------------------------------------------------------------------------------


def tls_only_statement(arn):
    """Deny every request to the bucket and its objects that does not use TLS.

    The principal is written {"AWS": "*"} (equivalent to "*" in a resource policy) because the
    emulator's logging-permission check cannot read a bare "*" principal.
    """
    return {
        "Sid": TLS_STATEMENT_SID,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [arn, arn + "/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def desired_policy(arn, policy, require_tls):
    """The whole bucket policy we want, or None when the policy is not managed.

    policy: None, a policy document (dict with Statement) or a list of statements.
    """
    if policy is None and not require_tls:
        return None
    statements = []
    version = "2012-10-17"
    if isinstance(policy, dict):
        version = policy.get("Version", version)
        found = policy.get("Statement", [])
        statements.extend(copy.deepcopy([found] if isinstance(found, dict) else found))
    elif isinstance(policy, list):
        statements.extend(copy.deepcopy(policy))
    if require_tls:
        statements = [s for s in statements if s.get("Sid") != TLS_STATEMENT_SID]
        statements.append(tls_only_statement(arn))
    return {"Version": version, "Statement": statements}


# --- encryption ---------------------------------------------------------------------------------


def desired_encryption(sse_algorithm, kms_key_id, bucket_key_enabled):
    """Canonical encryption setting: {sse_algorithm, kms_master_key_id, bucket_key_enabled}."""
    kms = sse_algorithm.startswith("aws:kms")
    return {
        "sse_algorithm": sse_algorithm,
        "kms_master_key_id": (kms_key_id or None) if kms else None,
        # A bucket key only exists for SSE-KMS; S3 reports false for SSE-S3.
        "bucket_key_enabled": bool(bucket_key_enabled) if kms else False,
    }


def normalize_encryption(config):
    """Canonical form of GetBucketEncryption's ServerSideEncryptionConfiguration (or {} / None)."""
    rules = (config or {}).get("Rules") or []
    if not rules:
        return {}
    rule = rules[0]
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    algorithm = default.get("SSEAlgorithm")
    kms = bool(algorithm) and algorithm.startswith("aws:kms")
    return {
        "sse_algorithm": algorithm,
        "kms_master_key_id": (default.get("KMSMasterKeyID") or None) if kms else None,
        "bucket_key_enabled": bool(rule.get("BucketKeyEnabled")) if kms else False,
    }


def _key_id_part(key):
    """'arn:aws:kms:r:a:key/abc' and 'abc' both give 'abc'; aliases stay as they are."""
    if key and key.startswith("arn:") and ":key/" in key:
        return key.split(":key/", 1)[1]
    return key


def _short_key(key):
    """A key id's first group (enough to tell keys apart in a sentence); aliases stay as they are."""
    key_id = _key_id_part(key) or ""
    return key_id.split("-")[0] if len(key_id) == 36 and key_id.count("-") == 4 else key_id


def encryption_equal(current, desired):
    if not current:
        return False
    if current["sse_algorithm"] != desired["sse_algorithm"]:
        return False
    if current["bucket_key_enabled"] != desired["bucket_key_enabled"]:
        return False
    have, want = current["kms_master_key_id"], desired["kms_master_key_id"]
    return have == want or _key_id_part(have) == _key_id_part(want)


def encryption_request(desired):
    default = {"SSEAlgorithm": desired["sse_algorithm"]}
    if desired["kms_master_key_id"]:
        default["KMSMasterKeyID"] = desired["kms_master_key_id"]
    rule = {"ApplyServerSideEncryptionByDefault": default}
    if desired["sse_algorithm"].startswith("aws:kms"):
        rule["BucketKeyEnabled"] = desired["bucket_key_enabled"]
    return {"Rules": [rule]}


# --- public access block ------------------------------------------------------------------------


def normalize_public_access_block(config):
    """All four flags as booleans; a bucket without a configuration blocks nothing."""
    config = config or {}
    return dict((key, bool(config.get(key))) for key in PUBLIC_ACCESS_BLOCK_KEYS)


def desired_public_access_block(block):
    return dict((key, bool(block)) for key in PUBLIC_ACCESS_BLOCK_KEYS)


# --- ownership ----------------------------------------------------------------------------------


def normalize_ownership(controls):
    rules = (controls or {}).get("Rules") or []
    return rules[0].get("ObjectOwnership") if rules else None


# --- versioning ---------------------------------------------------------------------------------


def normalize_versioning(response):
    """'Enabled', 'Suspended' or 'Disabled' (never enabled)."""
    return (response or {}).get("Status") or "Disabled"


def desired_versioning(enabled, current):
    if enabled:
        return "Enabled"
    # Versioning cannot be switched off again, only suspended.
    return "Disabled" if current == "Disabled" else "Suspended"


# --- lifecycle ----------------------------------------------------------------------------------


def lifecycle_rule_from_option(option):
    """One AWS lifecycle rule from the module's suboption dict."""
    rule = {
        "ID": option["id"],
        "Status": "Enabled" if option.get("enabled", True) else "Disabled",
        "Filter": {"Prefix": option.get("prefix") or ""},
    }
    if option.get("expiration_days"):
        rule["Expiration"] = {"Days": option["expiration_days"]}
    if option.get("noncurrent_version_expiration_days"):
        rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": option["noncurrent_version_expiration_days"]}
    if option.get("abort_incomplete_multipart_upload_days"):
        rule["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": option["abort_incomplete_multipart_upload_days"]
        }
    return rule


def _drop_empty(value):
    if isinstance(value, dict):
        cleaned = dict((k, _drop_empty(v)) for k, v in value.items())
        return dict((k, v) for k, v in cleaned.items() if v not in (None, {}, [], False))
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def normalize_lifecycle_rule(rule):
    """Canonical form of one rule: the legacy top-level Prefix and an empty Filter both become
    Filter.Prefix; empty, null and false members are dropped (S3 adds some on read)."""
    rule = copy.deepcopy(rule)
    prefix = rule.pop("Prefix", None)
    rule_filter = rule.pop("Filter", None)
    if rule_filter is None or rule_filter == {} or list(rule_filter) == ["Prefix"]:
        prefix = (rule_filter or {}).get("Prefix", prefix)
        rule_filter = {"Prefix": prefix or ""}
    rule = _drop_empty(rule)
    rule["Filter"] = rule_filter
    return rule


def normalize_lifecycle_rules(rules):
    return sorted((normalize_lifecycle_rule(r) for r in rules or []), key=lambda r: r.get("ID") or "")


def lifecycle_rules_to_snake(rules):
    result = []
    for rule in rules:
        item = {"id": rule.get("ID"), "status": rule.get("Status"), "prefix": rule.get("Filter", {}).get("Prefix")}
        if "Expiration" in rule:
            item["expiration_days"] = rule["Expiration"].get("Days")
        if "NoncurrentVersionExpiration" in rule:
            item["noncurrent_version_expiration_days"] = rule["NoncurrentVersionExpiration"].get("NoncurrentDays")
        if "AbortIncompleteMultipartUpload" in rule:
            item["abort_incomplete_multipart_upload_days"] = rule["AbortIncompleteMultipartUpload"].get(
                "DaysAfterInitiation"
            )
        result.append(item)
    return result


# --- server access logging ----------------------------------------------------------------------


def normalize_logging(logging_enabled):
    """{target_bucket, target_prefix} or {} when logging is off."""
    if not logging_enabled or not logging_enabled.get("TargetBucket"):
        return {}
    return {
        "target_bucket": logging_enabled["TargetBucket"],
        "target_prefix": logging_enabled.get("TargetPrefix") or "",
    }


def desired_logging(option):
    if not option or not option.get("enabled", True):
        return {}
    return {"target_bucket": option["target_bucket"], "target_prefix": option.get("target_prefix") or ""}


def logging_request(desired):
    if not desired:
        return {}
    return {"LoggingEnabled": {"TargetBucket": desired["target_bucket"], "TargetPrefix": desired["target_prefix"]}}


# --- replication --------------------------------------------------------------------------------


def desired_replication(option):
    """Canonical replication setting from the module's option: {} (none) or one V2 rule.

    The rule replicates only SSE-KMS encrypted objects (every object of a bucket whose default
    encryption is SSE-KMS), re-encrypted with the destination's key, and never delete markers.
    """
    if not option or not option.get("enabled", True):
        return {}
    return {
        "role_arn": option["role_arn"],
        "rule_id": option["rule_id"],
        "priority": option["priority"],
        "prefix": option.get("prefix") or "",
        "destination_bucket_arn": option["destination_bucket_arn"],
        "destination_kms_key_arn": option["destination_kms_key_arn"],
        "sse_kms_objects_only": True,
        "delete_markers": False,
    }


def normalize_replication(config):
    """Canonical form of GetBucketReplication's ReplicationConfiguration: {} or the one rule we manage.

    A configuration with several rules (made elsewhere) keeps every rule, so it never equals ours.
    """
    rules = (config or {}).get("Rules") or []
    if not rules:
        return {}
    views = []
    for rule in rules:
        rule_filter = rule.get("Filter") or {}
        destination = rule.get("Destination") or {}
        criteria = (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}
        views.append({
            "role_arn": config.get("Role"),
            "rule_id": rule.get("ID"),
            "priority": int(rule["Priority"]) if rule.get("Priority") is not None else None,
            "prefix": rule_filter.get("Prefix", rule.get("Prefix")) or "",
            "destination_bucket_arn": destination.get("Bucket"),
            "destination_kms_key_arn": (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID"),
            "sse_kms_objects_only": criteria.get("Status") == "Enabled",
            "delete_markers": (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled",
            "status": rule.get("Status"),
        })
    if len(views) == 1 and views[0]["status"] == "Enabled":
        return dict((k, v) for k, v in views[0].items() if k != "status")
    return {"rules": views}


def replication_request(desired):
    """PutBucketReplication's ReplicationConfiguration for the canonical setting (a V2 rule: Filter,
    Priority and DeleteMarkerReplication are required together)."""
    return {
        "Role": desired["role_arn"],
        "Rules": [
            {
                "ID": desired["rule_id"],
                "Priority": desired["priority"],
                "Status": "Enabled",
                "Filter": {"Prefix": desired["prefix"]},
                "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
                "DeleteMarkerReplication": {"Status": "Disabled"},
                "Destination": {
                    "Bucket": desired["destination_bucket_arn"],
                    "EncryptionConfiguration": {"ReplicaKmsKeyID": desired["destination_kms_key_arn"]},
                },
            }
        ],
    }


# --- reads and writes ---------------------------------------------------------------------------

# Per setting: the S3 read, the error code that means "not configured", and the normalizer of its answer.
READS = {
    "object_ownership": ("get_bucket_ownership_controls", "OwnershipControlsNotFoundError",
                         lambda r: normalize_ownership(r.get("OwnershipControls"))),
    "public_access_block": ("get_public_access_block", "NoSuchPublicAccessBlockConfiguration",
                            lambda r: normalize_public_access_block(r.get("PublicAccessBlockConfiguration"))),
    "encryption": ("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError",
                   lambda r: normalize_encryption(r.get("ServerSideEncryptionConfiguration"))),
    "policy": ("get_bucket_policy", "NoSuchBucketPolicy", lambda r: policies.load_policy(r.get("Policy"))),
    "versioning": ("get_bucket_versioning", (), normalize_versioning),
    "lifecycle_rules": ("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration",
                        lambda r: normalize_lifecycle_rules(r.get("Rules"))),
    "access_logging": ("get_bucket_logging", (), lambda r: normalize_logging(r.get("LoggingEnabled"))),
    "replication": ("get_bucket_replication", "ReplicationConfigurationNotFoundError",
                    lambda r: normalize_replication(r.get("ReplicationConfiguration"))),
    "tags": ("get_bucket_tagging", "NoSuchTagSet", lambda r: boto3_tag_list_to_ansible_dict(r.get("TagSet") or [])),
}


def write_request(setting, value):
    """(S3 method, keyword arguments besides Bucket) that make a setting equal value."""
    if setting == "object_ownership":
        return "put_bucket_ownership_controls", {"OwnershipControls": {"Rules": [{"ObjectOwnership": value}]}}
    if setting == "public_access_block":
        if any(value.values()):
            return "put_public_access_block", {"PublicAccessBlockConfiguration": value}
        return "delete_public_access_block", {}
    if setting == "encryption":
        return "put_bucket_encryption", {"ServerSideEncryptionConfiguration": encryption_request(value)}
    if setting == "policy":
        return "put_bucket_policy", {"Policy": json.dumps(value)}
    if setting == "versioning":
        return "put_bucket_versioning", {"VersioningConfiguration": {"Status": value}}
    if setting == "lifecycle_rules":
        if value:
            return "put_bucket_lifecycle_configuration", {"LifecycleConfiguration": {"Rules": value}}
        return "delete_bucket_lifecycle", {}
    if setting == "access_logging":
        return "put_bucket_logging", {"BucketLoggingStatus": logging_request(value)}
    if setting == "replication":
        if value:
            return "put_bucket_replication", {"ReplicationConfiguration": replication_request(value)}
        return "delete_bucket_replication", {}
    raise ValueError("no write request for setting %s" % setting)


def bucket_view(name, arn, region, settings):
    """The module's `bucket` result: name, ARN, region and the settings in snake_case."""
    bucket = {"name": name, "arn": arn, "region": region}
    for setting, value in settings.items():
        if setting == "public_access_block" and value is not None:
            value = dict((_snake(k), v) for k, v in value.items())
        elif setting == "lifecycle_rules":
            value = lifecycle_rules_to_snake(value)
        bucket[setting] = value
    return bucket


def _snake(key):
    return "".join("_" + c.lower() if c.isupper() else c for c in key).lstrip("_")


# --- change sentences ---------------------------------------------------------------------------


def change_sentence(label, setting, before, after):
    """The sentence of one setting's write: '<label>: <attribute> <before> -> <after>'."""
    if setting != "policy":
        return update_sentence(label, ATTRIBUTES[setting], summary(setting, before), summary(setting, after))
    if before:
        return "%s: policy statements %s" % (label, policies.statement_differences(before, after))
    sids = [s.get("Sid") or "#%d" % i for i, s in enumerate(after["Statement"])]
    return "%s: policy none -> statements %s" % (label, ", ".join(sids))


def _lifecycle_summary(rule):
    parts = []
    if "Expiration" in rule:
        parts.append("%s d" % rule["Expiration"].get("Days"))
    if "NoncurrentVersionExpiration" in rule:
        parts.append("noncurrent %s d" % rule["NoncurrentVersionExpiration"].get("NoncurrentDays"))
    if "AbortIncompleteMultipartUpload" in rule:
        parts.append("uploads %s d" % rule["AbortIncompleteMultipartUpload"].get("DaysAfterInitiation"))
    prefix = (rule.get("Filter") or {}).get("Prefix")
    text = "%s%s: %s" % (rule.get("ID"), " (%s*)" % prefix if prefix else "", ", ".join(parts) or "no action")
    return text if rule.get("Status", "Enabled") == "Enabled" else text + " (disabled)"


def summary(setting, value):
    """How a normalized setting reads in a change sentence (short, deterministic); None is "none"."""
    if value is None:
        return "none"
    if setting == "public_access_block":
        blocked = [k for k in PUBLIC_ACCESS_BLOCK_KEYS if value.get(k)]
        if len(blocked) == len(PUBLIC_ACCESS_BLOCK_KEYS):
            return "all blocked"
        return "blocks %s" % ", ".join(blocked) if blocked else "nothing blocked"
    if setting == "encryption":
        if not value:
            return "none"
        if not value["sse_algorithm"].startswith("aws:kms"):
            return value["sse_algorithm"]
        key = _key_id_part(value["kms_master_key_id"]) or "aws/s3"
        return "%s %s%s" % (value["sse_algorithm"], key, " + bucket key" if value["bucket_key_enabled"] else "")
    if setting == "lifecycle_rules":
        return "; ".join(_lifecycle_summary(rule) for rule in value) if value else "none"
    if setting == "access_logging":
        return "to %s/%s" % (value["target_bucket"], value["target_prefix"]) if value else "off"
    if setting == "replication":
        if not value:
            return "none"
        if "rules" in value:
            return "%d rules" % len(value["rules"])
        # What differs from the rule this module writes is named first (long values are cut at the end).
        deviations = [text for on, text in (
            (value.get("delete_markers"), "delete markers"),
            (not value.get("sse_kms_objects_only", True), "every object"),
            (value.get("prefix"), "prefix %s" % value.get("prefix")),
        ) if on]
        return "%sto %s (key %s)" % (
            "with %s " % ", ".join(deviations) if deviations else "",
            bucket_of_arn(value["destination_bucket_arn"]) or value["destination_bucket_arn"],
            _short_key(value["destination_kms_key_arn"]),
        )
    return value
