"""Lazily computed states of RDS resources under the aws profile, and lookups the RDS fillers share.

A transition is recorded on the moto object as a Timeline: the phases it goes through, each until
an AWS time (``profile.aws_seconds()``), and the state it ends in (None: the resource is gone).
Nothing runs in the background: the state is derived from the clock whenever moto reads it, and
resources whose deletion has ended are dropped from the backend (``reap``) before the next call
that could see them. Without the aws profile no timeline is ever recorded, so moto's behaviour is
unchanged.
"""

from __future__ import annotations

import dataclasses
import threading

from emulator import profile

ATTRIBUTE = "_tap_timeline"
LOCK = threading.RLock()


@dataclasses.dataclass
class Timeline:
    phases: list[tuple[str, float]]  # (state, until this AWS second)
    final: str | None  # the state after the last phase; None: deleted

    @property
    def end(self) -> float:
        return self.phases[-1][1] if self.phases else 0.0

    def state(self, now: float) -> str | None:
        for state, until in self.phases:
            if now < until:
                return state
        return self.final

    def over(self, now: float) -> bool:
        return now >= self.end


def now() -> float:
    return profile.aws_seconds()


def aws() -> bool:
    return profile.current().aws


def start(resource, phases: list[tuple[str, float]], final: str | None, begin: float | None = None) -> Timeline:
    """Record phases given as (state, AWS seconds it lasts), from begin (default: now)."""
    at = now() if begin is None else begin
    absolute = []
    for state, seconds in phases:
        at += max(float(seconds), 0.0)
        absolute.append((state, at))
    timeline = Timeline(absolute, final)
    resource.__dict__[ATTRIBUTE] = timeline
    return timeline


def timeline_of(resource) -> Timeline | None:
    return resource.__dict__.get(ATTRIBUTE)


def forget(resource) -> None:
    resource.__dict__.pop(ATTRIBUTE, None)


def deleting(resource) -> bool:
    timeline = timeline_of(resource)
    return timeline is not None and timeline.final is None


def reap(backend) -> None:
    """Drop the clusters and instances of a regional backend whose deletion has ended."""
    t = now()
    with LOCK:
        for store in (backend.databases, backend.clusters):
            for key, resource in list(store.items()):
                timeline = timeline_of(resource)
                if timeline is not None and timeline.final is None and timeline.over(t):
                    store.pop(key, None)


def rds_backend(account_id: str, region: str):
    from moto.rds.models import rds_backends

    return rds_backends[account_id][region]


def global_backend(account_id: str):
    """moto keeps every global cluster in the us-east-1 backend."""
    return rds_backend(account_id, "us-east-1")


# Called on a global cluster before its members' roles are read (emulator.aurora_global_operations
# registers the completion of switchovers and failovers here).
SETTLE_HOOKS: list = []


def settle(global_cluster) -> None:
    for hook in SETTLE_HOOKS:
        hook(global_cluster)


def global_cluster_of(cluster):
    """The global cluster the DB cluster is a member of (its roles settled), or None."""
    for global_cluster in global_backend(cluster.account_id).global_clusters.values():
        if any(member is cluster for member in global_cluster.members):
            settle(global_cluster)
            return global_cluster
    return None


def cluster_instances(backend, cluster) -> list:
    """The DB instances of a cluster (moto's DBInstanceClustered), deleting ones included."""
    from moto.rds.models import DBInstanceClustered

    return [
        instance
        for instance in backend.databases.values()
        if isinstance(instance, DBInstanceClustered) and instance.db_cluster_identifier == cluster.db_cluster_identifier
    ]


def find_cluster(account_id: str, region: str, identifier: str):
    """A DB cluster by ARN (any region) or by name (in region); None when unknown."""
    identifier = identifier or ""
    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        region, identifier = parts[3], parts[-1]
    backend = rds_backend(account_id, region)
    reap(backend)
    return backend.clusters.get(identifier)
