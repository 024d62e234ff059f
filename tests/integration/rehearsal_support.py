"""What the rehearsal (test_rehearsal.py) needs: playbook runs against its own aws-profile emulator,
watched through the emulator's call log while they run, with their real and AWS-equivalent durations.

AWS-equivalent time. Under the aws profile only AWS's transitions run on the emulator's AWS clock
(time_scale AWS seconds per real second); Ansible's own work does not. A run that took T real seconds,
W of them waiting for transitions, would take about T - W + W x time_scale on AWS: W is what the modules
report in ``waits`` (module_utils/base.py), per task the longest of its hosts (tasks of a play follow each
other, each as long as its slowest host), summed over the tasks (tests/integration/callback_plugins/
rehearsal_trace.py records it). The emulator's AWS clock itself (GET /tap-emulator/clock) advances
time_scale-fold during the whole run, Ansible's seconds included, so its difference is an upper bound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from support import FAKE_CREDENTIALS, REPO_ROOT, PlaybookRun

from emulator import control

CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"
# How often a watched run's new calls are read from the emulator's call log (real seconds).
WATCH_EVERY = 0.2


def aws_equivalent(trace: list[dict], real_seconds: float, time_scale: float) -> dict:
    """{waited_real_s, aws_s}: the run's real time with the modules' waits counted on AWS's clock."""
    by_task: dict[str, float] = {}
    for record in trace:
        by_task[record["uuid"]] = max(by_task.get(record["uuid"], 0.0), float(record.get("waited") or 0.0))
    waited = min(sum(by_task.values()), real_seconds)
    return {"waited_real_s": round(waited, 2), "aws_s": round(real_seconds - waited + waited * time_scale)}


def read_trace(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class RehearsalRun(PlaybookRun):
    """A playbook run of the rehearsal: PlaybookRun plus its durations and the AWS calls it made."""

    def __init__(self, proc: subprocess.CompletedProcess, name: str):
        super().__init__(proc)
        self.name = name
        self.real_s = self.clock_s = self.aws_s = self.waited_real_s = 0.0
        self.calls: list[dict] = []

    def faults(self, *codes: str) -> list[dict]:
        """Calls the emulator answered with an injected fault (of one of codes, when given)."""
        return [c for c in self.calls if c.get("fault") and (not codes or c["fault"] in codes)]

    def refused(self, *operations: str, status: int = 400) -> list[dict]:
        """Calls of these operations that AWS (not an injected fault) answered with status."""
        return [c for c in self.calls if c["operation"] in operations and c["status"] == status and not c.get("fault")]

    def writes(self) -> list[dict]:
        return [c for c in self.calls if c["kind"] == "write"]

    def summary(self) -> dict:
        """Durations, calls, injected faults, and the writes AWS refused (its rules and states, not a fault)."""
        refused = Counter(f"{c['operation']} {c['status']}" for c in self.writes()
                          if c["status"] >= 400 and not c.get("fault"))  # fmt: skip
        return {"run": self.name, "rc": self.rc, "changed": self.changed(), "real_s": round(self.real_s, 1),
                "waited_real_s": self.waited_real_s, "aws_equivalent_min": round(self.aws_s / 60, 1),
                "aws_clock_min": round(self.clock_s / 60, 1), "calls": len(self.calls),
                "faults": len(self.faults()), "refused_writes": dict(sorted(refused.items()))}  # fmt: skip


class Rehearsal:
    """Runs playbooks against the rehearsal's emulator, keeps every run's summary."""

    def __init__(self, url: str, workdir: Path, time_scale: float):
        self.url, self.workdir, self.time_scale = url, workdir, time_scale
        self.runs: list[RehearsalRun] = []

    def environment(self, trace: Path) -> dict:
        env = dict(os.environ)
        env.update(FAKE_CREDENTIALS)
        env.pop("AWS_PROFILE", None)
        env.update(
            TAP_EMULATOR_URL=self.url,
            TAP_OUTPUTS_DIR=str(self.workdir / "outputs"),
            # Modules poll every 10 AWS seconds, as on AWS; their own intervals shrink with it (base.scaled).
            TAP_WAIT_POLL_SECONDS=f"{10.0 / self.time_scale:.4f}",
            ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR),
            ANSIBLE_CALLBACKS_ENABLED="tap.multiregion.summary,rehearsal_trace",
            REHEARSAL_TRACE_FILE=str(trace),
            PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
        )
        return env

    def play(self, name: str, playbook: str, inventory: Path, *args: str,
             watch: Callable[[list[dict]], None] | None = None, timeout: float = 900) -> RehearsalRun:
        """Run a playbook; watch(new calls) is called while it runs, every WATCH_EVERY seconds."""
        trace, log, errors = (self.workdir / f"{name}.{ext}" for ext in ("trace.jsonl", "log", "err"))
        mark = seen = control.last_call_seq(self.url)
        clock, started = control.clock(self.url), time.monotonic()
        command = [str(Path(sys.executable).parent / "ansible-playbook"), playbook, "-i", str(inventory), *args]
        with open(log, "w") as out, open(errors, "w") as err:
            proc = subprocess.Popen(command, cwd=REPO_ROOT, env=self.environment(trace), stdout=out, stderr=err)
            while proc.poll() is None:
                if time.monotonic() - started > timeout:
                    proc.kill()
                    break
                time.sleep(WATCH_EVERY)
                if watch is not None:
                    new = control.calls(self.url, seen)
                    if new:
                        seen = new[-1]["seq"]
                        watch(new)
            proc.wait()
        real = time.monotonic() - started
        done = subprocess.CompletedProcess(command, proc.returncode, log.read_text(), errors.read_text())
        run = RehearsalRun(done, name)
        run.real_s, run.clock_s = real, control.clock(self.url) - clock
        run.calls = control.calls(self.url, mark)
        equivalent = aws_equivalent(read_trace(trace), real, self.time_scale)
        run.aws_s, run.waited_real_s = equivalent["aws_s"], equivalent["waited_real_s"]
        self.runs.append(run)
        return run

    def report(self) -> list[dict]:
        return [run.summary() for run in self.runs]
