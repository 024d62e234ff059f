"""The benchmark under the emulator's aws profile: call latency, AWS's timing, credential resolution.

Three parts (bench/README.md explains each figure; pure parts in bench/aws_time.py,
bench/critical_path.py and bench/aws_report.py):

* latency: the dev stack (3 regions) converged once, then no-op and ``--check --diff`` runs at 0, 60
  and 150 ms per call, interleaved round by round, calls counted from the emulator's call log;
* credentials: one no-op through an assume-role profile (STS AssumeRole answered by the emulator),
  with an empty credential cache and again with the cache the first run left;
* time-scaled: first converge and teardown of dev and of prod (3 regions) on the aws profile's AWS
  clock (``time_scale``), each next to a reference run of the same playbook whose transitions are
  instant, giving the AWS-equivalent time (bench/aws_time.py) and the critical path.

The latency emulator's first converge and final teardown are the dev reference runs (same latency,
transitions instant), so dev costs no extra runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from bench import analysis, aws_time, critical_path
from bench.resources import count_resources
from bench.runner import REGIONS, REPO_ROOT, SAFE_ENV, Runner, control, logged, private_emulator, write_inventory

REGION_COUNT = 3
LATENCIES_MS = (0, 60, 150)
# Latency of the reference and time-scaled runs (real milliseconds per call, as latency_ms).
TIMED_LATENCY_MS = 60
JITTER = 0.2
# At 60 the region's real-time work (Ansible, 60 ms calls) outlasts Aurora's ten AWS minutes (10 real s),
# which then finish unseen and only bound the first converge (bench/README.md, run G); at 10 they are measured.
DEFAULT_TIME_SCALE = 10.0
# A time scale at which every transition of the aws profile is over before anything looks at it
# (the longest, lambda.eni.linger, 1800 AWS seconds, lasts 1.8 real milliseconds).
INSTANT_TIME_SCALE = 1_000_000.0
# How often the modules poll, in AWS seconds (their default on AWS); the bench converts it to real
# seconds for TAP_WAIT_POLL_SECONDS.
AWS_POLL_SECONDS = 10.0
MIN_POLL_SECONDS = 0.05
# Propagation delays are seconds on AWS, but the modules retry them after a fixed real-time sleep
# (2-5 s) that the time scale would turn into minutes; they are off in these runs (bench/README.md).
NO_PROPAGATION = {"iam.role.propagation": 0.0, "kms.policy.propagation": 0.0, "lambda.permission.propagation": 0.0}
# The instance class the spec gives each environment, used when the settings name one AWS does not sell
# for the engine version (the aws profile refuses those as AWS does).
SPEC_INSTANCE_CLASSES = {"dev": "db.t4g.medium", "staging": "db.t4g.medium", "prod": "db.r5.large"}
ROLE_ARN = "arn:aws:iam::123456789012:role/tap-bench-deployer"
ROLE_PROFILE = "tap-bench-deployer"


def aws_settings(latency_ms: float, time_scale: float) -> dict:
    return {"name": "aws", "latency_ms": float(latency_ms), "jitter": JITTER, "time_scale": float(time_scale),
            "durations": dict(NO_PROPAGATION)}


def durations_of(settings: dict) -> dict[str, float]:
    """The AWS durations the emulator uses under these settings (emulator.profile.duration)."""
    from emulator import profile

    return {**profile.DEFAULT_DURATIONS, **(settings.get("durations") or {})}


def poll_env(time_scale: float) -> dict:
    return {"TAP_WAIT_POLL_SECONDS": f"{max(AWS_POLL_SECONDS / time_scale, MIN_POLL_SECONDS):.4f}"}


def instance_class_override(environment: str) -> tuple[list[str], str | None]:
    """(extra args, note) when the settings role names an Aurora class AWS does not sell for the engine."""
    from emulator import rds_catalog

    settings = yaml.safe_load((REPO_ROOT / "roles" / "settings" / "defaults" / "main.yml").read_text()) or {}
    row = (settings.get("tap_environment_settings") or {}).get(environment) or {}
    chosen = row.get("aurora_instance_class")
    version = settings.get("aurora_engine_version")
    if chosen and version and rds_catalog.orderable("aurora-mysql", str(version), chosen) is False:
        spec = SPEC_INSTANCE_CLASSES[environment]
        note = (f"the settings role names {chosen} for {environment}, which AWS does not sell for Aurora MySQL "
                f"{version} (the aws profile refuses it like AWS); the aws-profile runs of {environment} use the "
                f"spec's {spec} (-e aurora_instance_class={spec})")
        return ["-e", f"aurora_instance_class={spec}"], note
    return [], None


def teardown_args(environment: str) -> list[str]:
    return ["-e", f"confirm_destroy={environment}"]


class AwsBench:
    """Runs the three parts; every run's record and every failure is kept for the report."""

    def __init__(self, runner: Runner, workdir: Path, rounds: int, time_scale: float, keep_note: str = ""):
        self.runner, self.workdir, self.rounds, self.time_scale = runner, workdir, rounds, time_scale
        self.keep_note = keep_note
        self.regions = list(REGIONS)[:REGION_COUNT]
        self.inventories = {env: write_inventory(workdir / f"inventory-aws-{env}",
                                                 dict(list(REGIONS.items())[:REGION_COUNT]), env)
                            for env in ("dev", "prod")}
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.runs: list[dict] = []
        self.extra_args: dict[str, list[str]] = {}
        for env in ("dev", "prod"):
            args, note = instance_class_override(env)
            self.extra_args[env] = args
            if note:
                self.notes.append(note)

    # ------------------------------------------------------------------ helpers

    def _run(self, url: str, pid: int, name: str, playbook: str, environment: str, args=(), env=None,
             expect_unchanged: bool = False) -> tuple[dict, list[dict]]:
        run, calls = logged(self.runner, url, f"aws-{name}", playbook=playbook,
                            inventory=self.inventories[environment], pid=pid,
                            args=(*self.extra_args[environment], *args), env=env)
        changed = analysis.changed_total(run["stats"])
        self.runs.append({"name": name, "seconds": run["seconds"], "rc": run["rc"], "changed": changed,
                          "ansible_cpu_s": run["ansible_cpu_s"], "emulator_cpu_s": run["emulator_cpu_s"],
                          "log": run["log"]})
        if run["rc"] != 0:
            self.failures.append(f"aws-{name}: rc={run['rc']}, {first_failure(run['stdout'])} see {run['log']}"
                                 + self.keep_note)
        elif expect_unchanged and changed:
            self.failures.append(f"aws-{name}: changed={changed}, expected 0")
        return run, calls

    # ------------------------------------------------------------------ parts

    def latency_and_credentials(self) -> tuple[dict, dict, dict]:
        """Latency runs and credential runs on one dev emulator; returns (latency, credentials, dev reference)."""
        settings = aws_settings(TIMED_LATENCY_MS, INSTANT_TIME_SCALE)
        env = poll_env(INSTANT_TIME_SCALE)
        reference: dict = {}
        samples: dict[int, list[dict]] = {latency: [] for latency in LATENCIES_MS}
        credentials: dict = {}
        resources: dict = {}
        with private_emulator(self.workdir / "emulator-aws-latency", settings) as (url, pid):
            first, _calls = self._run(url, pid, "dev-reference-first", "site.yml", "dev", env=env)
            reference["first"] = first
            if first["rc"] == 0:
                control.set_profile(url, latency_ms=0.0)
                resources = {r: (v or {}).get("total") for r, v in count_resources(url, self.regions).items()}
                for round_ in range(self.rounds):
                    for latency in LATENCIES_MS:
                        control.set_profile(url, latency_ms=float(latency))
                        sample = {}
                        for kind, args in (("noop", ()), ("check", ("--check", "--diff"))):
                            run, calls = self._run(url, pid, f"dev-{kind}-{latency}ms-round{round_}", "site.yml",
                                                   "dev", args=args, env=env, expect_unchanged=kind == "noop")
                            sample[kind] = summarize_call_run(run, calls)
                        samples[latency].append(sample)
                control.set_profile(url, latency_ms=0.0)
                credentials = self.credentials(url, pid, env)
                control.set_profile(url, latency_ms=float(TIMED_LATENCY_MS))
                reference["teardown"], _calls = self._run(url, pid, "dev-reference-teardown",
                                                          "playbooks/teardown.yml", "dev",
                                                          args=teardown_args("dev"), env=env)
        latency = {"regions": REGION_COUNT, "rounds": self.rounds, "resources": resources,
                   "by_latency": {str(ms): summarize_latency(s, resources) for ms, s in samples.items()}}
        return latency, credentials, reference

    def credentials(self, url: str, pid: int, env: dict) -> dict:
        """Two no-op runs through an assume-role profile: credential cache empty, then as the first left it."""
        home = self.workdir / "aws-home"
        config = self.workdir / "aws-config"
        shared = self.workdir / "aws-credentials"
        home.mkdir(parents=True, exist_ok=True)
        # Fake keys the emulator accepts (SAFE_ENV's); STS AssumeRole goes to the emulator through endpoint_url.
        shared.write_text(f"[tap-bench-source]\naws_access_key_id = {SAFE_ENV['AWS_ACCESS_KEY_ID']}\n"
                          f"aws_secret_access_key = {SAFE_ENV['AWS_SECRET_ACCESS_KEY']}\n")
        config.write_text(f"[profile tap-bench-source]\nregion = us-east-1\nendpoint_url = {url}\n\n"
                          f"[profile {ROLE_PROFILE}]\nrole_arn = {ROLE_ARN}\nsource_profile = tap-bench-source\n"
                          f"region = us-east-1\nendpoint_url = {url}\n")
        extra_vars = self.workdir / "aws-profile-vars.json"
        extra_vars.write_text(json.dumps({"tap_aws_profile": ROLE_PROFILE,
                                          "tap_aws_emulator_connection": {"endpoint_url": url}}))
        run_env = dict(env, HOME=str(home), AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(shared),
                       AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_SESSION_TOKEN=None)
        out = {"role_arn": ROLE_ARN, "accounts": 1}
        for label in ("cold", "warm"):
            run, calls = self._run(url, pid, f"dev-noop-assume-role-{label}", "site.yml", "dev",
                                   args=("-e", f"@{extra_vars}"), env=run_env, expect_unchanged=True)
            out[label] = summarize_credentials(run, calls)
        out["cache_files"] = len(list((home / ".aws" / "cli" / "cache").glob("*.json")))
        return out

    def timed(self, environment: str, time_scale: float) -> dict:
        """First converge and teardown of environment on a fresh emulator at time_scale: {first, teardown} runs."""
        settings = aws_settings(TIMED_LATENCY_MS, time_scale)
        tag = "scaled" if time_scale != INSTANT_TIME_SCALE else "reference"
        out = {}
        with private_emulator(self.workdir / f"emulator-aws-{environment}-{tag}", settings) as (url, pid):
            first, _calls = self._run(url, pid, f"{environment}-{tag}-first", "site.yml", environment,
                                      env=poll_env(time_scale))
            out["first"] = first
            if first["rc"] == 0:
                out["teardown"], _calls = self._run(url, pid, f"{environment}-{tag}-teardown",
                                                    "playbooks/teardown.yml", environment,
                                                    args=teardown_args(environment), env=poll_env(time_scale))
        return out

    def run(self) -> dict:
        latency, credentials, dev_reference = self.latency_and_credentials()
        timed = {}
        for environment in ("dev", "prod"):
            reference = dev_reference if environment == "dev" else self.timed(environment, INSTANT_TIME_SCALE)
            scaled = self.timed(environment, self.time_scale)
            timed[environment] = {
                kind: timed_figures(reference.get(run_kind), scaled.get(run_kind), self.time_scale,
                                    durations_of(aws_settings(TIMED_LATENCY_MS, self.time_scale)), self.regions,
                                    environment == "prod", kind)
                for kind, run_kind in ((critical_path.CONVERGE, "first"), (critical_path.TEARDOWN, "teardown"))
            }
        return {
            "settings": {"latencies_ms": list(LATENCIES_MS), "timed_latency_ms": TIMED_LATENCY_MS, "jitter": JITTER,
                         "time_scale": self.time_scale, "reference_time_scale": INSTANT_TIME_SCALE,
                         "poll_aws_s": AWS_POLL_SECONDS, "durations_off": sorted(NO_PROPAGATION),
                         "modules_honour_poll_setting": modules_honour_poll_setting(),
                         "threshold_s": aws_time.DEFAULT_THRESHOLD_S, "regions": self.regions},
            "latency": latency,
            "credentials": credentials,
            "timed": timed,
            "notes": self.notes,
            "failures": self.failures,
            "runs": self.runs,
        }


# ---------------------------------------------------------------------------------------------
# Figures of the runs (the arithmetic is in the pure modules)
# ---------------------------------------------------------------------------------------------


def first_failure(stdout: str, limit: int = 300) -> str:
    """The first failure message ('msg:' of a failed task, with its continuation lines), shortened."""
    lines = stdout.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("msg:") and any("FAILED!" in x for x in lines[max(0, i - 40):i]):
            indent = len(line) - len(line.lstrip())
            parts = [line.strip()[len("msg:"):].strip()]
            for more in lines[i + 1:]:
                if not more.strip() or len(more) - len(more.lstrip()) <= indent:
                    break
                parts.append(more.strip())
            text = " ".join(p for p in parts if p)
            return (text[:limit] + "...;") if len(text) > limit else text + ";"
    return ""


def summarize_call_run(run: dict, calls: list[dict]) -> dict:
    by_region = analysis.calls_by_region(calls)
    return {
        "seconds": run["seconds"],
        "rc": run["rc"],
        "changed": analysis.changed_total(run["stats"]),
        "ansible_cpu_s": run["ansible_cpu_s"],
        "reads": {r: v["read"] for r, v in by_region.items()},
        "writes": {r: v["write"] for r, v in by_region.items()},
        "data_writes": {r: v["data_write"] for r, v in by_region.items()},
    }


def summarize_latency(samples: list[dict], resources: dict) -> dict:
    """Medians over the rounds of one latency."""
    ok = {kind: [s[kind] for s in samples if kind in s and s[kind]["rc"] == 0] for kind in ("noop", "check")}

    def per_region(kind, key):
        regions = sorted({r for s in ok[kind] for r in s[key]})
        return {r: analysis.median(s[key].get(r, 0) for s in ok[kind]) for r in regions}

    reads = per_region("noop", "reads")
    ratios = [reads[r] / resources[r] for r in reads if resources.get(r) and reads[r] is not None]
    return {
        "runs": len(samples),
        "noop_s": analysis.median(s["seconds"] for s in ok["noop"]),
        "check_s": analysis.median(s["seconds"] for s in ok["check"]),
        "noop_cpu_s": analysis.median(s["ansible_cpu_s"] for s in ok["noop"]),
        "noop_changed": max((s["changed"] for s in ok["noop"]), default=None),
        "check_changed": max((s["changed"] for s in ok["check"]), default=None),
        "reads": reads,
        "writes": per_region("noop", "writes"),
        "data_writes": per_region("noop", "data_writes"),
        "check_writes": per_region("check", "writes"),
        "reads_per_resource": round(max(ratios), 2) if ratios else None,
    }


def summarize_credentials(run: dict, calls: list[dict]) -> dict:
    by_region = analysis.calls_by_region(calls)
    return {
        "seconds": run["seconds"],
        "rc": run["rc"],
        "changed": analysis.changed_total(run["stats"]),
        "assume_role": sum(v["credential"] for v in by_region.values()),
        "workers": analysis.worker_processes(run["results"]),
        "calls": sum(v["read"] + v["write"] for v in by_region.values()),
    }


def timed_figures(reference: dict | None, scaled: dict | None, time_scale: float, durations: dict,
                  regions: list[str], global_database: bool, kind: str) -> dict:
    path = critical_path.critical_path(durations, regions, global_database=global_database, kind=kind)
    out: dict = {"critical_path": path}
    if scaled is None or reference is None:
        out["missing"] = "reference" if reference is None else "scaled run"
        return out
    out.update(real_s=scaled["seconds"], reference_s=reference["seconds"], rc=scaled["rc"],
               reference_rc=reference["rc"])
    if reference["rc"] == 0:
        # A failed scaled run still shows how long it took until it failed; no ratio then.
        out.update(aws_time.aws_equivalent(reference["results"], scaled["results"], scaled["seconds"], time_scale))
        if scaled["rc"] == 0 and path["seconds"]:
            out["ratio"] = round(out["aws_s"] / path["seconds"], 2)
        if scaled["rc"] != 0:
            out["failed"] = first_failure(scaled["stdout"]) or f"rc={scaled['rc']}"
    return out


def modules_honour_poll_setting() -> bool:
    """Whether module_utils/base.py reads TAP_WAIT_POLL_SECONDS (another change adds it)."""
    try:
        return "TAP_WAIT_POLL_SECONDS" in (REPO_ROOT / "plugins" / "module_utils" / "base.py").read_text()
    except OSError:
        return False
