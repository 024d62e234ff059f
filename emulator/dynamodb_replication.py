"""Emulator feature: items written to a DynamoDB global table (version 2019.11.21) reach every replica.

Gap: moto 5.2.5 keeps each region's table apart; ``emulator.dynamodb_replicas`` models the replicas
themselves (their tables, ``Replicas`` in DescribeTable), but an item written in one region stays
there. AWS replicates every write of a global table to all its replicas, asynchronously, usually
within a second ("last writer wins" per item). This extension replicates the writes of
``PutItem``, ``UpdateItem``, ``DeleteItem``, ``BatchWriteItem`` and ``TransactWriteItems``: once the
write has succeeded in its region, the item's current state there (or its absence) is copied to the
same key of every other replica.

Timing: under the default profile the copy is made before the write is answered (a read in another
region right after it finds the item); under the aws profile it is made once
``profile.duration("dynamodb.replication")`` AWS seconds (about a second on AWS) have passed since
the write, so a read in another region right after the write may not find it yet, as on AWS. Copies
that are due are made before the emulator answers the next DynamoDB request (nothing can see a
replica without one), so the delay is read when a replica is next read: a test holds replication
with a huge duration and releases it by setting the duration to 0. The copy takes the item's state
when it is made, so two quick writes of one key converge to the later one.

Copies are written to moto's tables directly (not through the API): they are not calls of a client,
so the call log does not show them and they are not replicated again. Each replica's stream records
the change, as AWS's replicas do.

Patched: ``moto.dynamodb.responses.DynamoHandler`` methods ``put_item``, ``update_item``,
``delete_item``, ``batch_write_item`` and ``transact_write_items`` (replicate), and ``call_action``
(deliver what is due first). Installed by
``emulator.extensions.install()`` after ``emulator.dynamodb_replicas``, whose groups it reads.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from emulator import dynamodb_replicas, profile

REPLICATION = "dynamodb.replication"
_INSTALLED = False
_copy_lock = threading.Lock()
# Writes not yet replicated (aws profile): (AWS time of the write, arguments of _copy_item).
_pending: list[tuple[float, tuple]] = []
_pending_lock = threading.Lock()


def _key_of(table: Any, attributes: dict[str, Any]) -> dict[str, Any]:
    """The key attributes (wire format) of an item or key given in a request."""
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: attributes[name] for name in names if name in attributes}


def _copy_item(account_id: str, source_region: str, name: str, key: dict[str, Any], regions: list[str]) -> None:
    """Make the item of key in every region equal to the source region's (present or absent)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    with _copy_lock:
        source = dynamodb_replicas._backend(account_id, source_region).tables.get(name)
        if source is None or source.hash_key_attr not in key:
            return
        hash_value = DynamoType(key[source.hash_key_attr])
        range_value = DynamoType(key[source.range_key_attr]) if source.range_key_attr in key else None
        item = source.get_item(hash_value, range_value)
        attributes = copy.deepcopy(item.to_json()["Attributes"]) if item is not None else None
        for region in regions:
            replica = dynamodb_replicas._backend(account_id, region).tables.get(name)
            if replica is None:
                continue
            if attributes is None:
                replica.delete_item(hash_value, range_value)
            else:
                replica.put_item(copy.deepcopy(attributes), overwrite=True)


def replicate(table: Any, attributes: dict[str, Any]) -> None:
    """Send the write of the item with these key attributes to the table's other replicas (now or later)."""
    group = dynamodb_replicas._group_of(table)
    if not group:
        return
    regions = sorted(region for region in group if region != table.region_name)
    if not regions:
        return
    args = (table.account_id, table.region_name, table.name, _key_of(table, attributes), regions)
    if profile.duration(REPLICATION) <= 0:
        _copy_item(*args)
        return
    with _pending_lock:
        _pending.append((profile.aws_seconds(), args))


def deliver_due() -> None:
    """Make the copies whose replication delay has passed (in the order of their writes)."""
    if not _pending:
        return
    now, delay = profile.aws_seconds(), profile.duration(REPLICATION)
    with _pending_lock:
        due = [args for written_at, args in _pending if written_at + delay <= now]
        _pending[:] = [entry for entry in _pending if entry[0] + delay > now]
    for args in due:
        _copy_item(*args)


def _written(handler: Any, operation: str) -> list[tuple[str, dict[str, Any]]]:
    """(table name, item or key attributes) of every item a successful write request changed."""
    body = handler.body
    if operation == "put_item":
        return [(body["TableName"], body["Item"])]
    if operation in ("update_item", "delete_item"):
        return [(body["TableName"], body["Key"])]
    if operation == "batch_write_item":
        written = []
        for name, requests in body.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    written.append((name, request["PutRequest"]["Item"]))
                elif "DeleteRequest" in request:
                    written.append((name, request["DeleteRequest"]["Key"]))
        return written
    written = []
    for entry in body.get("TransactItems", []):
        if "Put" in entry:
            written.append((entry["Put"]["TableName"], entry["Put"]["Item"]))
        for kind in ("Update", "Delete"):
            if kind in entry:
                written.append((entry[kind]["TableName"], entry[kind]["Key"]))
    return written


def _replicating(operation: str, original: Any) -> Any:
    def write(self: Any) -> Any:
        result = original(self)
        for name, attributes in _written(self, operation):
            table = self.dynamodb_backend.tables.get(name) or self.dynamodb_backend.get_table(name)
            replicate(table, attributes)
        return result

    write.__name__ = original.__name__
    write.__doc__ = original.__doc__
    return write


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.dynamodb.responses import DynamoHandler

    for operation in ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"):
        setattr(DynamoHandler, operation, _replicating(operation, getattr(DynamoHandler, operation)))
    original_call_action = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        deliver_due()
        return original_call_action(self)

    DynamoHandler.call_action = call_action
