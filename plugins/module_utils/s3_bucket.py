# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure logic of the s3_secure_bucket module: desired settings and their normalized forms.

Every setting is turned into one canonical shape, for what we want and for what S3 returns,
so that comparing the two is a plain equality and a re-run never rewrites an equal setting.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

TLS_STATEMENT_SID = "DenyInsecureTransport"
PUBLIC_ACCESS_BLOCK_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def bucket_arn(partition, name):
    return "arn:%s:s3:::%s" % (partition, name)


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


# --- tags ---------------------------------------------------------------------------------------


def desired_tags(current, tags, purge_tags):
    """The complete tag set the bucket must carry (PutBucketTagging replaces the whole set)."""
    result = {} if purge_tags else dict((k, v) for k, v in current.items() if not k.startswith("aws:"))
    result.update(dict((k, "" if v is None else str(v)) for k, v in tags.items()))
    return result
