"""AWS-equivalent time of a run made against the time-scaled emulator (pure; see bench/README.md).

Under the aws profile the emulator's AWS clock runs ``time_scale`` times faster than real time: an
Aurora cluster that AWS creates in 600 s is ``creating`` for 10 real seconds at a scale of 60. What
does not run on that clock is not scaled: Ansible's own work (process starts, templating, the
modules' CPU) and the per-call latency. So a run's real time is

    T = U + W / S

with U the unscaled part, W the AWS seconds the run waited for transitions and S the scale, and the
AWS-equivalent time, the time the run would take if AWS's transitions took their AWS durations and
everything else what it takes here, is ``U + W``. (``T x S`` would count Ansible's seconds S times.)

W is measured per task, against a reference run: the same playbook on a fresh emulator with the same
latency but a time scale so high that every transition is over before it is looked at. A task that
waited in the scaled run took longer there than in the reference by about its wait, W_task / S; a
task that did not wait takes the same time in both, give or take the machine's noise. With the
linear strategy a task lasts as long as its slowest host, and tasks follow each other, so

    W = S x sum of excess(task), excess = wall(scaled) - wall(reference), over the module tasks
        whose excess is at least ``threshold_s`` (the noise of a task's wall between two runs),

and U = T - sum of excess. The per-task comparison keeps the noise of the tasks that did not wait
(most of them) out of W, where it would be multiplied by S.

Overlapped waits. A transition started without waiting (``wait: false``: Aurora's cluster in
roles/aurora/tasks/present_start.yml, the global table's last replica in roles/dynamodb_global) and
waited for by a later finish task (``OVERLAPPED_WAITS``) runs on the AWS clock while the region does
other work. The excess of the finish task then measures only the part of the transition left when it
starts: the transition took D / S real seconds from t0 (the end of the start task on that host), the
work in between took t_w - t0 real seconds (t_w: the finish task's start), and the excess is
D / S - (t_w - t0). S x excess would count the work in between S times less than AWS would overlap
with the transition. On AWS the work in between takes A(t0, t_w) seconds, its real seconds plus the
AWS waits of the tasks in between minus their real excess (the AWS clock of the run so far), so the
finish task waits

    W_finish = S x (t_e - t0 - r) - A(t0, t_w)

with t_e the finish task's end and r its wall in the reference run (its own work), per host, the
largest over the hosts, and never below S x excess (the plain value) nor 0. Without work in between
(t_w = t0, A = 0) it is the plain S x excess. At S = 60, where the work in between is many real
seconds and A(t0, t_w) close to them, this adds up to (S - 1) x (t_w - t0) to the plain value: whole
AWS minutes.

The formula needs the finish task to have waited in the scaled run. When the transition was over
before it started (D / S < t_w - t0: the module reports no wait, bench_trace records the modules'
``waits``; in a trace without them, an excess below the threshold), t_e says nothing of D: the wait
is hidden. It is counted 0, which is right when A(t0, t_w) >= S x (t_w - t0) (the waits in between
covered it) and otherwise a lower bound: D <= S x (t_w - t0), so the AWS wait is at most
S x (t_w - t0) - A(t0, t_w) (``bound_aws_s``, summed into ``aws_max_s``). A lower time scale shows it.

Approximations: t0 is the end of the start task, a little after the create call (the start task's
work after it is counted S times instead of once); r is the finish task's wall in the reference run,
where it is skipped (nothing pending), so the finish task's own calls around its wait count S times
too: together a few tenths of a real second, some AWS seconds per overlapped wait at S = 60.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bench import analysis

# Excess (real seconds) below which a task is taken not to have waited: the spread of one task's
# wall time between two runs on a loaded 2-CPU machine is about 0.1 s (measured: standard deviation
# 0.08-0.10 s over 90 tasks of a 3-region first converge).
DEFAULT_THRESHOLD_S = 0.3


# Waits that finish what an earlier task of the same role and play started without waiting (role, start
# task, finish task; name patterns matched at the start of the task name without its role prefix):
# roles/aurora/tasks/present_start.yml and finish.yml, roles/dynamodb_global/tasks/start.yml and finish.yml.
OVERLAPPED_WAITS = (
    ("aurora", r"Start the Aurora cluster ", r"Wait for the Aurora cluster "),
    ("dynamodb_global", r"Start the DynamoDB global table", r"Ensure the DynamoDB global table"),
)

# Numbers and hexadecimal ids in task names differ between two runs (the emulator's port, a run id).
RUN_SPECIFIC = re.compile(r"[0-9a-f]*[0-9][0-9a-f]*")


def task_key(play: str, task: str) -> tuple[str, str]:
    """What identifies a task in two runs of one playbook and inventory: its play and its name without
    the numbers and ids that differ from run to run (task names carry the first host of the batch,
    the same in both runs)."""
    return play, RUN_SPECIFIC.sub("#", task)


def keyed_task_walls(results: Iterable[dict]) -> dict[tuple[str, str, int], dict]:
    """{(play, task name, occurrence): task wall} (analysis.task_walls with per_host), in start order.

    occurrence tells apart tasks of the same name in the same play (a role included twice).
    """
    out: dict[tuple[str, str, int], dict] = {}
    for wall in analysis.task_walls(results, per_host=True):
        play, name = task_key(wall["play"], wall["task"])
        occurrence = 0
        while (play, name, occurrence) in out:
            occurrence += 1
        out[(play, name, occurrence)] = wall
    return out


def overlap_pair(wall: dict, pairs=OVERLAPPED_WAITS) -> tuple[str, str] | None:
    """(role, start-task pattern) of the task that started what this task (a finish task) waits for."""
    role = wall["role"].rsplit(".", 1)[-1]
    name = _bare_name(wall["task"])
    for pair_role, start, finish in pairs:
        if role == pair_role and re.match(finish, name):
            return pair_role, start
    return None


def _bare_name(task: str) -> str:
    """A task name without the 'namespace.collection.role : ' prefix Ansible gives a role's tasks."""
    return task.split(" : ", 1)[1] if " : " in task else task


def _ran(entry: dict) -> bool:
    return entry.get("status") not in ("skipped", None)


class _AwsClock:
    """Real seconds of the scaled run -> AWS-equivalent seconds, from the waits counted so far.

    Between two instants of the scaled run the AWS clock advances by the real seconds in between plus,
    for each task wholly in between that waited, its AWS wait minus its real excess (the task's wait
    took its excess in real time and its AWS wait on AWS).
    """

    def __init__(self) -> None:
        self.tasks: list[tuple[float, float, float]] = []  # (start, end, AWS wait - real excess)

    def add(self, start: float, end: float, aws_s: float, excess_s: float) -> None:
        self.tasks.append((start, end, aws_s - excess_s))

    def elapsed(self, begin: float, end: float, slack: float = 0.01) -> float:
        return (end - begin) + sum(extra for start, stop, extra in self.tasks
                                   if start >= begin - slack and stop <= end + slack)


def _overlap(wall: dict, before: dict, started: dict, clock: _AwsClock, time_scale: float,
             threshold_s: float) -> dict | None:
    """The AWS wait of a finish task (its hosts' largest) from the end of the start task on each host.

    Returns {aws_s, after_real_s, after_aws_s, hidden, bound_aws_s} or None (no host ran both tasks).
    hidden: the transition was over before the finish task looked (the module reported no wait, or,
    in a trace without the modules' waits, the task's excess is below the threshold); its AWS wait is
    then between 0 and bound_aws_s and counted as 0.
    """
    rows = []
    for host, finish in wall["per_host"].items():
        begin = (started["per_host"].get(host) or {})
        if not (_ran(finish) and _ran(begin)):
            continue
        t0, t_w, t_e = begin["end"], finish["start"], finish["end"]
        reference = (before.get("per_host") or {}).get(host) or {}
        ref_s = reference["end"] - reference["start"] if reference else before["wall_s"]
        after_aws = clock.elapsed(t0, t_w)
        # The module's own word when the trace has it, else the excess.
        waits = finish.get("waits")
        waited = bool(waits) if waits is not None else (t_e - t_w) - ref_s >= threshold_s
        rows.append({
            "host": host,
            "after_real_s": round(t_w - t0, 2),
            "after_aws_s": round(after_aws, 1),
            "waited": waited,
            # waited: the transition took S x (t_e - t0 - the task's own work) AWS seconds from t0, of which
            # after_aws had gone by when the task started.
            "aws_s": time_scale * (t_e - t0 - ref_s) - after_aws if waited else 0.0,
            # hidden: it took at most S x (t_w - t0).
            "bound_s": 0.0 if waited else max(time_scale * (t_w - t0) - after_aws, 0.0),
        })
    if not rows:
        return None
    worst = max(rows, key=lambda r: (r["aws_s"], r["bound_s"]))
    hidden = not any(r["waited"] for r in rows)
    return {"aws_s": max(worst["aws_s"], 0.0), "after_real_s": worst["after_real_s"],
            "after_aws_s": worst["after_aws_s"], "hidden": hidden,
            "bound_aws_s": round(max(r["bound_s"] for r in rows), 1) if hidden else 0.0}


def aws_equivalent(reference_results: Iterable[dict], scaled_results: Iterable[dict], scaled_seconds: float,
                   time_scale: float, threshold_s: float = DEFAULT_THRESHOLD_S,
                   pairs=OVERLAPPED_WAITS) -> dict:
    """The AWS-equivalent time of the scaled run (module docstring).

    Returns {aws_s, unscaled_s, waited_real_s, waited_aws_s, waits: [{role, task, action, reference_s,
    scaled_s, excess_s, aws_s, overlap}] (longest AWS wait first), hidden: [{task, start_task,
    after_real_s, after_aws_s, bound_aws_s}], aws_max_s, unmatched: tasks of the scaled run the
    reference lacks}. overlap: None, or {start_task, after_real_s, after_aws_s, plain_aws_s} when the
    wait was counted from the start task (overlapped with the work in between).

    aws_s counts the hidden waits 0; aws_max_s counts each at its bound, on the AWS clock (a hidden
    wait at its bound shortens what a later overlapped wait can be), so that it is the longest the run
    can have taken, not the sum of the bounds taken one by one (bound_aws_s).
    """
    reference = keyed_task_walls(reference_results)
    scaled = keyed_task_walls(scaled_results)
    waits, hidden, unmatched = _count(reference, scaled, time_scale, threshold_s, pairs, hidden_at_bound=False)
    waits_max, hidden_max, _unmatched = _count(reference, scaled, time_scale, threshold_s, pairs, hidden_at_bound=True)

    def total(counted: list[dict], bounds: float) -> tuple[float, float, float]:
        waited_real = sum(w["excess_s"] for w in counted)
        unscaled = max(scaled_seconds - waited_real, 0.0)
        waited_aws = sum(w["aws_s"] for w in counted)
        return unscaled + waited_aws + bounds, unscaled, waited_real

    aws, unscaled, waited_real = total(waits, 0.0)
    aws_max = total(waits_max, sum(h["bound_aws_s"] for h in hidden_max))[0]
    return {
        "aws_s": round(aws, 1),
        "aws_max_s": round(max(aws_max, aws), 1),
        "unscaled_s": round(unscaled, 1),
        "waited_real_s": round(waited_real, 2),
        "waited_aws_s": round(sum(w["aws_s"] for w in waits), 1),
        "waits": sorted(waits, key=lambda w: -w["aws_s"]),
        "hidden": hidden,
        "unmatched": unmatched,
    }


def _count(reference: dict, scaled: dict, time_scale: float, threshold_s: float, pairs,
           hidden_at_bound: bool) -> tuple[list[dict], list[dict], int]:
    """The waits of the scaled run in start order on its AWS clock: (waits, hidden waits, unmatched tasks).

    hidden_at_bound: a hidden wait advances the AWS clock by its bound instead of 0.
    """
    waits, hidden, unmatched = [], [], 0
    clock = _AwsClock()
    starts: dict[tuple[str, str, str], dict] = {}  # (play, role, start pattern) -> the latest start task
    for key, wall in scaled.items():
        role = wall["role"].rsplit(".", 1)[-1]
        for pair_role, start, _finish in pairs:
            if role == pair_role and re.match(start, _bare_name(wall["task"])):
                starts[(wall["play"], pair_role, start)] = wall
        before = reference.get(key)
        if before is None:
            unmatched += 1
            continue
        excess = wall["wall_s"] - before["wall_s"]
        plain = excess * time_scale
        pair = overlap_pair(wall, pairs) if wall["invocations"] else None
        started = starts.get((wall["play"], *pair)) if pair else None
        overlap = _overlap(wall, before, started, clock, time_scale, threshold_s) if started else None
        if overlap and overlap["hidden"]:
            hidden.append({"task": wall["task"], "start_task": started["task"],
                           "after_real_s": overlap["after_real_s"], "after_aws_s": overlap["after_aws_s"],
                           "bound_aws_s": overlap["bound_aws_s"]})
            if hidden_at_bound:
                clock.add(wall["start"], wall["end"], overlap["bound_aws_s"], 0.0)
            continue  # its excess is the module's calls, not a wait
        corrected = overlap is not None and overlap["aws_s"] > plain
        if wall["invocations"] and (excess >= threshold_s or corrected):
            aws = overlap["aws_s"] if corrected else plain
            clock.add(wall["start"], wall["end"], aws, excess)
            waits.append({
                "role": wall["role"],
                "task": wall["task"],
                "action": wall["action"],
                "reference_s": round(before["wall_s"], 2),
                "scaled_s": round(wall["wall_s"], 2),
                "excess_s": round(excess, 2),
                "aws_s": round(aws, 1),
                "overlap": {"start_task": started["task"], "after_real_s": overlap["after_real_s"],
                            "after_aws_s": overlap["after_aws_s"], "plain_aws_s": round(plain, 1)}
                if corrected else None,
            })
    return waits, hidden, unmatched
