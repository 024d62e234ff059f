# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure logic of tap.multiregion.kms_key: alias names, the alias tag and which key an alias owns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

# Tag every key carries at creation: the alias it was created for. When the alias is missing
# (a run interrupted between CreateKey and CreateAlias), the key is found by this tag instead of
# creating a second one.
ALIAS_TAG_KEY = "tap:kms:alias"
# Preferred key when several carry the alias tag: a usable one first.
STATE_PREFERENCE = {"Enabled": 0, "Disabled": 1, "PendingDeletion": 2}


def canonical_alias(alias):
    """alias/<name> from <name>, alias/<name> or an alias ARN."""
    if ":alias/" in alias:
        alias = alias.split(":", 5)[-1]
    return alias if alias.startswith("alias/") else "alias/" + alias


def desired_tags(tags, alias, alias_tag_key=ALIAS_TAG_KEY):
    """The tags the key must carry: the given ones plus the alias tag."""
    result = {k: str(v) for k, v in (tags or {}).items()}
    if alias_tag_key:
        result[alias_tag_key] = alias
    return result


def pick_key(candidates):
    """The key to adopt among the key metadata of keys tagged with the alias: a usable key first,
    then the oldest (the one the interrupted run created first)."""
    if not candidates:
        return None

    def rank(metadata):
        created = metadata.get("CreationDate")
        return (STATE_PREFERENCE.get(metadata.get("KeyState"), 3), str(created or ""))

    return sorted(candidates, key=rank)[0]


def check_pending_window(days):
    """An error message when the pending window is outside what KMS allows (7-30 days)."""
    if days is None or 7 <= days <= 30:
        return None
    return "pending_window_days must be between 7 and 30 (KMS allows no other waiting period), got %s" % days


def key_label(key):
    """A KMS key as change sentences name it: key/<id> or alias/<name> of an ARN, anything else as given."""
    parsed = parse_aws_arn(key or "")
    return parsed["resource"] if parsed and parsed.get("service") == "kms" else key
