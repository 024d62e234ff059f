"""SwitchoverGlobalCluster and FailoverGlobalCluster (both profiles).

Gap: moto 5.2.5 has neither operation (the server answers HTTP 500), nor a global cluster's
``FailoverState``. The project's day-2 playbooks switch an Aurora global database over to another
region, fail it over, and fail it back. Builds on ``emulator.aurora`` (global clusters live in the
us-east-1 backend; members are the regional moto DBCluster objects, their role is ``is_writer``).

Modelled (durations are ``profile.duration``: 0 under the default profile, so everything is done when
the call returns):

* SwitchoverGlobalCluster, and FailoverGlobalCluster without AllowDataLoss (AWS treats it as a
  switchover): FailoverState ``{Status, FromDbClusterArn, ToDbClusterArn, IsDataLossAllowed: false}``,
  Status ``pending`` for the first tenth of ``rds.global.switchover`` then ``switching-over``; then the
  target is the writer (``IsWriter`` in GlobalClusterMembers, ``Readers`` of the writer, the members'
  GlobalWriteForwardingStatus), the old primary a secondary, FailoverState gone. Every other secondary
  follows the new primary.
* FailoverGlobalCluster with AllowDataLoss: the same with ``IsDataLossAllowed: true``, Status ``pending``
  then ``failing-over`` for ``rds.global.failover``. The old primary is kept in the global database as a
  secondary: AWS adds it back into the topology as a secondary once it is reachable again, which is why the
  API reference intends SwitchoverGlobalCluster "to fall back to the original primary after a global
  database failover". Its member entry reports SynchronizationStatus ``pending-resync`` (a value of the
  API's GlobalClusterMemberSynchronizationStatus) for ``rds.global.join`` seconds, then ``connected``.
* SynchronizationStatus is reported for every member under the aws profile, and under the default
  profile once a global cluster has been switched or failed over (so moto's default answer is unchanged).
* Refusals, checked in this order:
  - an unknown global cluster: GlobalClusterNotFoundFault (as emulator.aurora answers it);
  - AllowDataLoss together with Switchover: InvalidParameterCombination (the API reference's constraint
    "Can't be specified together with the Switchover parameter", worded as the emulator's message);
  - a switchover or failover already in progress: InvalidGlobalClusterStateFault;
  - a target that does not exist or is not a member: DBClusterNotFoundFault;
  - a target that is already the writer: InvalidDBClusterStateFault;
  - a switchover whose members are not all ``available``, or a failover whose target is not:
    InvalidDBClusterStateFault;
  - a switchover between clusters of different engine versions (the User Guide: same major, minor and
    patch level): InvalidGlobalClusterStateFault.
  The codes are the faults the API reference lists for these operations. The not-found messages are
  moto's ("DBCluster <id> not found.") and emulator.aurora's; the state faults' messages are the faults'
  documented descriptions, since AWS's own texts for these cases were not found.

Only AWS will show: the clusters' own Status while the operation runs, the global cluster's Status
(``available`` here throughout), cancelling (FailoverState ``cancelling``), the data actually lost, the
snapshot AWS may take of the old primary after a failover, an old primary that stays unreachable (here
it always comes back), DNS of the global writer endpoint following the new primary, and the
patch-level exceptions to the same-version rule.
"""

from __future__ import annotations

import dataclasses

from emulator import profile
from emulator.rds_timeline import LOCK, SETTLE_HOOKS, aws, find_cluster, global_backend, now, settle

OPERATION = "_tap_global_operation"
RESYNC_UNTIL = "_tap_resync_until"
REPORTS_SYNC = "_tap_reports_synchronization"
PENDING_SHARE = 0.1

GLOBAL_STATE_FAULT = "The global cluster is in an invalid state and can't perform the requested operation."
CLUSTER_STATE_FAULT = "The requested operation can't be performed while the cluster is in this state."
DATA_LOSS_AND_SWITCHOVER = "AllowDataLoss can't be specified together with the Switchover parameter."


@dataclasses.dataclass
class Operation:
    source: object  # the primary being demoted
    target: object  # the secondary being promoted
    data_loss: bool
    pending_until: float
    done_at: float

    def state(self) -> dict:
        phase = "pending" if now() < self.pending_until else "failing-over" if self.data_loss else "switching-over"
        return {
            "Status": phase,
            "FromDbClusterArn": self.source.db_cluster_arn,
            "ToDbClusterArn": self.target.db_cluster_arn,
            "IsDataLossAllowed": self.data_loss,
        }


def _complete(global_cluster) -> None:
    """Finish an operation whose time has come: the target writes, everyone else replicates from it."""
    operation = global_cluster.__dict__.get(OPERATION)
    if operation is None or now() < operation.done_at:
        return
    with LOCK:
        if global_cluster.__dict__.get(OPERATION) is not operation:
            return
        for member in global_cluster.members:
            member.is_writer = member is operation.target
        if operation.data_loss:
            operation.source.__dict__[RESYNC_UNTIL] = operation.done_at + profile.duration("rds.global.join")
        else:
            operation.source.__dict__.pop(RESYNC_UNTIL, None)
        del global_cluster.__dict__[OPERATION]


def synchronization_status(member) -> str:
    until = member.__dict__.get(RESYNC_UNTIL)
    return "pending-resync" if until is not None and now() < until else "connected"


def _patch_global_cluster(models) -> None:
    members_property = models.GlobalCluster.global_cluster_members

    def global_cluster_members(self):
        settle(self)
        members = members_property.fget(self)
        if aws() or self.__dict__.get(REPORTS_SYNC):
            by_arn = {member.db_cluster_arn: member for member in self.members}
            for entry in members:
                entry["SynchronizationStatus"] = synchronization_status(by_arn[entry["DBClusterArn"]])
        return members

    def failover_state(self):
        settle(self)
        operation = self.__dict__.get(OPERATION)
        return operation.state() if operation is not None else None

    models.GlobalCluster.global_cluster_members = property(global_cluster_members)
    models.GlobalCluster.failover_state = property(failover_state)
    SETTLE_HOOKS.append(_complete)


def _find_global(account_id: str, identifier: str):
    identifier = (identifier or "").rsplit(":", 1)[-1].lower()
    for key, global_cluster in global_backend(account_id).global_clusters.items():
        if key.lower() == identifier or global_cluster.global_cluster_identifier == identifier:
            return global_cluster
    return None


def _start(exceptions, account_id, region, global_identifier, target_identifier, data_loss):
    global_cluster = _find_global(account_id, global_identifier)
    if global_cluster is None:
        raise exceptions.RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {global_identifier} not found.")
    settle(global_cluster)
    if global_cluster.__dict__.get(OPERATION) is not None:
        raise exceptions.RDSClientError("InvalidGlobalClusterStateFault", GLOBAL_STATE_FAULT)
    target = find_cluster(account_id, region, target_identifier)
    if target is None or not any(member is target for member in global_cluster.members):
        raise exceptions.DBClusterNotFoundError(target_identifier)
    if target.is_writer:
        raise exceptions.InvalidDBClusterStateFault(CLUSTER_STATE_FAULT)
    source = next((member for member in global_cluster.members if member.is_writer), None)
    if source is None:
        raise exceptions.RDSClientError("InvalidGlobalClusterStateFault", GLOBAL_STATE_FAULT)
    must_be_available = [target] if data_loss else list(global_cluster.members)
    if any(cluster.status != "available" for cluster in must_be_available):
        raise exceptions.InvalidDBClusterStateFault(CLUSTER_STATE_FAULT)
    if not data_loss and source.engine_version != target.engine_version:
        raise exceptions.RDSClientError("InvalidGlobalClusterStateFault", GLOBAL_STATE_FAULT)

    seconds = profile.duration("rds.global.failover" if data_loss else "rds.global.switchover")
    began = now()
    global_cluster.__dict__[REPORTS_SYNC] = True
    global_cluster.__dict__[OPERATION] = Operation(
        source=source,
        target=target,
        data_loss=data_loss,
        pending_until=began + PENDING_SHARE * seconds,
        done_at=began + seconds,
    )
    settle(global_cluster)
    return global_cluster


def _patch_responses(responses, exceptions) -> None:
    from moto.core.responses import ActionResult

    def switchover_global_cluster(self):
        global_cluster = _start(
            exceptions,
            self.current_account,
            self.region,
            self.params["GlobalClusterIdentifier"],
            self.params["TargetDbClusterIdentifier"],
            data_loss=False,
        )
        return ActionResult({"GlobalCluster": global_cluster})

    def failover_global_cluster(self):
        data_loss = bool(self.params.get("AllowDataLoss"))
        identifier = self.params["GlobalClusterIdentifier"]
        if _find_global(self.current_account, identifier) is None:
            raise exceptions.RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")
        if data_loss and self.params.get("Switchover"):
            raise exceptions.InvalidParameterCombination(DATA_LOSS_AND_SWITCHOVER)
        global_cluster = _start(
            exceptions,
            self.current_account,
            self.region,
            self.params["GlobalClusterIdentifier"],
            self.params["TargetDbClusterIdentifier"],
            data_loss=data_loss,
        )
        return ActionResult({"GlobalCluster": global_cluster})

    responses.RDSResponse.switchover_global_cluster = switchover_global_cluster
    responses.RDSResponse.failover_global_cluster = failover_global_cluster


def install() -> None:
    from moto.rds import exceptions, models, responses

    _patch_global_cluster(models)
    _patch_responses(responses, exceptions)
