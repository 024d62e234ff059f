"""The zero-latency benchmark: site.yml (dev) against private emulators for 1, 3 and 6 regions, and main().

For each repetition and region count: a fresh emulator, the floor (one ping task), a first
converge, a no-op converge and a --check --diff run, each with the emulator's call log and the
bench_trace callback; then the managed resources are counted from the emulator. main() then runs
the aws-profile part (bench/aws_suite.py: latency, time-scaled and credential runs). Pure parsing
and the report live in bench/analysis.py and bench/aws_report.py.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import yaml

from bench import analysis, aws_report, aws_suite
from bench.resources import count_resources
from bench.runner import BENCH_DIR, REGIONS, REPO_ROOT, SAFE_ENV, Runner, logged, private_emulator, write_inventory


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
        # The settings role holds the local connection (and no task): without it Ansible would use ssh.
        "roles": ["tap.multiregion.settings"],
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
            "roles": ["tap.multiregion.settings"],
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
            entry["calls_by_task_approximate"] = analysis.attribute_calls(
                calls, run["results"], regions, resolution=0.001
            )
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


BASELINE_FILE = BENCH_DIR / "baseline.json"
# The latency rounds of the default run (3 repetitions) are capped to keep `make bench` under ~25 min.
MAX_DEFAULT_AWS_ROUNDS = 2


def load_baseline() -> dict | None:
    """bench/baseline.json: the zero-latency figures the aws-profile targets compare this run with."""
    try:
        return json.loads(BASELINE_FILE.read_text())
    except (OSError, ValueError):
        return None


def save_baseline(report: dict, zero_latency: dict) -> None:
    meta = report["meta"]
    load = meta.get("load_1min_during_run") or {}
    baseline = {
        "source": f"commit {meta.get('commit')}, {meta.get('date')}, {meta.get('repeat')} repetition(s), "
                  f"load {load.get('mean')} (max {load.get('max')}) on {meta.get('nproc')} CPUs",
        "regions": 3,
        "figures": zero_latency,
    }
    BASELINE_FILE.write_text(json.dumps(baseline, indent=2) + "\n")
    print(f"[bench] wrote {BASELINE_FILE}")


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
    parser.add_argument("--workdir", type=Path, help="keep logs and traces here (default: a temp dir)")
    parser.add_argument("--timeout", type=int, default=3600, help="timeout of one playbook run, seconds")
    parser.add_argument("--time-scale", type=float, default=aws_suite.DEFAULT_TIME_SCALE,
                        help="AWS seconds per real second of the time-scaled runs (10)")
    parser.add_argument("--aws-rounds", type=int,
                        help="rounds of the latency runs (default: --repeat, at most 2)")
    parser.add_argument("--no-aws", action="store_true", help="skip the aws-profile part")
    parser.add_argument("--aws-only", action="store_true", help="only the aws-profile part (no zero-latency runs)")
    parser.add_argument("--save-baseline", action="store_true",
                        help=f"write this run's zero-latency 3-region figures to {BASELINE_FILE.name}")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else max(1, args.repeat)
    aws_rounds = max(1, args.aws_rounds) if args.aws_rounds else min(repeat, MAX_DEFAULT_AWS_ROUNDS)
    if args.no_aws and args.aws_only:
        parser.error("--no-aws and --aws-only exclude each other")
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

        for rep in range(0 if args.aws_only else repeat):
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
                        run, calls = logged(
                            runner, url, f"{tag}-{kind}", playbook="site.yml", inventory=inv, pid=pid, args=extra
                        )
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

        summary = summarize(runs, resources, region_counts) if not args.aws_only else {}
        aws: dict = {}
        if not args.no_aws:
            keep_note = "" if args.workdir else " (temporary; rerun with --workdir)"
            aws = aws_suite.AwsBench(runner, workdir, aws_rounds, args.time_scale, keep_note).run()
            failures += aws["failures"]
        baseline = load_baseline()
        zero_latency = aws_report.zero_latency_figures(summary.get(3, {}))
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
            "aws": aws,
            "aws_targets": aws_report.evaluate_aws_targets(aws, zero_latency, baseline) if aws else [],
            "zero_latency_figures": zero_latency,
            "baseline": baseline,
            "failures": failures,
            "runs": runs,
        }

    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "results.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    markdown = analysis.render_markdown(report, aws_report.render_aws_markdown(aws, report["aws_targets"], baseline))
    (args.output_dir / "results.md").write_text(markdown)
    if args.save_baseline:
        save_baseline(report, zero_latency)
    print()
    print(markdown)
    print(f"[bench] wrote {args.output_dir / 'results.json'} and {args.output_dir / 'results.md'}")
    return 1 if failures else 0
