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
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bench import analysis

# Excess (real seconds) below which a task is taken not to have waited: the spread of one task's
# wall time between two runs on a loaded 2-CPU machine is about 0.1 s (measured: standard deviation
# 0.08-0.10 s over 90 tasks of a 3-region first converge).
DEFAULT_THRESHOLD_S = 0.3


# Numbers and hexadecimal ids in task names differ between two runs (the emulator's port, a run id).
RUN_SPECIFIC = re.compile(r"[0-9a-f]*[0-9][0-9a-f]*")


def task_key(play: str, task: str) -> tuple[str, str]:
    """What identifies a task in two runs of one playbook and inventory: its play and its name without
    the numbers and ids that differ from run to run (task names carry the first host of the batch,
    the same in both runs)."""
    return play, RUN_SPECIFIC.sub("#", task)


def keyed_task_walls(results: Iterable[dict]) -> dict[tuple[str, str, int], dict]:
    """{(play, task name, occurrence): task wall} (analysis.task_walls), in start order.

    occurrence tells apart tasks of the same name in the same play (a role included twice).
    """
    out: dict[tuple[str, str, int], dict] = {}
    for wall in analysis.task_walls(results):
        play, name = task_key(wall["play"], wall["task"])
        occurrence = 0
        while (play, name, occurrence) in out:
            occurrence += 1
        out[(play, name, occurrence)] = wall
    return out


def aws_equivalent(reference_results: Iterable[dict], scaled_results: Iterable[dict], scaled_seconds: float,
                   time_scale: float, threshold_s: float = DEFAULT_THRESHOLD_S) -> dict:
    """The AWS-equivalent time of the scaled run (module docstring).

    Returns {aws_s, unscaled_s, waited_real_s, waited_aws_s, waits: [{role, task, action, reference_s,
    scaled_s, excess_s, aws_s}] (longest first), unmatched: tasks of the scaled run the reference lacks}.
    """
    reference = keyed_task_walls(reference_results)
    scaled = keyed_task_walls(scaled_results)
    waits, unmatched = [], 0
    for key, wall in scaled.items():
        before = reference.get(key)
        if before is None:
            unmatched += 1
            continue
        excess = wall["wall_s"] - before["wall_s"]
        if wall["invocations"] and excess >= threshold_s:
            waits.append({
                "role": wall["role"],
                "task": wall["task"],
                "action": wall["action"],
                "reference_s": round(before["wall_s"], 2),
                "scaled_s": round(wall["wall_s"], 2),
                "excess_s": round(excess, 2),
                "aws_s": round(excess * time_scale, 1),
            })
    waited_real = sum(w["excess_s"] for w in waits)
    unscaled = max(scaled_seconds - waited_real, 0.0)
    waited_aws = waited_real * time_scale
    return {
        "aws_s": round(unscaled + waited_aws, 1),
        "unscaled_s": round(unscaled, 1),
        "waited_real_s": round(waited_real, 2),
        "waited_aws_s": round(waited_aws, 1),
        "waits": sorted(waits, key=lambda w: -w["excess_s"]),
        "unmatched": unmatched,
    }
