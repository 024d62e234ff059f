"""The benchmark run: site.yml (dev) against private emulators for 1, 3 and 6 regions.

For each repetition and region count: a fresh emulator, the floor (one ping task), a first
converge, a no-op converge and a --check --diff run, each recorded with moto's request recorder
and the bench_trace callback; then the managed resources are counted from the emulator.
Pure parsing and the report live in bench/analysis.py.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import yaml

from bench import analysis

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
CALLBACK_DIR = BENCH_DIR / "callback_plugins"
BIN = Path(sys.executable).parent

# The bench-only 6-region inventory; 1 region = the first, 3 = the first three (inventories/local).
REGIONS = {
    "us-east-1": "10.0.0.0/16",
    "us-east-2": "10.1.0.0/16",
    "eu-west-1": "10.2.0.0/16",
    "us-west-2": "10.3.0.0/16",
    "eu-central-1": "10.4.0.0/16",
    "ap-southeast-2": "10.5.0.0/16",
}
ENVIRONMENT = "dev"

# Never reach real AWS, whatever the caller's environment holds.
SAFE_ENV = {
    "AWS_ACCESS_KEY_ID": "tap-emulator",
    "AWS_SECRET_ACCESS_KEY": "tap-emulator-key",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def in_process_actions(root: Path = REPO_ROOT) -> frozenset[str]:
    """Our modules whose action plugin runs them in the worker process (plugin_utils/inprocess.py)."""
    names = set()
    for path in (root / "plugins" / "action").glob("*.py"):
        with contextlib.suppress(OSError):
            if "InProcessModuleAction" in path.read_text():
                names.add(f"tap.multiregion.{path.stem}")
    return frozenset(names)


IN_PROCESS_ACTIONS = in_process_actions()

FLOOR_PLAYBOOK = [
    {
        "name": "Floor: one trivial module task on every host",
        "hosts": "all",
        "gather_facts": False,
        "tasks": [{"name": "Ping", "ansible.builtin.ping": None}],
    }
]
TAG_POLICY_ARGS = {"tags": {"r": {"Environment": "e", "Region": "r", "CostCenter": "c"}}}
# Cost of one task: five identical tasks on every region, per kind; "empty" is the same play without tasks.
PER_TASK_COUNT = 5
PER_TASK_KINDS = {
    "empty": None,
    "ping": {"ansible.builtin.ping": None},
    # our own module through its in-process action plugin (no AWS call, no new interpreter)
    "in_process": {"tap.multiregion.tag_policy": TAG_POLICY_ARGS},
    # an amazon.aws module: new interpreter, AnsiballZ, boto3 import, STS + IAM call
    "forked_aws": {"amazon.aws.aws_caller_info": None},
}


def per_task_playbook(kind: str) -> list[dict]:
    task = PER_TASK_KINDS[kind]
    return [
        {
            "name": f"Per-task cost: {kind}",
            "hosts": "regions",
            "gather_facts": False,
            "module_defaults": {"group/tap.multiregion.aws": "{{ tap_aws_connection }}"},
            "tasks": [] if task is None else [{"name": f"{kind} {i}", **task} for i in range(PER_TASK_COUNT)],
        }
    ]


# ---------------------------------------------------------------------------------------------
# Machine, inventories, emulator
# ---------------------------------------------------------------------------------------------


def machine_info() -> dict:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    try:
        from ansible.release import __version__ as ansible_core
    except ImportError:  # pragma: no cover - the venv has ansible-core
        ansible_core = "?"
    git = ["git", "-C", str(REPO_ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                           check=False)
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "host": platform.node(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "ansible_core": ansible_core,
        "commit": commit.stdout.strip() or "?",
        "dirty": bool(dirty.stdout.strip()),
        "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


class LoadSampler(threading.Thread):
    """Samples the 1-minute load average every few seconds: the machine may be shared."""

    def __init__(self, every: float = 5.0):
        super().__init__(daemon=True)
        self.every, self.samples, self._stop_event = every, [], threading.Event()

    def run(self):
        while not self._stop_event.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> dict:
        self._stop_event.set()
        samples = self.samples or [os.getloadavg()[0]]
        return {"mean": round(sum(samples) / len(samples), 2), "max": round(max(samples), 2), "n": len(samples)}


def write_inventory(directory: Path, regions: dict[str, str]) -> Path:
    """An inventory like inventories/local (tests/integration/helpers.make_inventory does the same)."""
    directory.mkdir(parents=True, exist_ok=True)
    hosts = {
        "all": {
            "children": {
                ENVIRONMENT: {
                    "children": {
                        "regions": {"hosts": {r: {"vpc_cidr": c} for r, c in regions.items()}},
                        "controller": {"hosts": {"localhost": None}},
                    }
                },
                "primary": {"hosts": {next(iter(regions)): None}},
                "emulator": {"children": {ENVIRONMENT: None}},
            }
        }
    }
    (directory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    link = directory / "group_vars"
    if not link.exists():
        link.symlink_to(REPO_ROOT / "group_vars")
    return directory


@contextlib.contextmanager
def private_emulator(state_dir: Path):
    """A fresh emulator whose request recorder writes to state_dir/recording.jsonl; yields (url, pid)."""
    sys.path.insert(0, str(REPO_ROOT))
    from emulator import control

    state_dir.mkdir(parents=True, exist_ok=True)
    # moto's Recorder reads its file path from the environment when the server imports it; the
    # server process inherits ours (control.start passes no env). Recording stays off until
    # /moto-api/recorder/start-recording, so MOTO_ENABLE_RECORDING is not needed.
    saved = os.environ.get("MOTO_RECORDER_FILEPATH")
    os.environ["MOTO_RECORDER_FILEPATH"] = str(state_dir / "recording.jsonl")
    try:
        with control.running(state_dir) as url:
            pid = int((state_dir / "pid").read_text())
            yield url, pid
    finally:
        if saved is None:
            os.environ.pop("MOTO_RECORDER_FILEPATH", None)
        else:
            os.environ["MOTO_RECORDER_FILEPATH"] = saved


def recorder(url: str, action: str) -> str:
    """POST /moto-api/recorder/<action> (reset-recording, start-recording, stop-recording, download-recording)."""
    method = "GET" if action == "download-recording" else "POST"
    req = urllib.request.Request(f"{url}/moto-api/recorder/{action}", method=method)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.read().decode("utf-8", "replace")


def process_cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# ---------------------------------------------------------------------------------------------
# Playbook runs
# ---------------------------------------------------------------------------------------------


class Runner:
    def __init__(self, workdir: Path, timeout: int, verbose: bool = True):
        self.workdir, self.timeout, self.verbose = workdir, timeout, verbose

    def run(self, name: str, playbook: str | Path, inventory: Path, url: str | None = None, pid: int | None = None,
            args: tuple[str, ...] = (), env: dict | None = None, callbacks: tuple[str, ...] = ()) -> dict:
        trace = self.workdir / f"{name}.trace.jsonl"
        log = self.workdir / f"{name}.log"
        environment = dict(os.environ)
        environment.update(SAFE_ENV)
        environment.pop("AWS_PROFILE", None)
        environment.update(
            ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR),
            ANSIBLE_CALLBACKS_ENABLED=",".join(("tap.multiregion.summary", "bench_trace", *callbacks)),
            BENCH_TRACE_FILE=str(trace),
            TAP_OUTPUTS_DIR=str(self.workdir / "outputs"),
            PATH=f"{BIN}:{environment.get('PATH', '')}",
        )
        if url:
            environment["TAP_EMULATOR_URL"] = url
        environment.update(env or {})
        cmd = [str(BIN / "ansible-playbook"), str(playbook), "-i", str(inventory), *args]
        if self.verbose:
            print(f"[bench] {name}: {' '.join(cmd[1:])}", flush=True)
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        emulator_before = process_cpu_seconds(pid)
        started = time.perf_counter()
        controller_cpu = None
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=environment, stdout=out, stderr=err, text=True)
            deadline = started + self.timeout
            # The main ansible-playbook process's own CPU (templating, strategy, callbacks), sampled
            # until it exits; the rest of the run's CPU is its workers and module processes.
            while proc.poll() is None and time.perf_counter() < deadline:
                controller_cpu = process_cpu_seconds(proc.pid) or controller_cpu
                time.sleep(0.1)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
                rc, timeout_note = -1, f"\ntimed out after {self.timeout}s"
            else:
                rc, timeout_note = proc.returncode, ""
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read() + timeout_note
        seconds = time.perf_counter() - started
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        emulator_after = process_cpu_seconds(pid)
        log.write_text(stdout + "\n--- stderr ---\n" + stderr)
        results, stats = analysis.parse_trace(trace.read_text() if trace.exists() else "")
        cpu = (children_after.ru_utime - children_before.ru_utime
               + children_after.ru_stime - children_before.ru_stime)
        run = {
            "name": name,
            "seconds": round(seconds, 2),
            "rc": rc,
            "ansible_cpu_s": round(cpu, 1),
            "controller_cpu_s": None if controller_cpu is None else round(controller_cpu, 1),
            "emulator_cpu_s": (round(emulator_after - emulator_before, 1)
                               if emulator_before is not None and emulator_after is not None else None),
            "results": results,
            "stats": stats,
            "stdout": stdout,
            "log": str(log),
        }
        if self.verbose:
            print(f"[bench] {name}: rc={rc} {seconds:.1f}s (ansible cpu {run['ansible_cpu_s']}s, of which "
                  f"ansible-playbook process {run['controller_cpu_s']}s; emulator cpu "
                  f"{run['emulator_cpu_s']}s) changed={analysis.changed_total(stats)}", flush=True)
        return run


def recorded(runner: Runner, url: str, name: str, **kwargs) -> tuple[dict, list[dict]]:
    """A playbook run with moto's recorder on; returns (run, AWS calls)."""
    recorder(url, "reset-recording")
    recorder(url, "start-recording")
    try:
        run = runner.run(name, url=url, **kwargs)
    finally:
        recorder(url, "stop-recording")
    calls = analysis.parse_recording(recorder(url, "download-recording"))
    return run, calls


# ---------------------------------------------------------------------------------------------
# Managed resources, counted from the emulator
# ---------------------------------------------------------------------------------------------


def count_resources(url: str, regions: list[str]) -> dict[str, dict[str, int | None]]:
    """{region: {resource type: count, total}} of what the stack manages.

    Everything in the private emulator belongs to the stack; IAM roles (global) count for the region
    their name carries, S3 buckets for their location. A type the emulator cannot list is None.
    """
    import boto3

    def client(service, region):
        return boto3.client(service, region_name=region, endpoint_url=url,
                            aws_access_key_id=SAFE_ENV["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=SAFE_ENV["AWS_SECRET_ACCESS_KEY"])

    iam_roles: list[str] = []
    with contextlib.suppress(Exception):
        for page in client("iam", "us-east-1").get_paginator("list_roles").paginate():
            iam_roles += [r["RoleName"] for r in page["Roles"]]
    buckets: dict[str, str] = {}
    with contextlib.suppress(Exception):
        s3 = client("s3", "us-east-1")
        for b in s3.list_buckets()["Buckets"]:
            buckets[b["Name"]] = s3.get_bucket_location(Bucket=b["Name"]).get("LocationConstraint") or "us-east-1"
    return {region: _count_region(client, region, iam_roles, buckets) for region in regions}


def _count_region(client, region: str, iam_roles: list[str], buckets: dict[str, str]) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}

    def count(kind, fn, *args):
        try:
            counts[kind] = int(fn(*args))
        except Exception:  # noqa: BLE001 - a type moto cannot list is reported as n/a, not fatal
            counts[kind] = None

    ec2 = client("ec2", region)
    vpc_ids = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]

    def in_vpcs(describe, key, filter_name="vpc-id", param="Filters"):
        if not vpc_ids:
            return 0
        items = describe(**{param: [{"Name": filter_name, "Values": vpc_ids}]})[key]
        return len([i for i in items if i.get("State") not in ("deleted", "deleting")])

    counts["vpc"] = len(vpc_ids)
    count("subnet", in_vpcs, ec2.describe_subnets, "Subnets")
    count("route_table", in_vpcs, ec2.describe_route_tables, "RouteTables")
    count("network_acl", in_vpcs, ec2.describe_network_acls, "NetworkAcls")
    count("security_group", in_vpcs, ec2.describe_security_groups, "SecurityGroups")
    count("vpc_endpoint", in_vpcs, ec2.describe_vpc_endpoints, "VpcEndpoints")
    count("nat_gateway", in_vpcs, ec2.describe_nat_gateways, "NatGateways", "vpc-id", "Filter")
    count("internet_gateway", in_vpcs, ec2.describe_internet_gateways, "InternetGateways", "attachment.vpc-id")
    count("flow_log", in_vpcs, ec2.describe_flow_logs, "FlowLogs", "resource-id")
    count("elastic_ip", lambda: len(ec2.describe_addresses()["Addresses"]))
    logs = client("logs", region)
    count("log_group", lambda: len(logs.describe_log_groups()["logGroups"]))
    counts["s3_bucket"] = sum(1 for location in buckets.values() if location == region)
    kms = client("kms", region)
    count("kms_key", lambda: len(kms.list_keys()["Keys"]))
    count("kms_alias", lambda: len([a for a in kms.list_aliases()["Aliases"]
                                    if not a["AliasName"].startswith("alias/aws/")]))
    counts["iam_role"] = sum(1 for name in iam_roles if region in name)
    rds = client("rds", region)
    count("db_cluster", lambda: len(rds.describe_db_clusters()["DBClusters"]))
    count("db_instance", lambda: len(rds.describe_db_instances()["DBInstances"]))
    count("db_subnet_group", lambda: len(rds.describe_db_subnet_groups()["DBSubnetGroups"]))
    count("rds_event_subscription", lambda: len(rds.describe_event_subscriptions()["EventSubscriptionsList"]))
    secrets = client("secretsmanager", region)
    count("secret", lambda: len(secrets.list_secrets()["SecretList"]))
    awslambda = client("lambda", region)
    functions: list[str] = []
    with contextlib.suppress(Exception):
        functions = [f["FunctionName"] for f in awslambda.list_functions()["Functions"]]
    counts["lambda_function"] = len(functions)

    def permissions():
        total = 0
        for name in functions:
            with contextlib.suppress(awslambda.exceptions.ResourceNotFoundException):
                total += len(json.loads(awslambda.get_policy(FunctionName=name)["Policy"])["Statement"])
        return total

    count("lambda_permission", permissions)
    sqs = client("sqs", region)
    count("sqs_queue", lambda: len(sqs.list_queues().get("QueueUrls", [])))
    apigw = client("apigatewayv2", region)
    api_ids: list[str] = []
    with contextlib.suppress(Exception):
        api_ids = [a["ApiId"] for a in apigw.get_apis()["Items"]]
    counts["http_api"] = len(api_ids)
    count("api_route", lambda: sum(len(apigw.get_routes(ApiId=a)["Items"]) for a in api_ids))
    count("api_integration", lambda: sum(len(apigw.get_integrations(ApiId=a)["Items"]) for a in api_ids))
    count("api_stage", lambda: sum(len(apigw.get_stages(ApiId=a)["Items"]) for a in api_ids))
    sns = client("sns", region)
    count("sns_topic", lambda: len(sns.list_topics()["Topics"]))
    count("sns_subscription", lambda: len(sns.list_subscriptions()["Subscriptions"]))
    cloudwatch = client("cloudwatch", region)
    count("cloudwatch_alarm", lambda: len(cloudwatch.describe_alarms()["MetricAlarms"]))
    dynamodb = client("dynamodb", region)
    count("dynamodb_table", lambda: len(dynamodb.list_tables()["TableNames"]))
    backup = client("backup", region)
    count("backup_vault", lambda: len(backup.list_backup_vaults()["BackupVaultList"]))
    plans: list[str] = []
    with contextlib.suppress(Exception):
        plans = [p["BackupPlanId"] for p in backup.list_backup_plans()["BackupPlansList"]]
    counts["backup_plan"] = len(plans)
    count("backup_selection", lambda: sum(len(backup.list_backup_selections(BackupPlanId=p)["BackupSelectionsList"])
                                          for p in plans))
    counts["total"] = sum(v for v in counts.values() if v)
    return counts


# ---------------------------------------------------------------------------------------------
# The whole benchmark
# ---------------------------------------------------------------------------------------------


def compact_run(kind: str, n: int, rep: int, run: dict, calls: list[dict] | None, regions: list[str]) -> dict:
    """What results.json keeps of one run."""
    entry = {
        "kind": kind,
        "regions": n,
        "repetition": rep,
        "seconds": run["seconds"],
        "rc": run["rc"],
        "ansible_cpu_s": run["ansible_cpu_s"],
        "controller_cpu_s": run["controller_cpu_s"],
        "emulator_cpu_s": run["emulator_cpu_s"],
        "changed": analysis.changed_total(run["stats"]),
        "changed_by_host": {h: int(v.get("changed", 0)) for h, v in run["stats"].items()},
        "invocations_by_host": analysis.invocations_by_host(run["results"]),
        "invocations_split": analysis.invocations_split(run["results"], IN_PROCESS_ACTIONS),
        "log": run["log"],
    }
    if calls is not None:
        by_region = analysis.calls_by_region(calls)
        keep_operations = kind == "noop"
        entry["calls_by_region"] = {
            r: {"read": v["read"], "write": v["write"], "data_write": v["data_write"], "writes": v["writes"],
                **({"operations": v["operations"]} if keep_operations else {})}
            for r, v in by_region.items()
        }
    if kind == "noop":
        entry["invocations_by_role"] = analysis.invocations_by_role(run["results"])
        entry["role_walls"] = analysis.role_walls(run["results"])
        entry["wall_split"] = analysis.wall_split(run["results"])
        entry["task_walls"] = analysis.task_walls(run["results"])
        entry["module_tasks"] = analysis.module_tasks(run["results"])
        if calls is not None:
            entry["calls_by_task_approximate"] = analysis.attribute_calls(calls, run["results"], regions)
    return entry


def summarize(runs: list[dict], resources: dict[int, dict], region_counts: list[int]) -> dict:
    summary: dict[int, dict] = {}
    for n in region_counts:
        mine = [r for r in runs if r["regions"] == n]

        def seconds(kind, mine=mine):
            return analysis.median(r["seconds"] for r in mine if r["kind"] == kind and r["rc"] == 0)

        noops = [r for r in mine if r["kind"] == "noop" and r["rc"] == 0]
        regions = list(REGIONS)[:n]
        per_region = {}
        for region in regions:
            reads = analysis.median(r.get("calls_by_region", {}).get(region, {}).get("read", 0) for r in noops)
            writes = analysis.median(r.get("calls_by_region", {}).get(region, {}).get("write", 0) for r in noops)
            split = [r.get("invocations_split", {}).get(region, {}) for r in noops]
            per_region[region] = {
                "invocations": analysis.median(r["invocations_by_host"].get(region, 0) for r in noops),
                "forked": analysis.median(x.get("forked", 0) for x in split),
                "in_process": analysis.median(x.get("in_process", 0) for x in split),
                "data_writes": analysis.median(
                    r.get("calls_by_region", {}).get(region, {}).get("data_write", 0) for r in noops),
                "reads": reads,
                "writes": writes,
                "resources": (resources.get(n, {}).get(region) or {}).get("total"),
            }
            if per_region[region]["resources"] and reads is not None:
                per_region[region]["reads_per_resource"] = round(reads / per_region[region]["resources"], 2)
        summary[n] = {
            "first_s": seconds("first"),
            "noop_s": seconds("noop"),
            "noop2_s": seconds("noop2"),
            "check_s": seconds("check"),
            "floor_s": seconds("floor"),
            "noop_changed": max((r["changed"] for r in mine if r["kind"] in ("noop", "noop2") and r["rc"] == 0),
                                default=None),
            "check_changed": max((r["changed"] for r in mine if r["kind"] == "check" and r["rc"] == 0), default=None),
            "noop_ansible_cpu_s": analysis.median(r["ansible_cpu_s"] for r in noops),
            "noop_emulator_cpu_s": analysis.median(r["emulator_cpu_s"] for r in noops),
            "noop_controller_cpu_s": analysis.median(r["controller_cpu_s"] for r in noops),
            "first_ansible_cpu_s": analysis.median(r["ansible_cpu_s"] for r in mine if r["kind"] == "first"),
            "check_ansible_cpu_s": analysis.median(r["ansible_cpu_s"] for r in mine if r["kind"] == "check"),
            "floor_ansible_cpu_s": analysis.median(r["ansible_cpu_s"] for r in mine if r["kind"] == "floor"),
            "per_region": per_region,
        }
    return summary


def per_task_costs(runner: Runner, tag: str, workdir: Path, inv: Path, url: str, pid: int, n: int) -> dict:
    """Wall time per task (over all hosts) and controller CPU per task and host, for each kind of task."""
    runs = {kind: runner.run(f"{tag}-per-task-{kind}", workdir / f"per_task_{kind}.yml", inv, url=url, pid=pid)
            for kind in PER_TASK_KINDS}
    empty_cpu = runs["empty"]["ansible_cpu_s"]
    out = {"regions": n, "empty_play_s": runs["empty"]["seconds"], "empty_play_cpu_s": empty_cpu}
    for kind, run in runs.items():
        if kind == "empty":
            continue
        walls = [w["wall_s"] for w in analysis.task_walls(run["results"])]
        out[kind] = {
            "rc": run["rc"],
            "wall_per_task_s": analysis.median(walls),
            "cpu_per_task_and_host_s": round((run["ansible_cpu_s"] - empty_cpu) / (PER_TASK_COUNT * n), 3),
        }
    return out


def summarize_floors(floors: list[dict]) -> dict:
    if not floors:
        return {}
    out = {"regions": floors[0]["regions"], "empty_play_s": analysis.median(f["empty_play_s"] for f in floors)}
    for kind in PER_TASK_KINDS:
        if kind == "empty":
            continue
        out[kind] = {key: analysis.median(f[kind][key] for f in floors)
                     for key in ("wall_per_task_s", "cpu_per_task_and_host_s")}
    return out


EXPERIMENTS = (
    ("unchanged (ansible.cfg as committed)", {}),
    ("strategy free", {"ANSIBLE_STRATEGY": "free"}),
    ("forks 1 (regions one after the other)", {"ANSIBLE_FORKS": "1"}),
    ("pipelining", {"ANSIBLE_PIPELINING": "True"}),
)


def run_experiments(runner: Runner, tag: str, inv: Path, url: str, pid: int, n: int, repeat: int) -> list[dict]:
    """No-op runs of each variant, interleaved round by round so that load changes hit all alike."""
    samples: dict[str, list[dict]] = {label: [] for label, _env in EXPERIMENTS}
    for round_ in range(repeat):
        for label, env in EXPERIMENTS:
            slug = "".join(c if c.isalnum() else "-" for c in label.split(" (", maxsplit=1)[0])
            run = runner.run(f"{tag}-exp{round_}-{slug}", "site.yml", inv, url=url, pid=pid, env=env)
            samples[label].append(run)
    out = []
    for label, runs in samples.items():
        ok = [r for r in runs if r["rc"] == 0]
        out.append({
            "variant": label,
            "regions": n,
            "runs": len(runs),
            "failed": len(runs) - len(ok),
            "seconds": analysis.median(r["seconds"] for r in ok),
            "ansible_cpu_s": analysis.median(r["ansible_cpu_s"] for r in ok),
            "changed": max((analysis.changed_total(r["stats"]) for r in runs), default=None),
            "all_seconds": [r["seconds"] for r in runs],
        })
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per figure; the median is reported (3)")
    parser.add_argument("--quick", action="store_true", help="one repetition (smoke test)")
    parser.add_argument("--regions", default="1,3,6", help="region counts to measure (default 1,3,6)")
    parser.add_argument("--no-profile", action="store_true",
                        help="skip the extra no-op run with ansible.posix.profile_tasks")
    parser.add_argument("--experiments", action="store_true",
                        help="also time no-op runs (3 regions) with strategy free, forks=1 and pipelining, "
                             "interleaved with unchanged runs, --repeat rounds")
    parser.add_argument("--output-dir", type=Path, default=BENCH_DIR, help="where results.json/.md go (bench/)")
    parser.add_argument("--workdir", type=Path, help="keep logs, traces and recordings here (default: a temp dir)")
    parser.add_argument("--timeout", type=int, default=3600, help="timeout of one playbook run, seconds")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else max(1, args.repeat)
    region_counts = sorted({int(x) for x in args.regions.split(",") if x.strip()})
    if any(n < 1 or n > len(REGIONS) for n in region_counts):
        parser.error(f"region counts must be between 1 and {len(REGIONS)}")
    profile_n = 3 if 3 in region_counts else region_counts[-1]

    os.environ.update(SAFE_ENV)
    os.environ.pop("AWS_PROFILE", None)
    meta = machine_info()
    meta.update(repeat=repeat, region_counts=region_counts)
    sampler = LoadSampler()
    sampler.start()

    with contextlib.ExitStack() as stack:
        if args.workdir:
            workdir = args.workdir
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tap-bench-")))
        runner = Runner(workdir, args.timeout)
        (workdir / "floor.yml").write_text(yaml.safe_dump(FLOOR_PLAYBOOK, sort_keys=False))
        for kind in PER_TASK_KINDS:
            (workdir / f"per_task_{kind}.yml").write_text(yaml.safe_dump(per_task_playbook(kind), sort_keys=False))
        inventories = {n: write_inventory(workdir / f"inventory-{n}", dict(list(REGIONS.items())[:n]))
                       for n in region_counts}
        runs: list[dict] = []
        resources: dict[int, dict] = {}
        failures: list[str] = []
        floors: list[dict] = []
        profile: dict = {}
        experiments: list[dict] = []
        started = time.perf_counter()

        for rep in range(repeat):
            for n in region_counts:
                regions = list(REGIONS)[:n]
                inv = inventories[n]
                tag = f"r{n}-rep{rep}"
                floor = runner.run(f"{tag}-floor", workdir / "floor.yml", inv)
                runs.append(compact_run("floor", n, rep, floor, None, regions))
                with private_emulator(workdir / f"emulator-{tag}") as (url, pid):
                    if n == profile_n:
                        floors.append(per_task_costs(runner, tag, workdir, inv, url, pid, n))
                    for kind, extra in (("first", ()), ("noop", ()), ("noop2", ()), ("check", ("--check", "--diff"))):
                        run, calls = recorded(runner, url, f"{tag}-{kind}", playbook="site.yml", inventory=inv,
                                              pid=pid, args=extra)
                        runs.append(compact_run(kind, n, rep, run, calls, regions))
                        if run["rc"] != 0:
                            failures.append(f"{tag}-{kind}: rc={run['rc']}, see {run['log']}"
                                            + ("" if args.workdir else " (temporary; rerun with --workdir)"))
                            if kind == "first":
                                break
                        if kind in ("noop", "noop2") and runs[-1]["changed"]:
                            failures.append(f"{tag}-noop: changed={runs[-1]['changed']} "
                                            f"({runs[-1]['changed_by_host']}), expected 0")
                    resources[n] = count_resources(url, regions)
                    last = rep == repeat - 1
                    if last and n == profile_n and not args.no_profile:
                        run = runner.run(f"{tag}-noop-profiled", "site.yml", inv, url=url, pid=pid,
                                         callbacks=("ansible.posix.profile_tasks",),
                                         env={"PROFILE_TASKS_TASK_OUTPUT_LIMIT": "40"})
                        profile = {"regions": n, "seconds": run["seconds"], "rc": run["rc"],
                                   "top_tasks": analysis.parse_profile_tasks(run["stdout"], limit=40)}
                    if last and n == profile_n and args.experiments:
                        experiments = run_experiments(runner, tag, inv, url, pid, n, repeat)

        summary = summarize(runs, resources, region_counts)
        meta["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        meta["load_1min_during_run"] = sampler.stop()
        meta["bench_seconds"] = round(time.perf_counter() - started, 1)
        report = {
            "meta": meta,
            "summary": {str(n): s for n, s in summary.items()},
            "targets": analysis.evaluate_targets(summary),
            "floor": summarize_floors(floors),
            "resources": {str(n): r for n, r in resources.items()},
            "profile": profile,
            "experiments": experiments,
            "failures": failures,
            "runs": runs,
        }

    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "results.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    markdown = analysis.render_markdown(report)
    (args.output_dir / "results.md").write_text(markdown)
    print()
    print(markdown)
    print(f"[bench] wrote {args.output_dir / 'results.json'} and {args.output_dir / 'results.md'}")
    return 1 if failures else 0
