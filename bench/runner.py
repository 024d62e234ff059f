"""What every benchmark run needs: inventories, a private emulator, its call log, and a timed playbook run.

Shared by the zero-latency suite (bench/suite.py) and the aws-profile runs (bench/aws_suite.py).
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
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

# Never reach real AWS, whatever the caller's environment holds.
SAFE_ENV = {
    "AWS_ACCESS_KEY_ID": "tap-emulator",
    "AWS_SECRET_ACCESS_KEY": "tap-emulator-key",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from emulator import control  # noqa: E402 - the repository root is on sys.path only from here


def write_inventory(directory: Path, regions: dict[str, str], environment: str = "dev") -> Path:
    """An inventory like inventories/local (tests/integration/helpers.make_inventory does the same).

    environment: dev (the one inventories/local deploys) or prod (a bench-only prod inventory
    against the emulator: the prod row of the settings role, the emulator's connection).
    """
    directory.mkdir(parents=True, exist_ok=True)
    hosts = {
        "all": {
            "children": {
                environment: {
                    "children": {
                        "regions": {"hosts": {r: {"vpc_cidr": c} for r, c in regions.items()}},
                        "controller": {"hosts": {"localhost": None}},
                    }
                },
                "primary": {"hosts": {next(iter(regions)): None}},
                "emulator": {"children": {environment: None}},
            }
        }
    }
    (directory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    link = directory / "group_vars"
    if not link.exists():
        link.symlink_to(REPO_ROOT / "group_vars")
    return directory


@contextlib.contextmanager
def private_emulator(state_dir: Path, settings: dict | None = None):
    """A fresh emulator (behaviour profile settings, default: moto's instant one); yields (url, pid)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with control.running(state_dir, settings=settings) as url:
        yield url, int((state_dir / "pid").read_text())


def process_cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


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
        for key, value in (env or {}).items():  # None removes a variable
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
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
                  f"{run['emulator_cpu_s']}s) changed={analysis.changed_total(run['stats'])}", flush=True)
        return run


def logged(runner: Runner, url: str, name: str, **kwargs) -> tuple[dict, list[dict]]:
    """A playbook run and the AWS calls the emulator answered meanwhile (its call log, emulator.middleware)."""
    mark = control.last_call_seq(url)
    run = runner.run(name, url=url, **kwargs)
    return run, analysis.parse_call_log(control.calls(url, mark))
