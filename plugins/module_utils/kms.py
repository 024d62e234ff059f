# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure logic of tap.multiregion.kms_key: alias names, key policies, tags and which key an alias owns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

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


def load_policy(document):
    """A key policy (JSON string or dict) as a dict; None stays None."""
    if document is None or isinstance(document, dict):
        return document
    return json.loads(document)


def _normalize(value):
    """A policy value in a canonical form: dict keys sorted, one-element lists as the element, lists sorted."""
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalize(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def normalize_policy(policy):
    """The key policy as one canonical JSON string (statement order, list order and the shape of
    single values do not matter, as KMS evaluates them the same)."""
    if policy is None:
        return None
    return json.dumps(_normalize(load_policy(policy)), sort_keys=True, separators=(",", ":"))


def policies_equal(current, desired):
    return normalize_policy(current) == normalize_policy(desired)


def tags_from_aws(tag_list):
    """[{TagKey, TagValue}] -> dict."""
    return {t["TagKey"]: t["TagValue"] for t in tag_list or []}


def tags_to_aws(tags):
    """dict -> [{TagKey, TagValue}], sorted by key."""
    return [{"TagKey": k, "TagValue": str(v)} for k, v in sorted((tags or {}).items())]


def desired_tags(tags, alias, alias_tag_key=ALIAS_TAG_KEY):
    """The tags the key must carry: the given ones plus the alias tag."""
    result = {k: str(v) for k, v in (tags or {}).items()}
    if alias_tag_key:
        result[alias_tag_key] = alias
    return result


def tag_changes(current, desired, purge=True):
    """(tags to set, keys to remove); keys with the reserved prefix aws: are never touched."""
    current = {k: v for k, v in (current or {}).items() if not k.lower().startswith("aws:")}
    to_set = {k: v for k, v in desired.items() if current.get(k) != v}
    to_remove = sorted(k for k in current if k not in desired) if purge else []
    return to_set, to_remove


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
