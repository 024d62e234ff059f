# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure logic of tap.multiregion.deploy_lock (no AWS calls, unit-testable).

A lock is one DynamoDB item per environment in a small table of the primary region::

    {"lock_id": {"S": "prod"}, "holder": {"S": "alice@ws1"}, "run_id": {"S": "k3x9..."},
     "acquired_at": {"N": "1767225600"}, "expires_at": {"N": "1767236400"},
     "acquired_at_utc": {"S": "2026-01-01T00:00:00Z"}, "expires_at_utc": {"S": "2026-01-01T03:00:00Z"}}

The numbers (epoch seconds) are what conditions compare; the ISO strings are for people reading
the table in the console. `decide_acquire` and `decide_release` say what a run may do with the
lock it found; the module then makes the one conditional write that does it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

UNLOCK_HINT = "if that run is dead, run playbooks/unlock.yml -e confirm_unlock={lock_id}"


def iso_utc(epoch):
    """Epoch seconds -> '2026-01-01T00:00:00Z'."""
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def lock_item(lock_id, holder, run_id, now, ttl):
    """The DynamoDB item (typed attribute values) of a lock taken at `now` for `ttl` seconds."""
    now = int(now)
    expires = now + int(ttl)
    return {
        "lock_id": {"S": lock_id},
        "holder": {"S": holder},
        "run_id": {"S": run_id},
        "acquired_at": {"N": str(now)},
        "expires_at": {"N": str(expires)},
        "acquired_at_utc": {"S": iso_utc(now)},
        "expires_at_utc": {"S": iso_utc(expires)},
    }


def lock_from_item(item, now):
    """A DynamoDB item -> the lock as the module returns it (None for no item)."""
    if not item:
        return None
    acquired = int(float(item.get("acquired_at", {}).get("N", "0")))
    expires = int(float(item.get("expires_at", {}).get("N", "0")))
    return {
        "lock_id": item.get("lock_id", {}).get("S"),
        "holder": item.get("holder", {}).get("S", "(unknown holder)"),
        "run_id": item.get("run_id", {}).get("S"),
        "acquired_at": iso_utc(acquired),
        "expires_at": iso_utc(expires),
        "expired": is_expired(expires, now),
        "expires_in_seconds": max(0, expires - int(now)),
    }


def is_expired(expires_at, now):
    return int(now) >= int(expires_at)


def _duration(seconds):
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return "%dh%02dm" % (hours, minutes)
    if minutes:
        return "%dm" % minutes
    return "%ds" % seconds


def describe_holder(lock):
    """'alice@ws1 (run k3x9) since 2026-01-01T00:00:00Z'"""
    return "%s (run %s) since %s" % (lock["holder"], lock["run_id"], lock["acquired_at"])


def locked_message(lock_id, lock):
    """Why a run may not proceed: who holds the lock, since and until when, and what to do."""
    return "environment %s is locked by %s; expires %s (in %s); %s" % (
        lock_id,
        describe_holder(lock),
        lock["expires_at"],
        _duration(lock["expires_in_seconds"]),
        UNLOCK_HINT.format(lock_id=lock_id),
    )


def takeover_warning(lock_id, lock):
    return "environment %s: took over the expired deploy lock of %s (expired %s); that run may have died" % (
        lock_id,
        describe_holder(lock),
        lock["expires_at"],
    )


def not_ours_warning(lock_id, lock, run_id):
    return (
        "environment %s: the deploy lock is held by %s, not by this run (%s); left in place. "
        "It was taken over after this run's lock expired or was removed with playbooks/unlock.yml"
        % (lock_id, describe_holder(lock), run_id)
    )


def decide_acquire(current, run_id):
    """What acquiring does given the current lock (as `lock_from_item` returns it).

    Returns one of: 'create' (free), 'held' (already ours and valid: nothing to do),
    'takeover' (expired: ours or someone else's), 'refuse' (someone else holds a valid lock).
    """
    if current is None:
        return "create"
    if current["expired"]:
        return "takeover"
    if current["run_id"] == run_id:
        return "held"
    return "refuse"


def decide_release(current, run_id):
    """'absent' (nothing to release), 'release' (ours), 'foreign' (someone else's: never touched)."""
    if current is None:
        return "absent"
    if current["run_id"] == run_id:
        return "release"
    return "foreign"


def unchanged_condition(expected):
    """Condition of a conditional write that succeeds only if the lock item is still `expected` (the
    item read before), compared on run_id and expires_at (an item written by hand may lack either)."""
    clauses, names, values = [], {}, {}
    for placeholder, attribute in (("r", "run_id"), ("e", "expires_at")):
        names["#" + placeholder] = attribute
        if attribute in expected:
            clauses.append("#%s = :%s" % (placeholder, placeholder))
            values[":" + placeholder] = expected[attribute]
        else:
            clauses.append("attribute_not_exists(#%s)" % placeholder)
    condition = dict(ConditionExpression=" AND ".join(clauses), ExpressionAttributeNames=names)
    if values:
        condition["ExpressionAttributeValues"] = values
    return condition
