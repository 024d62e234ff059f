"""The critical path of a first converge or a teardown: the longest chain of AWS waits no design can avoid.

Pure (unit-tested in tests/unit/test_bench_parsing.py). The durations are the AWS seconds the
emulator's aws profile gives each transition (``emulator.profile.DEFAULT_DURATIONS`` merged with the
run's ``durations`` setting), so the path is computed from the very numbers the emulator used.

A chain is a sequence of transitions that must follow each other, whatever the playbooks do;
independent chains (regions, services) can run at the same time, so the path is the longest chain.

First converge:

* Aurora, per region: the cluster (``rds.cluster.create``) and its instances (``rds.instance.create``)
  are created at the same time: the emulator accepts CreateDBInstance while the cluster is
  ``creating`` and starts the instance's clock at once (emulator/rds_states.py), so the step lasts the
  longer of the two. (Whether AWS makes an instance wait for its cluster, the sum of the two, is not
  settled here; the path follows the emulator, whose clock the run is measured on.) With a global
  database (prod) a secondary region's cluster is created into the global database once the primary's
  cluster and instances are available: the primary's step, then the secondary's cluster joining
  (``rds.global.join``) with its instances created at the same time. Secondaries join at the same time.
* DynamoDB: the table (``dynamodb.table.create``), then one replica per other region, one after the
  other (``dynamodb.replica.create``: UpdateTable takes one replica change at a time).
* Lambda, per region: the execution role propagates (``iam.role.propagation``), then the function
  in the VPC leaves Pending (``lambda.function.create``).

Teardown:

* Aurora, per region: instances deleted at the same time (``rds.instance.delete``), then the cluster
  (``rds.cluster.delete``); with a global database every member is first detached
  (``rds.global.detach``, at the same time; the primary's last instance cannot go before).
* DynamoDB: one replica after the other (``dynamodb.replica.delete``), then the table
  (``dynamodb.table.delete``).
* Lambda, per region: the network interfaces Lambda keeps after DeleteFunction (``lambda.eni.linger``)
  must be gone before the subnets and the app security group can be deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

CONVERGE = "converge"
TEARDOWN = "teardown"


def _chain(name: str, steps: list[tuple[str | tuple[str, ...], str]], durations: Mapping[str, float]) -> dict:
    """steps: (duration name, or names of transitions that run at the same time, what) -> {name, seconds,
    steps: [{step, what, seconds}]}; a step of transitions at the same time lasts the longest of them."""
    rows = []
    for step, what in steps:
        names = (step,) if isinstance(step, str) else step
        rows.append({"step": " | ".join(names), "what": what,
                     "seconds": max(float(durations.get(n, 0.0)) for n in names)})
    return {"name": name, "seconds": sum(r["seconds"] for r in rows), "steps": rows}


def converge_chains(durations: Mapping[str, float], regions: Sequence[str], primary: str,
                    global_database: bool) -> list[dict]:
    def created(region):
        return (("rds.cluster.create", "rds.instance.create"), f"cluster and instances {region}")

    chains = []
    for region in regions:
        if global_database and region != primary:
            steps = [created(primary), (("rds.global.join", "rds.instance.create"),
                                        f"cluster {region} joins the global database, with its instances")]
        else:
            steps = [created(region)]
        chains.append(_chain(f"Aurora {region}", steps, durations))
    table = [("dynamodb.table.create", f"table in {primary}")]
    table += [("dynamodb.replica.create", f"replica {r}") for r in regions if r != primary]
    chains.append(_chain("DynamoDB global table", table, durations))
    for region in regions:
        chains.append(_chain(f"Lambda {region}", [("iam.role.propagation", f"execution role {region}"),
                                                  ("lambda.function.create", f"function {region} in the VPC")],
                             durations))
    return chains


def teardown_chains(durations: Mapping[str, float], regions: Sequence[str], primary: str,
                    global_database: bool) -> list[dict]:
    chains = []
    for region in regions:
        steps = [("rds.global.detach", f"cluster {region} leaves the global database")] if global_database else []
        steps += [("rds.instance.delete", f"instances {region}"), ("rds.cluster.delete", f"cluster {region}")]
        chains.append(_chain(f"Aurora {region}", steps, durations))
    table = [("dynamodb.replica.delete", f"replica {r}") for r in regions if r != primary]
    table.append(("dynamodb.table.delete", f"table in {primary}"))
    chains.append(_chain("DynamoDB global table", table, durations))
    for region in regions:
        chains.append(_chain(f"Lambda {region}", [("lambda.eni.linger", f"network interfaces of the function in "
                                                                        f"{region}, before subnets and groups")],
                             durations))
    return chains


def critical_path(durations: Mapping[str, float], regions: Sequence[str], primary: str | None = None,
                  global_database: bool = False, kind: str = CONVERGE) -> dict:
    """{seconds, longest, chains} of a first converge (kind converge) or a teardown of the regions.

    primary defaults to the first region; global_database: prod's Aurora global database.
    """
    if not regions:
        return {"seconds": 0.0, "longest": None, "chains": []}
    primary = primary or regions[0]
    build = {CONVERGE: converge_chains, TEARDOWN: teardown_chains}[kind]
    chains = sorted(build(durations, regions, primary, global_database), key=lambda c: -c["seconds"])
    return {"seconds": chains[0]["seconds"], "longest": chains[0]["name"], "chains": chains}
