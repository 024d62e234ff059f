"""DynamoDB's transitional table and replica states (aws profile): moto's tables are always ACTIVE.

Gap: moto creates, updates and deletes a table at once and reports TableStatus ACTIVE throughout;
with ``emulator.dynamodb_replicas`` a global table's replicas are ACTIVE at once too. On AWS each of
these takes time, and DynamoDB refuses the next change to a table that is not ACTIVE (or whose
replicas are still being created or deleted), so code that does not wait fails there only.

Under the aws profile (the default profile is unchanged; durations are ``profile.duration`` names):

* CreateTable: TableStatus CREATING for ``dynamodb.table.create``, then ACTIVE. Creating it again
  meanwhile answers ``Attempt to change a resource which is still in use: Table is being created:
  <name>`` (an ACTIVE or DELETING table keeps moto's ``Table already exists: <name>``).
* UpdateTable adding a replica (global tables version 2019.11.21): the table is UPDATING and the
  new replica's ReplicaStatus CREATING (its own TableStatus in its region too) for
  ``dynamodb.replica.create``. Removing a replica: the table UPDATING and the replica DELETING for
  ``dynamodb.replica.delete``, after which the replica table and its group entry are gone.
* Any other UpdateTable that changes the table (billing mode, throughput, stream, indexes, table
  class, warm throughput): UPDATING for ``dynamodb.table.update``. SSESpecification and deletion
  protection alone leave it ACTIVE (SSE, PITR and streams are otherwise as moto does them).
* DeleteTable: TableStatus DELETING for ``dynamodb.table.delete`` (DescribeTable answers it, the
  DeleteTable answer shows it), then gone (ResourceNotFoundException); a global table's other
  members show that replica DELETING meanwhile.
* UpdateTable or DeleteTable of a table that is not ACTIVE answers ResourceInUseException with
  AWS's messages: ``Attempt to change a resource which is still in use: Table is being created:
  <name>`` / ``... Table is being updated: <name>`` / ``... Table is being deleted: <name>``
  (DeleteTable of an UPDATING table: ``... Table: <name> is in the process of being updated.``;
  a deletion-protection change: ``Table needs to be in ACTIVE status to modify deletion protection
  setting.``). For a global table, whenever the table or any replica is in transition, AWS
  answers the detail-free ``The resource which you are attempting to change is in use.``

Each transition is recorded on moto's Table as (status, AWS start time, duration name) and
evaluated when the table is next read, so changing a duration applies to transitions under way;
nothing runs in the background. Expired deletions are carried out (through moto's delete, which
``emulator.dynamodb_replicas`` extends to leave the replica group) when the region's backend is
next asked for a table. Registered after ``dynamodb_replicas`` in ``emulator.extensions``.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from emulator import dynamodb_replicas, profile

IN_USE = "Attempt to change a resource which is still in use: "
GLOBAL_IN_USE = "The resource which you are attempting to change is in use."
# UpdateTable parameters whose change makes the table UPDATING (SSE and deletion protection do not).
_UPDATING_KEYS = (
    "AttributeDefinitions",
    "BillingMode",
    "GlobalSecondaryIndexUpdates",
    "OnDemandThroughput",
    "ProvisionedThroughput",
    "StreamSpecification",
    "TableClass",
    "WarmThroughput",
)
_LOCK = threading.RLock()
_INSTALLED = False


def start(table: Any, status: str, duration_name: str) -> None:
    table._tap_transition = (status, profile.aws_seconds(), duration_name)


def status(table: Any) -> str | None:
    """The table's transitional status (CREATING, UPDATING, DELETING), None once ACTIVE."""
    transition = getattr(table, "_tap_transition", None)
    if not transition:
        return None
    name, started, duration_name = transition
    if name == "DELETING" or profile.aws_seconds() < started + profile.duration(duration_name):
        return name  # a DELETING table stays so until the sweep removes it
    table._tap_transition = None
    return None


def _deletion_due(table: Any) -> bool:
    transition = getattr(table, "_tap_transition", None)
    if not transition or transition[0] != "DELETING":
        return False
    return profile.aws_seconds() >= transition[1] + profile.duration(transition[2])


def _members(table: Any) -> list[Any]:
    """The other tables of the table's replica group (those that exist in their region)."""
    group = dynamodb_replicas._group_of(table) or {}
    members = []
    for region in group:
        if region != table.region_name:
            other = dynamodb_replicas._backend(table.account_id, region).tables.get(table.name)
            if other is not None:
                members.append(other)
    return members


def _in_use(table: Any, operation: str, body: dict[str, Any] | None = None) -> Exception | None:
    from moto.dynamodb.exceptions import ResourceInUseException

    own = status(table)
    if dynamodb_replicas._group_of(table):
        if own or any(status(member) for member in _members(table)):
            return ResourceInUseException(GLOBAL_IN_USE)
        return None
    if own is None:
        return None
    if operation == "UpdateTable" and set(body or {}) <= {"TableName", "DeletionProtectionEnabled"}:
        return ResourceInUseException("Table needs to be in ACTIVE status to modify deletion protection setting.")
    if own == "UPDATING" and operation == "DeleteTable":
        return ResourceInUseException(f"{IN_USE}Table: {table.name} is in the process of being updated.")
    verb = {"CREATING": "created", "UPDATING": "updated", "DELETING": "deleted"}[own]
    return ResourceInUseException(f"{IN_USE}Table is being {verb}: {table.name}")


def _install(delete_table: Any) -> None:
    from moto.dynamodb.exceptions import DeletionProtectedException, ResourceInUseException
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    def sweep(backend: Any) -> None:
        """Carry out the deletions whose time has come (DeleteTable, or a removed replica)."""
        with _LOCK:
            for name, table in list(backend.tables.items()):
                if _deletion_due(table):
                    table._tap_transition = None
                    try:
                        delete_table(backend, name)
                    except Exception:  # noqa: BLE001 - AWS finishes a deletion it accepted
                        backend.tables.pop(name, None)

    def sweeping(original: Any) -> Any:
        @functools.wraps(original)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            sweep(self)
            return original(self, *args, **kwargs)

        return method

    DynamoDBBackend.get_table = sweeping(DynamoDBBackend.get_table)
    DynamoDBBackend.list_tables = sweeping(DynamoDBBackend.list_tables)

    original_create_table = DynamoDBBackend.create_table

    @functools.wraps(original_create_table)
    def create_table(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        sweep(self)
        existing = self.tables.get(name)
        if existing is not None and profile.current().aws and status(existing) == "CREATING":
            raise ResourceInUseException(f"{IN_USE}Table is being created: {name}")
        table = original_create_table(self, name, *args, **kwargs)
        if profile.current().aws:
            start(table, "CREATING", "dynamodb.table.create")
        return table

    DynamoDBBackend.create_table = create_table

    @functools.wraps(delete_table)
    def backend_delete_table(self: Any, name: str) -> Any:
        if not profile.current().aws:
            return delete_table(self, name)
        table = self.get_table(name)
        error = _in_use(table, "DeleteTable")
        if error is not None:
            raise error
        if table.deletion_protection_enabled:
            raise DeletionProtectedException(name)
        start(table, "DELETING", "dynamodb.table.delete")
        return table

    DynamoDBBackend.delete_table = backend_delete_table

    original_describe = Table.describe

    @functools.wraps(original_describe)
    def describe(self: Any, base_key: str = "TableDescription") -> dict[str, Any]:
        group = dynamodb_replicas._group_of(self)
        for region in list(group or {}):
            if region != self.region_name:
                sweep(dynamodb_replicas._backend(self.account_id, region))
        result = original_describe(self, base_key)
        description = result[base_key]
        own = status(self)
        if own:
            description["TableStatus"] = own
        for replica in description.get("Replicas") or []:
            other = dynamodb_replicas._backend(self.account_id, replica["RegionName"]).tables.get(self.name)
            replica_status = status(other) if other is not None else None
            if replica_status in ("CREATING", "DELETING"):
                replica["ReplicaStatus"] = replica_status
        return result

    Table.describe = describe

    original_update_table = DynamoHandler.update_table

    @functools.wraps(original_update_table)
    def update_table(self: Any) -> Any:
        if not profile.current().aws:
            return original_update_table(self)
        body = self.body
        table = self.dynamodb_backend.get_table(body["TableName"])
        error = _in_use(table, "UpdateTable", body)
        if error is not None:
            raise error
        replica_updates = body.get("ReplicaUpdates")
        if replica_updates and len(replica_updates) == 1:
            ((action, spec),) = replica_updates[0].items()
            region = (spec or {}).get("RegionName", "")
            if action == "Delete":
                _start_replica_deletion(table, region, self)
                self.body = {k: v for k, v in body.items() if k != "ReplicaUpdates"}
                original_update_table(self)
                self.body = body
            else:
                original_update_table(self)
                if action == "Create":
                    replica = dynamodb_replicas._backend(table.account_id, region).tables[table.name]
                    start(replica, "CREATING", "dynamodb.replica.create")
                    start(table, "UPDATING", "dynamodb.replica.create")
            return DynamoResult(table.describe())
        original_update_table(self)
        if not replica_updates and any(body.get(key) is not None for key in _UPDATING_KEYS):
            start(table, "UPDATING", "dynamodb.table.update")
        return DynamoResult(table.describe())

    def _start_replica_deletion(table: Any, region: str, handler: Any) -> None:
        from moto.dynamodb.exceptions import MockValidationException

        if any(handler.body.get(k) is not None for k in dynamodb_replicas._OTHER_UPDATE_KEYS):
            raise MockValidationException("ReplicaUpdates cannot be combined with other table updates")
        group = dynamodb_replicas._group_of(table)
        if not group or region not in group or region == table.region_name:
            raise MockValidationException(f"Replica of table {table.name} in region {region} does not exist")
        replica = dynamodb_replicas._backend(table.account_id, region).tables.get(table.name)
        if replica is not None and replica.deletion_protection_enabled:
            raise DeletionProtectedException(table.name)
        if replica is not None:
            start(replica, "DELETING", "dynamodb.replica.delete")
        else:
            dynamodb_replicas._leave_group(table.account_id, table.name, region)
        start(table, "UPDATING", "dynamodb.replica.delete")

    DynamoHandler.update_table = update_table


def install() -> None:
    """Patch moto's DynamoDB (after emulator.dynamodb_replicas, whose methods these wrap)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    dynamodb_replicas.install()
    from moto.dynamodb.models import DynamoDBBackend

    _install(DynamoDBBackend.delete_table)
