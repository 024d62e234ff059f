"""Emulator feature: DynamoDB global tables (version 2019.11.21) on top of moto.

moto 5.x ignores the parts of UpdateTable that a global table needs and never
reports replicas. This extension, installed in the emulator's server process by
`emulator.extensions.install()`, adds them so that `tap.multiregion.dynamodb_global_table`
runs its real-AWS code path unchanged:

* ``UpdateTable`` with ``ReplicaUpdates``:
  - ``Create {RegionName, KMSMasterKeyId?}`` creates the replica table in that region's
    backend with the same key schema, attributes, indexes, billing mode and stream, encrypted
    with the given key (resolved in that region's KMS like AWS does: key id, key ARN, alias
    name or alias ARN; an unknown key is a ValidationException);
  - ``Update {RegionName, KMSMasterKeyId}`` changes a replica's key;
  - ``Delete {RegionName}`` deletes the replica table (refused while that replica has
    deletion protection enabled).
  AWS rules enforced like the real service: exactly one replica change per call, not combined
  with other updates, the stream must already be enabled with ``NEW_AND_OLD_IMAGES``, the
  replica region must differ from the table's and must not already hold a table of that name.
* ``UpdateTable`` with ``SSESpecification`` (moto ignores it): switches the table's key.
* ``DescribeTable`` (and every ``TableDescription``) of any member of the group reports
  ``Replicas`` (the other regions, ``ReplicaStatus: ACTIVE``, ``KMSMasterKeyId`` where the
  replica uses a customer managed key) and ``GlobalTableVersion: 2019.11.21``.
* ``DeleteTable`` of a member removes it from its group (AWS deletes that replica).

Every change completes at once (statuses are always ACTIVE), so waiting code finishes on its
first poll. Membership is kept on each member region's moto backend, so the emulator's
reset (``/moto-api/reset``) drops it together with the tables.
"""

from __future__ import annotations

import copy
from typing import Any

GLOBAL_TABLE_VERSION = "2019.11.21"
_OTHER_UPDATE_KEYS = (
    "AttributeDefinitions",
    "BillingMode",
    "DeletionProtectionEnabled",
    "GlobalSecondaryIndexUpdates",
    "ProvisionedThroughput",
    "SSESpecification",
    "StreamSpecification",
    "TableClass",
    "WarmThroughput",
)
_installed = False


def _backend(account_id: str, region: str):
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[account_id][region]


def _groups(backend) -> dict[str, dict[str, dict[str, Any]]]:
    """table name -> {region: replica description}, stored on the region's backend."""
    groups = getattr(backend, "_tap_replica_groups", None)
    if groups is None:
        groups = {}
        backend._tap_replica_groups = groups
    return groups


def _group_of(table) -> dict[str, dict[str, Any]] | None:
    group = _groups(_backend(table.account_id, table.region_name)).get(table.name)
    return group if group and table.region_name in group else None


def _resolve_kms_key(account_id: str, region: str, key_id: str) -> str:
    from moto.dynamodb.exceptions import MockValidationException
    from moto.kms.models import kms_backends

    try:
        return kms_backends[account_id][region].describe_key(key_id).arn
    except Exception:  # noqa: BLE001 - any lookup failure is "key not usable"
        raise MockValidationException(f"KMS key {key_id} is not found or not usable in region {region}") from None


def _sse_key(table) -> str | None:
    spec = table.sse_specification or {}
    return spec.get("KMSMasterKeyId") if spec.get("Enabled") else None


def _entry(region: str, kms_key_arn: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"RegionName": region, "ReplicaStatus": "ACTIVE"}
    if kms_key_arn:
        entry["KMSMasterKeyId"] = kms_key_arn
    return entry


def _share_group(account_id: str, name: str, group: dict[str, dict[str, Any]]) -> None:
    for region in group:
        _groups(_backend(account_id, region))[name] = group


def _create_replica(source, region: str, kms_key: str | None) -> None:
    from moto.dynamodb.exceptions import MockValidationException

    account_id = source.account_id
    if region == source.region_name:
        raise MockValidationException(f"Cannot add replica in the table's own region {region}")
    group = _group_of(source) or {source.region_name: _entry(source.region_name, _sse_key(source))}
    if region in group:
        raise MockValidationException(
            f"Failed to create a new replica of table with name: '{source.name}' because a replica already "
            f"exists in region {region}"
        )
    stream = source.stream_specification or {}
    if not (stream.get("StreamEnabled") and stream.get("StreamViewType") == "NEW_AND_OLD_IMAGES"):
        raise MockValidationException(
            "Table must have DynamoDB Streams enabled with StreamViewType set to NEW_AND_OLD_IMAGES"
        )
    target = _backend(account_id, region)
    if source.name in target.tables:
        raise MockValidationException(
            f"Failed to create a new replica of table with name: '{source.name}' because one or more replicas "
            f"already existed as tables (region {region})"
        )
    kms_arn = _resolve_kms_key(account_id, region, kms_key) if kms_key else None
    sse = None
    if _sse_key(source) or kms_arn:
        sse = {"Enabled": True, "SSEType": "KMS"}
        if kms_arn:
            sse["KMSMasterKeyId"] = kms_arn
    throughput = None
    if source.billing_mode != "PAY_PER_REQUEST":
        throughput = {k: source.throughput[k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")}

    def index_specs(indexes):
        specs = []
        for index in indexes:
            described = index.describe()
            specs.append({k: copy.deepcopy(described[k]) for k in ("IndexName", "KeySchema", "Projection")})
        return specs

    target.create_table(
        source.name,
        schema=copy.deepcopy(source.schema),
        throughput=throughput,
        attr=copy.deepcopy(source.attr),
        global_indexes=index_specs(source.global_indexes),
        indexes=index_specs(source.indexes),
        streams={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        billing_mode=source.billing_mode,
        sse_specification=sse,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    group[region] = _entry(region, kms_arn)
    _share_group(account_id, source.name, group)


def _update_replica(source, region: str, kms_key: str | None) -> None:
    from moto.dynamodb.exceptions import MockValidationException

    group = _group_of(source)
    if not group or region not in group or region == source.region_name:
        raise MockValidationException(f"Replica of table {source.name} in region {region} does not exist")
    replica = _backend(source.account_id, region).tables[source.name]
    if kms_key:
        arn = _resolve_kms_key(source.account_id, region, kms_key)
        replica.sse_specification = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": arn}
        group[region]["KMSMasterKeyId"] = arn


def _delete_replica(source, region: str) -> None:
    from moto.dynamodb.exceptions import DeletionProtectedException, MockValidationException

    group = _group_of(source)
    if not group or region not in group or region == source.region_name:
        raise MockValidationException(f"Replica of table {source.name} in region {region} does not exist")
    target = _backend(source.account_id, region)
    replica = target.tables.get(source.name)
    if replica is not None and replica.deletion_protection_enabled:
        raise DeletionProtectedException(source.name)
    target.tables.pop(source.name, None)
    _leave_group(source.account_id, source.name, region)


def _leave_group(account_id: str, name: str, region: str) -> None:
    groups = _groups(_backend(account_id, region))
    group = groups.pop(name, None)
    if not group:
        return
    group.pop(region, None)
    if len(group) <= 1:  # a lone table is no longer a global table
        for other in list(group):
            _groups(_backend(account_id, other)).pop(name, None)


def _set_table_sse(table, spec: dict[str, Any]) -> None:
    if spec.get("Enabled") is False:
        table.sse_specification = None
        key_arn = None
    else:
        key = spec.get("KMSMasterKeyId")
        key_arn = _resolve_kms_key(table.account_id, table.region_name, key) if key else None
        table.sse_specification = {"Enabled": True, "SSEType": "KMS"}
        if key_arn:
            table.sse_specification["KMSMasterKeyId"] = key_arn
        else:  # AWS managed key alias/aws/dynamodb
            table.sse_specification["KMSMasterKeyId"] = table._get_default_encryption_key(
                table.account_id, table.region_name
            )
    group = _group_of(table)
    if group:
        group[table.region_name] = _entry(table.region_name, key_arn)


def install() -> None:
    """Patch moto's DynamoDB handler and models in this (the server's) process."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    original_update_table = DynamoHandler.update_table
    original_describe = Table.describe
    original_delete_table = DynamoDBBackend.delete_table

    def update_table(self):
        body = self.body
        replica_updates = body.get("ReplicaUpdates")
        if replica_updates is not None:
            if len(replica_updates) != 1:
                raise MockValidationException("Only one replica update (Create, Update or Delete) per UpdateTable call")
            if any(body.get(k) is not None for k in _OTHER_UPDATE_KEYS):
                raise MockValidationException("ReplicaUpdates cannot be combined with other table updates")
            table = self.dynamodb_backend.get_table(body["TableName"])
            ((action, spec),) = replica_updates[0].items()
            region = spec.get("RegionName", "")
            if action == "Create":
                _create_replica(table, region, spec.get("KMSMasterKeyId"))
            elif action == "Update":
                _update_replica(table, region, spec.get("KMSMasterKeyId"))
            elif action == "Delete":
                _delete_replica(table, region)
            else:
                raise MockValidationException(f"Unknown replica update {action}")
        elif body.get("SSESpecification") is not None:
            table = self.dynamodb_backend.get_table(body["TableName"])
            _set_table_sse(table, body["SSESpecification"])
        return original_update_table(self)

    def describe(self, base_key: str = "TableDescription"):
        result = original_describe(self, base_key)
        group = _group_of(self)
        if group:
            result[base_key]["Replicas"] = [
                copy.deepcopy(entry) for region, entry in sorted(group.items()) if region != self.region_name
            ]
            result[base_key]["GlobalTableVersion"] = GLOBAL_TABLE_VERSION
        return result

    def delete_table(self, name: str):
        table = original_delete_table(self, name)
        _leave_group(self.account_id, table.name, self.region_name)
        return table

    DynamoHandler.update_table = update_table
    Table.describe = describe
    DynamoDBBackend.delete_table = delete_table
    _installed = True
