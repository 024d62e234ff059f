"""Pure parts of the benchmark: no process, no network, no clock (unit-tested in tests/unit/test_bench_parsing.py).

* the emulator's call log -> AWS API calls classified read/write per region and operation,
* bench_trace callback lines -> module invocations per host and role, task durations,
* ansible.posix.profile_tasks output -> top tasks,
* medians, the targets and the markdown report.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable

# Operations whose name starts with one of these only read (the rule; BatchGet, Query and
# Scan are DynamoDB reads that do not follow the naming pattern).
READ_PREFIXES = ("Describe", "Get", "List", "Head", "BatchGet", "Query", "Scan")
READ_METHODS = ("GET", "HEAD")

# Actions that run in the controller and never start a module on the host.
CONTROLLER_ACTIONS = frozenset(
    {
        "set_fact",
        "debug",
        "assert",
        "fail",
        "include_tasks",
        "include_role",
        "import_tasks",
        "import_role",
        "import_playbook",
        "include_vars",
        "meta",
        "validate_argument_spec",
        "set_stats",
        "add_host",
        "group_by",
        "pause",
        "tap.multiregion.lambda_package",  # action plugin: builds the zip in the controller
        "tap.multiregion.json_file",  # action plugin: writes the outputs file in the controller
    }
)

# Writes of data rather than of managed resources: the deploy lock's DynamoDB item and the
# deployment record's S3 object are written on every run by design ("run bookkeeping").
DATA_PLANE_WRITES = frozenset(
    {
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:TransactWriteItems",
        "s3:PUT object",
        "s3:DELETE object",
        "s3:POST object",
    }
)

# Calls that resolve credentials rather than read or write the stack (counted apart).
CREDENTIAL_CALLS = frozenset(
    {
        "sts:AssumeRole",
        "sts:AssumeRoleWithWebIdentity",
        "sts:AssumeRoleWithSAML",
        "sts:GetSessionToken",
        "sts:GetFederationToken",
        "sso:GetRoleCredentials",
    }
)

PROFILE_LINE = re.compile(r"^(?P<task>.+?)\s+-{2,}\s+(?P<seconds>\d+(?:\.\d+)?)s\s*$")


# ---------------------------------------------------------------------------------------------
# AWS calls (the emulator's call log)
# ---------------------------------------------------------------------------------------------


def median(values: Iterable[float | int | None]) -> float | None:
    """Median of the values that are not None; None when there are none."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def classify(operation: str | None, method: str) -> str:
    """'read' or 'write': by operation name when the protocol has one, else by HTTP method (REST).

    The emulator's call log (emulator.middleware) applies the same rule; calls_by_service uses this one.
    """
    if operation:
        return "read" if operation.startswith(READ_PREFIXES) else "write"
    return "read" if method.upper() in READ_METHODS else "write"


def parse_call_log(entries: Iterable[dict]) -> list[dict]:
    """The emulator's call log (``GET /tap-emulator/calls``, emulator.middleware) -> the AWS calls, in order.

    Each entry ``{seq, service, region, operation, kind, status, time}`` becomes ``{service, region,
    operation, method, kind, time, label, status}``; ``operation`` is None for a REST call, whose
    log operation is "<METHOD> <path>" (ids as {}) and becomes the label's tail, as in ``s3:PUT object``.
    """
    calls = []
    for entry in entries:
        service, region = entry.get("service"), entry.get("region")
        if not service or not region:
            continue
        logged_operation = str(entry.get("operation") or "")
        rest = " " in logged_operation
        method = logged_operation.split(" ", 1)[0] if rest else "POST"
        operation = None if rest else logged_operation or None
        calls.append({
            "service": service,
            "region": region,
            "operation": operation,
            "method": method,
            "kind": entry.get("kind") or classify(operation, method),
            "time": entry.get("time"),
            "label": f"{service}:{logged_operation}",
            "status": entry.get("status"),
        })
    return calls


def is_data_write(call: dict) -> bool:
    return call["kind"] == "write" and call["label"] in DATA_PLANE_WRITES


def calls_by_service(operations: dict[str, int]) -> dict[str, dict[str, int]]:
    """{label: n} of one region (labels "service:operation") -> {service: {read, write}}."""
    out: dict[str, Counter] = defaultdict(Counter)
    for label, n in operations.items():
        service, _sep, operation = label.partition(":")
        method = operation.split(" ", 1)[0] if " " in operation else "POST"
        op = None if " " in operation else operation
        out[service][classify(op, method)] += n
    return {svc: {"read": c["read"], "write": c["write"]} for svc, c in sorted(out.items())}


def is_credential_call(call: dict) -> bool:
    """A call that resolves credentials (STS AssumeRole and the like): neither a read nor a write of the stack."""
    return call["label"] in CREDENTIAL_CALLS


def calls_by_region(calls: Iterable[dict]) -> dict[str, dict]:
    """{region: {read, write, data_write, credential, operations: {label: n}, writes: {label: n}}}.

    data_write counts the writes of data (items, objects: the deploy lock and deployment record),
    included in write; credential counts credential resolutions (STS AssumeRole), in neither.
    """
    out: dict[str, dict] = {}
    for call in calls:
        region = out.setdefault(
            call["region"],
            {"read": 0, "write": 0, "data_write": 0, "credential": 0, "operations": Counter(), "writes": Counter()},
        )
        if is_credential_call(call):
            region["credential"] += 1
            continue
        region[call["kind"]] += 1
        region["operations"][call["label"]] += 1
        if call["kind"] == "write":
            region["writes"][call["label"]] += 1
            region["data_write"] += int(is_data_write(call))
    for region in out.values():
        region["operations"] = dict(region["operations"].most_common())
        region["writes"] = dict(region["writes"].most_common())
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------------------------------
# Ansible trace (bench/callback_plugins/bench_trace.py)
# ---------------------------------------------------------------------------------------------


def parse_trace(text: str) -> tuple[list[dict], dict]:
    """bench_trace lines -> (task results, recap {host: {ok, changed, ...}})."""
    results, stats = [], {}
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("event") == "result":
            results.append(record)
        elif record.get("event") == "stats":
            stats = record.get("stats") or {}
    return results, stats


def is_controller_action(action: str) -> bool:
    return action in CONTROLLER_ACTIONS or action.rsplit(".", 1)[-1] in CONTROLLER_ACTIONS and (
        action.startswith(("ansible.builtin.", "ansible.legacy.")) or "." not in action
    )


def module_invocations(result: dict) -> int:
    """How many times the task result started a module on its host (loop items count one each)."""
    if result.get("status") in ("skipped", "unreachable") or is_controller_action(result.get("action", "")):
        return 0
    items = result.get("items")
    return int(items) if items is not None else 1


def invocations_by_host(results: Iterable[dict]) -> dict[str, int]:
    counts: Counter = Counter()
    for result in results:
        counts[result["host"]] += module_invocations(result)
    return dict(sorted(counts.items()))


def invocations_split(results: Iterable[dict], in_process: Iterable[str] = ()) -> dict[str, dict[str, int]]:
    """{host: {forked, in_process}}: in_process are the actions whose module runs in the worker
    process (our modules with an InProcessModuleAction plugin); the others start a Python process."""
    inproc = frozenset(in_process)
    out: dict[str, Counter] = defaultdict(Counter)
    for result in results:
        n = module_invocations(result)
        if n:
            out[result["host"]]["in_process" if result["action"] in inproc else "forked"] += n
    return {h: {"forked": c["forked"], "in_process": c["in_process"]} for h, c in sorted(out.items())}


def worker_processes(results: Iterable[dict]) -> int:
    """Worker processes that ran a module: Ansible forks one per task and host (loop items share it)."""
    return sum(1 for result in results if module_invocations(result))


def invocations_by_role(results: Iterable[dict]) -> dict[str, dict[str, int]]:
    """{host: {role: invocations}}; tasks outside a role are under '(play)'."""
    out: dict[str, Counter] = defaultdict(Counter)
    for result in results:
        n = module_invocations(result)
        if n:
            out[result["host"]][result.get("role") or "(play)"] += n
    return {host: dict(counts.most_common()) for host, counts in sorted(out.items())}


def changed_total(stats: dict, hosts: Iterable[str] | None = None) -> int:
    wanted = set(hosts) if hosts is not None else None
    return sum(int(v.get("changed", 0)) for h, v in stats.items() if wanted is None or h in wanted)


def module_tasks(results: Iterable[dict]) -> list[dict]:
    """Per module task: hosts, invocations and median / max duration of the hosts' runs, slowest first."""
    results = list(results)
    hosts = {r["host"] for r in results}
    groups: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        if module_invocations(result):
            groups[result.get("uuid") or f"{result.get('role')}|{result['task']}"].append(result)
    rows = []
    for members in groups.values():
        first = members[0]
        durations = [max(0.0, m["end"] - m["start"]) for m in members]
        rows.append(
            {
                "role": first.get("role") or "(play)",
                "task": _strip_host(first["task"], *hosts),
                "action": first["action"],
                "hosts": len(members),
                "invocations": sum(module_invocations(m) for m in members),
                "median_s": round(statistics.median(durations), 2),
                "max_s": round(max(durations), 2),
            }
        )
    rows.sort(key=lambda r: r["median_s"], reverse=True)
    return rows


def wall_split(results: Iterable[dict]) -> dict:
    """Sum of task walls split into tasks that ran a module and the rest (controller-side or skipped),
    and the number of task results per host."""
    results = list(results)
    walls = task_walls(results)
    per_host: Counter = Counter(r["host"] for r in results)
    return {
        "module_tasks": sum(1 for w in walls if w["invocations"]),
        "module_s": round(sum(w["wall_s"] for w in walls if w["invocations"]), 2),
        "other_tasks": sum(1 for w in walls if not w["invocations"]),
        "other_s": round(sum(w["wall_s"] for w in walls if not w["invocations"]), 2),
        "task_results_by_host": dict(sorted(per_host.items())),
    }


def task_walls(results: Iterable[dict], per_host: bool = False) -> list[dict]:
    """Wall time of each task over all its hosts (last end - first start), in run order.

    With the linear strategy a play's time is about the sum of its task walls: the slowest host
    of each task sets the pace. per_host: each row also has {"end", "per_host": {host: {start, end,
    status, waits}}} (waits: what the module reported waiting for, None when the trace does not say).
    """
    results = list(results)
    hosts = {r["host"] for r in results}
    groups: dict[str, list[dict]] = {}
    for result in results:
        groups.setdefault(result.get("uuid") or f"{result.get('play')}|{result['task']}", []).append(result)
    rows = []
    for members in groups.values():
        first = members[0]
        rows.append(
            {
                "play": first.get("play", ""),
                "role": first.get("role") or "(play)",
                "task": _strip_host(first["task"], *hosts),
                "action": first["action"],
                "hosts": len(members),
                "invocations": sum(module_invocations(m) for m in members),
                "start": min(m["start"] for m in members),
                "wall_s": round(max(m["end"] for m in members) - min(m["start"] for m in members), 3),
            }
        )
        if per_host:
            rows[-1]["end"] = max(m["end"] for m in members)
            rows[-1]["per_host"] = {m["host"]: {"start": m["start"], "end": m["end"], "status": m.get("status"),
                                                "waits": m.get("waits")} for m in members}
    rows.sort(key=lambda r: r["start"])
    return rows


def role_walls(results: Iterable[dict]) -> dict[str, dict]:
    """{role: {wall_s, tasks, invocations}} summed over the role's tasks (see task_walls)."""
    out: dict[str, dict] = {}
    for row in task_walls(results):
        entry = out.setdefault(row["role"], {"wall_s": 0.0, "tasks": 0, "invocations": 0})
        entry["wall_s"] = round(entry["wall_s"] + row["wall_s"], 3)
        entry["tasks"] += 1
        entry["invocations"] += row["invocations"]
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["wall_s"]))


def attribute_calls(calls: Iterable[dict], results: list[dict], region_hosts: Iterable[str],
                    resolution: float = 1.0) -> dict[str, dict]:
    """Best effort: which task made each call, by region and time.

    Candidates are the region host's module tasks and the tasks of non-region hosts (controller)
    whose [start, end] overlaps [time, time + resolution] the most (resolution: 1 s for a time
    taken from X-Amz-Date, a millisecond for the emulator's call log). Credential calls are left
    out. Returns {task label: {read, write}}.
    """
    regions = set(region_hosts)
    hosts = regions | {r["host"] for r in results}
    windows = [r for r in results if module_invocations(r)]
    out: dict[str, Counter] = defaultdict(Counter)
    for call in calls:
        if call.get("label") in CREDENTIAL_CALLS:
            continue
        label = "(unattributed)"
        if call.get("time") is not None:
            second = call["time"]
            best, best_overlap = None, 0.0
            for r in windows:
                if r["host"] != call["region"] and r["host"] in regions:
                    continue
                overlap = min(r["end"], second + resolution) - max(r["start"], second)
                if overlap > best_overlap:
                    best, best_overlap = r, overlap
            if best is not None:
                label = _strip_host(best["task"], *hosts)
        out[label][call["kind"]] += 1
    return {k: {"read": v["read"], "write": v["write"]} for k, v in sorted(out.items(), key=lambda kv: -kv[1].total())}


def _strip_host(task: str, *hosts: str) -> str:
    """The task name without region names (names are templated with the first host of the batch)."""
    for host in sorted(set(hosts), key=len, reverse=True):
        task = task.replace(host, "")
    return re.sub(r"\s*\(\s*\)\s*$", "", task).strip()


def parse_profile_tasks(output: str, limit: int = 25) -> list[dict]:
    """The TASKS RECAP that ansible.posix.profile_tasks prints at the end -> [{task, seconds}], as printed."""
    rows: list[dict] = []
    in_recap = False
    for line in output.splitlines():
        if "TASKS RECAP" in line:
            in_recap, rows = True, []
            continue
        match = PROFILE_LINE.match(line.strip()) if in_recap else None
        if match:
            rows.append({"task": match.group("task").strip(), "seconds": float(match.group("seconds"))})
    return rows[:limit]


# ---------------------------------------------------------------------------------------------
# Targets and report
# ---------------------------------------------------------------------------------------------

TARGETS = {
    "first_3_max_s": 90.0,
    "noop_3_max_s": 40.0,
    "reads_per_resource_max": 2.0,
    "scale_6_over_3_max": 1.6,
}


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 2)


def evaluate_targets(summary: dict) -> list[dict]:
    """summary: {n_regions(int or str): {first_s, noop_s, noop_changed, per_region: {r: {reads, writes, resources}}}}.

    Returns rows {target, value, limit, passed} with passed None when the data is missing.
    """
    by_n = {int(k): v for k, v in summary.items()}
    s3, s6 = by_n.get(3, {}), by_n.get(6, {})
    rows = []

    def row(target, value, limit, passed):
        rows.append({"target": target, "value": value, "limit": limit, "passed": passed})

    first3, noop3 = s3.get("first_s"), s3.get("noop_s")
    row("first converge, 3 regions (s)", first3, TARGETS["first_3_max_s"],
        None if first3 is None else first3 <= TARGETS["first_3_max_s"])
    row("no-op converge, 3 regions (s)", noop3, TARGETS["noop_3_max_s"],
        None if noop3 is None else noop3 <= TARGETS["noop_3_max_s"])

    changed = [v.get("noop_changed") for v in by_n.values() if v.get("noop_changed") is not None]
    row("no-op reports changed=0 (worst run)", max(changed) if changed else None, 0,
        (max(changed) == 0) if changed else None)

    regions = [pr for v in by_n.values() for pr in (v.get("per_region") or {}).values()]
    writes = [pr["writes"] for pr in regions if pr.get("writes") is not None]
    row("write calls in a no-op run (worst region, all)", max(writes) if writes else None, 0,
        (max(writes) == 0) if writes else None)
    resource_writes = [pr["writes"] - (pr.get("data_writes") or 0) for pr in regions if pr.get("writes") is not None]
    row("write calls to managed resources in a no-op run (worst region; without lock item / record object)",
        max(resource_writes) if resource_writes else None, 0,
        (max(resource_writes) == 0) if resource_writes else None)

    ratios = [pr.get("reads") / pr["resources"] for v in by_n.values() for pr in (v.get("per_region") or {}).values()
              if pr.get("reads") is not None and pr.get("resources")]
    worst = round(max(ratios), 2) if ratios else None
    row("no-op read calls per managed resource (worst region)", worst, TARGETS["reads_per_resource_max"],
        None if worst is None else worst <= TARGETS["reads_per_resource_max"])

    for key, what in (("first_s", "first converge"), ("noop_s", "no-op converge"),
                      ("noop_ansible_cpu_s", "no-op CPU seconds (indicator, insensitive to load)")):
        ratio = _ratio(s6.get(key), s3.get(key))
        row(f"{what}: 6 regions / 3 regions", ratio, TARGETS["scale_6_over_3_max"],
            None if ratio is None else ratio <= TARGETS["scale_6_over_3_max"])
    return rows


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _verdict(passed) -> str:
    return "n/a" if passed is None else ("pass" if passed else "FAIL")


def _spread(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    lo, hi = min(values), max(values)
    return _fmt(lo, 0) if lo == hi else f"{_fmt(lo, 0)}-{_fmt(hi, 0)}"


def render_markdown(report: dict, extra_sections: list[str] | None = None) -> str:
    """The results (bench/results.md and the console): main table, targets, details of one no-op run,
    then extra_sections (lines: the aws-profile part, bench/aws_report.py) and the failures."""
    meta = report.get("meta", {})
    summary = {int(k): v for k, v in report.get("summary", {}).items()}
    load = meta.get("load_1min_during_run") or {}
    out = [
        f"# Benchmark results ({meta.get('date', '')})",
        "",
        f"Commit {meta.get('commit', '?')}{' (dirty tree)' if meta.get('dirty') else ''}; "
        f"{meta.get('repeat', '?')} repetition(s), times are medians; machine: {meta.get('nproc', '?')} CPU "
        f"({meta.get('cpu', '?')}), {meta.get('memory_gb', '?')} GB, Python {meta.get('python', '?')}, "
        f"ansible-core {meta.get('ansible_core', '?')}; 1-min load average during the run: mean "
        f"{load.get('mean', '?')}, max {load.get('max', '?')}; bench time {meta.get('bench_seconds', '?')} s.",
        "",
        "| regions | first converge s | no-op s | 2nd no-op s | check --diff s | floor (ping) s | first / floor "
        "| no-op / floor | no-op changed | ansible CPU s first / no-op "
        "| module invocations / region, no-op (forked + in-process) | reads / region "
        "| writes / region (of which lock/record data) | resources / region | reads / resource |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, s in sorted(summary.items()):
        pr = list((s.get("per_region") or {}).values())
        ratios = [v["reads"] / v["resources"] for v in pr if v.get("resources") and v.get("reads") is not None]
        invocations = _spread(v.get("invocations") for v in pr)
        forked, inproc = _spread(v.get("forked") for v in pr), _spread(v.get("in_process") for v in pr)
        out.append(
            f"| {n} | {_fmt(s.get('first_s'))} | {_fmt(s.get('noop_s'))} | {_fmt(s.get('noop2_s'))} "
            f"| {_fmt(s.get('check_s'))} "
            f"| {_fmt(s.get('floor_s'))} | {_fmt(_ratio(s.get('first_s'), s.get('floor_s')))} "
            f"| {_fmt(_ratio(s.get('noop_s'), s.get('floor_s')))} | {_fmt(s.get('noop_changed'))} "
            f"| {_fmt(s.get('first_ansible_cpu_s'))} / {_fmt(s.get('noop_ansible_cpu_s'))} "
            f"| {invocations} ({forked} + {inproc}) | {_spread(v.get('reads') for v in pr)} "
            f"| {_spread(v.get('writes') for v in pr)} ({_spread(v.get('data_writes') for v in pr)}) "
            f"| {_spread(v.get('resources') for v in pr)} | {_fmt(max(ratios), 2) if ratios else 'n/a'} |"
        )
    out += ["", "| target | value | limit | result |", "|---|---:|---:|---|"]
    for t in report.get("targets", []):
        out.append(f"| {t['target']} | {_fmt(t['value'], 2)} | {_fmt(t['limit'])} | {_verdict(t['passed'])} |")
    floor = report.get("floor") or {}
    if floor:
        out += ["", f"Cost of one task ({floor.get('regions', '?')} regions; wall: one task over all hosts, "
                    "CPU: controller and module processes per task and host):", "",
                "| task | wall s | CPU s |", "|---|---:|---:|"]
        for kind, label in (("ping", "`ansible.builtin.ping`"),
                            ("in_process", "our module, in-process action (`tap.multiregion.tag_policy`)"),
                            ("forked_aws", "amazon.aws module (`amazon.aws.aws_caller_info`: new interpreter, "
                                           "boto3 import, 2 calls)")):
            v = floor.get(kind) or {}
            wall, cpu = v.get("wall_per_task_s"), v.get("cpu_per_task_and_host_s")
            out.append(f"| {label} | {_fmt(wall, 2)} | {_fmt(cpu, 2)} |")
    out += render_details(report)
    out += extra_sections or []
    failures = report.get("failures") or []
    if failures:
        out += ["", "## Failed or unexpected runs", ""] + [f"- {f}" for f in failures]
    return "\n".join(out) + "\n"


def render_details(report: dict, top: int = 12) -> list[str]:
    """Details of the last no-op run of the profiled region count: where the time and the calls go."""
    n = (report.get("profile") or {}).get("regions")
    noops = [r for r in report.get("runs", []) if r.get("kind") == "noop" and (n is None or r["regions"] == n)]
    if not noops:
        return []
    # the run of median duration (the last one may have met a burst of load)
    run = sorted(noops, key=lambda r: r["seconds"])[(len(noops) - 1) // 2]
    out = ["", f"## Details: the median no-op run, {run['regions']} region(s), repetition "
               f"{run['repetition'] + 1} ({_fmt(run['seconds'])} s)", ""]
    summary = (report.get("summary") or {}).get(str(run["regions"])) or {}
    out += ["| region | invocations (forked + in-process) | reads | writes | resources | reads / resource |",
            "|---|---:|---:|---:|---:|---:|"]
    for region, v in (summary.get("per_region") or {}).items():
        out.append(f"| {region} | {_fmt(v.get('invocations'), 0)} ({_fmt(v.get('forked'), 0)} + "
                   f"{_fmt(v.get('in_process'), 0)}) | {_fmt(v.get('reads'), 0)} | {_fmt(v.get('writes'), 0)} "
                   f"| {_fmt(v.get('resources'), 0)} | {_fmt(v.get('reads_per_resource'), 2)} |")
    split = run.get("wall_split") or {}
    if split:
        out += ["", f"Run {_fmt(run['seconds'])} s = {split['module_tasks']} tasks that run a module "
                    f"({_fmt(split['module_s'])} s of task wall time) + {split['other_tasks']} controller-side or "
                    f"skipped tasks ({_fmt(split['other_s'])} s) + start-up, parsing and play overhead; task results "
                    f"per host: " + ", ".join(f"{h} {n}" for h, n in split["task_results_by_host"].items()) + "."]
    if run.get("ansible_cpu_s") is not None:
        out += ["", f"CPU of this run: {_fmt(run['ansible_cpu_s'])} s in Ansible processes (of which the "
                    f"ansible-playbook process itself {_fmt(run.get('controller_cpu_s'))} s, the rest workers and "
                    f"module processes), {_fmt(run.get('emulator_cpu_s'))} s in the emulator; "
                    f"{report.get('meta', {}).get('nproc', '?')} CPUs."]
    roles = run.get("role_walls") or {}
    if roles:
        out += ["", "| role | wall s (sum of its task walls) | tasks | module invocations (all hosts) |",
                "|---|---:|---:|---:|"]
        for role, v in roles.items():
            out.append(f"| {role} | {_fmt(v['wall_s'])} | {v['tasks']} | {v['invocations']} |")
    tasks = run.get("module_tasks") or []
    if tasks:
        out += ["", f"Slowest module tasks (median duration per host, top {top}):", "",
                "| task | action | hosts | median s | max s |", "|---|---|---:|---:|---:|"]
        for t in tasks[:top]:
            out.append(f"| {t['task']} | {t['action']} | {t['hosts']} | {_fmt(t['median_s'], 2)} "
                       f"| {_fmt(t['max_s'], 2)} |")
    by_region = run.get("calls_by_region") or {}
    if by_region:
        services = {r: calls_by_service(v.get("operations") or {}) for r, v in by_region.items()}
        names = sorted({svc for v in services.values() for svc in v},
                       key=lambda svc: -sum(v.get(svc, {}).get("read", 0) for v in services.values()))
        out += ["", "Read calls by service and region (the service names the module: kms = kms_key, "
                    "ec2 = vpc_network + ec2_security_group, ...):", "",
                "| service | " + " | ".join(services) + " |", "|---|" + "---:|" * len(services)]
        for svc in names:
            out.append(f"| {svc} | " + " | ".join(str(v.get(svc, {}).get("read", 0)) for v in services.values())
                       + " |")
    writes = Counter()
    for v in (run.get("calls_by_region") or {}).values():
        writes.update(v.get("writes") or {})
    if writes:
        out += ["", "Write calls in this no-op run: " + ", ".join(f"{k} x{v}" for k, v in writes.most_common())]
    profile = report.get("profile") or {}
    if profile.get("top_tasks"):
        out += ["", f"ansible.posix.profile_tasks, one extra no-op run ({profile.get('regions')} regions, "
                    f"{_fmt(profile.get('seconds'))} s), top {top}:", "", "| task | s |", "|---|---:|"]
        for t in profile["top_tasks"][:top]:
            out.append(f"| {t['task']} | {_fmt(t['seconds'], 2)} |")
    experiments = report.get("experiments") or []
    if experiments:
        out += ["", "Experiments: no-op runs, variants interleaved with the unchanged configuration (medians):", "",
                "| variant | regions | runs | s | ansible CPU s | failed runs | changed (worst) |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for e in experiments:
            out.append(f"| {e['variant']} | {e['regions']} | {e['runs']} | {_fmt(e['seconds'])} "
                       f"| {_fmt(e.get('ansible_cpu_s'))} | {e['failed']} | {e['changed']} |")
    return out
