"""Targets and tables of the aws-profile part of the benchmark (pure; unit-tested).

The targets are those of the issue "Fast on real AWS" (benchmark figures, not timed tests); the
zero-latency figures are compared with bench/baseline.json (the figures of the commit before it).
"""

from __future__ import annotations

from bench.analysis import _fmt, _verdict

AWS_TARGETS = {
    "latency_150_over_0_max": 1.5,
    "first_over_critical_path_max": 1.2,
    "reads_per_resource_max": 1.2,
    "baseline_worse_max": 1.10,
}
# Zero-latency figures (3 regions) compared with the baseline: (summary key, label).
BASELINE_FIGURES = (
    ("first_s", "first converge s"),
    ("noop_s", "no-op s"),
    ("check_s", "check --diff s"),
    ("noop_ansible_cpu_s", "no-op ansible CPU s"),
    ("reads_per_resource", "no-op reads per resource"),
)
TIMED_ROWS = (("dev", "converge", "dev first converge"), ("dev", "teardown", "dev teardown"),
              ("prod", "converge", "prod first converge"), ("prod", "teardown", "prod teardown"))


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 2)


def _row(rows: list, target: str, value, limit, passed, detail: str = "") -> None:
    rows.append({"target": target, "value": value, "limit": limit, "passed": passed, "detail": detail})


def zero_latency_figures(summary_3: dict) -> dict:
    """The 3-region zero-latency figures compared with the baseline, from the suite's summary of 3 regions."""
    per_region = (summary_3 or {}).get("per_region") or {}
    ratios = [v["reads_per_resource"] for v in per_region.values() if v.get("reads_per_resource") is not None]
    figures = {key: (summary_3 or {}).get(key) for key, _label in BASELINE_FIGURES if key != "reads_per_resource"}
    figures["reads_per_resource"] = max(ratios) if ratios else None
    return figures


def evaluate_aws_targets(aws: dict, zero_latency: dict | None = None, baseline: dict | None = None) -> list[dict]:
    """Rows {target, value, limit, passed, detail}; passed None when the data is missing.

    aws: the aws part of results.json (bench/aws_suite.py); zero_latency: zero_latency_figures();
    baseline: bench/baseline.json ({"figures": {...}}).
    """
    rows: list[dict] = []
    by_latency = (aws or {}).get("latency", {}).get("by_latency", {})
    zero, slow = by_latency.get("0", {}), by_latency.get("150", {})
    value = ratio(slow.get("noop_s"), zero.get("noop_s"))
    _row(rows, "no-op, 3 regions: 150 ms per call / 0 ms", value, AWS_TARGETS["latency_150_over_0_max"],
         None if value is None else value <= AWS_TARGETS["latency_150_over_0_max"],
         f"{_fmt(slow.get('noop_s'))} s / {_fmt(zero.get('noop_s'))} s")

    for environment in ("dev", "prod"):
        figures = (aws or {}).get("timed", {}).get(environment, {}).get("converge", {})
        value = figures.get("ratio")
        path = (figures.get("critical_path") or {}).get("seconds")
        detail = (f"{_fmt(minutes(figures.get('aws_s')))} min / {_fmt(minutes(path))} min"
                  if value is not None else figures.get("missing") or f"run failed: {figures.get('failed', '')}")
        passed = None if value is None else value <= AWS_TARGETS["first_over_critical_path_max"]
        upper = ratio(figures.get("aws_max_s"), path)
        if value is not None and upper is not None and upper > value:
            # A wait the time scale hid (over before its finish task looked) is counted 0: value is a lower bound.
            detail += (f" (up to {_fmt(minutes(figures.get('aws_max_s')))} min, x{_fmt(upper, 2)}: waits hidden by "
                       "the time scale)")
            if passed and upper > AWS_TARGETS["first_over_critical_path_max"]:
                passed = None
        if value is not None and value < 1:
            # No run is shorter than its critical path: waits overlapped with Ansible's own work, which runs in
            # real time, and the time scale shrank them below it (bench/README.md, "Limits").
            passed = None
            detail += ": below the critical path, waits hidden under real-time work; measure with a lower --time-scale"
        _row(rows, f"first converge {environment} (3 regions): AWS-equivalent / critical path", value,
             AWS_TARGETS["first_over_critical_path_max"], passed, detail)

    value = slow.get("reads_per_resource")
    _row(rows, "no-op read calls per managed resource (worst region, aws profile)", value,
         AWS_TARGETS["reads_per_resource_max"],
         None if value is None else value <= AWS_TARGETS["reads_per_resource_max"])

    credentials = (aws or {}).get("credentials") or {}
    for label, what in (("cold", "empty credential cache"), ("warm", "cache of the previous run")):
        run = credentials.get(label) or {}
        calls, workers = run.get("assume_role"), run.get("workers")
        limit = credentials.get("accounts", 1) * workers if workers else None
        passed = None if calls is None or limit is None or run.get("rc") else calls <= limit
        _row(rows, f"credential resolutions (STS AssumeRole) in a no-op run, {what}", calls, limit, passed,
             f"one per account and worker process: {credentials.get('accounts', 1)} account x "
             f"{_fmt(workers)} workers")

    base = (baseline or {}).get("figures") or {}
    for key, label in BASELINE_FIGURES:
        now, before = (zero_latency or {}).get(key), base.get(key)
        value = ratio(now, before)
        _row(rows, f"zero latency, 3 regions, {label}: this run / baseline", value, AWS_TARGETS["baseline_worse_max"],
             None if value is None else value <= AWS_TARGETS["baseline_worse_max"],
             f"{_fmt(now, 2)} / {_fmt(before, 2)}")
    return rows


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 1)


def render_aws_markdown(aws: dict, targets: list[dict], baseline: dict | None = None, top: int = 6) -> list[str]:
    """The aws-profile section of results.md: latency table, time-scaled table, credentials, targets."""
    if not aws:
        return []
    settings = aws.get("settings", {})
    latency = aws.get("latency", {})
    by_latency = latency.get("by_latency", {})
    zero = by_latency.get("0", {})
    out = ["", "## Under the emulator's aws profile", "",
           f"Dev stack, {latency.get('regions', '?')} regions, converged once; no-op and `--check --diff` runs at "
           f"each latency (ms per AWS call, jitter +/-{int(settings.get('jitter', 0) * 100)}%), "
           f"{latency.get('rounds', '?')} round(s) interleaved, medians; calls from the emulator's call log.", "",
           "| latency ms / call | no-op s | no-op / 0 ms | check --diff s | check / 0 ms | ansible CPU s no-op "
           "| reads / region | writes / region (lock/record data) | check writes | reads / resource "
           "| changed no-op / check |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for ms, v in sorted(by_latency.items(), key=lambda kv: int(kv[0])):
        out.append(
            f"| {ms} | {_fmt(v.get('noop_s'))} | {_fmt(ratio(v.get('noop_s'), zero.get('noop_s')), 2)} "
            f"| {_fmt(v.get('check_s'))} | {_fmt(ratio(v.get('check_s'), zero.get('check_s')), 2)} "
            f"| {_fmt(v.get('noop_cpu_s'))} | {_spread(v.get('reads'))} | {_spread(v.get('writes'))} "
            f"({_spread(v.get('data_writes'))}) | {_spread(v.get('check_writes'))} "
            f"| {_fmt(v.get('reads_per_resource'), 2)} "
            f"| {_fmt(v.get('noop_changed'))} / {_fmt(v.get('check_changed'))} |")

    timed = aws.get("timed", {})
    out += ["", f"First converge and teardown, {len(settings.get('regions') or [])} regions, on the AWS clock at "
                f"time scale {_fmt(settings.get('time_scale'), 0)} with {settings.get('timed_latency_ms')} ms per "
                f"call, each next to a reference run whose transitions are instant; AWS-equivalent = unscaled part "
                f"+ waits x scale (bench/README.md):", "",
            "| run | real s | reference s | waited, real s | unscaled s | AWS-equivalent min | critical path min "
            "| longest chain | AWS-equivalent / critical path |",
            "|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for environment, kind, label in TIMED_ROWS:
        v = timed.get(environment, {}).get(kind, {})
        path = v.get("critical_path") or {}
        failed = " (failed, until the failure)" if v.get("failed") else "" if v.get("aws_s") is not None else \
            " (failed or missing)"
        out.append(
            f"| {label}{failed} | {_fmt(v.get('real_s'))} | {_fmt(v.get('reference_s'))} "
            f"| {_fmt(v.get('waited_real_s'))} | {_fmt(v.get('unscaled_s'))} | {_fmt(minutes(v.get('aws_s')))} "
            f"| {_fmt(minutes(path.get('seconds')))} | {path.get('longest') or 'n/a'} | {_fmt(v.get('ratio'), 2)} |")
    for environment, kind, label in TIMED_ROWS:
        v = timed.get(environment, {}).get(kind, {})
        waits = v.get("waits") or []
        if waits:
            out += ["", f"Where the AWS minutes of the {label} go (tasks that waited; AWS min = excess over the "
                        "reference x scale, or, for a wait overlapped with the work since its start task, "
                        "scale x (end - start task's end - reference) - AWS time in between; bench/README.md):", "",
                    "| task | reference s | scaled s | AWS min | overlap-corrected: counted from, work in between "
                    "real s / AWS s, plain AWS min |", "|---|---:|---:|---:|---|"]
            for w in waits[:top]:
                overlap = w.get("overlap")
                corrected = (f"{_strip_role(overlap['start_task'])}, {_fmt(overlap['after_real_s'])} / "
                             f"{_fmt(overlap['after_aws_s'], 0)}, {_fmt(minutes(overlap['plain_aws_s']))}"
                             if overlap else "")
                out.append(f"| {w['task']} | {_fmt(w['reference_s'], 2)} | {_fmt(w['scaled_s'], 2)} "
                           f"| {_fmt(minutes(w['aws_s']))} | {corrected} |")
        for h in v.get("hidden") or []:
            out += ["", f"Hidden wait of the {label}: {h['task']} found done what {_strip_role(h['start_task'])} "
                        f"started {_fmt(h['after_real_s'])} real s ({_fmt(h['after_aws_s'], 0)} AWS s) before; "
                        f"counted 0, at most {_fmt(minutes(h['bound_aws_s']))} AWS min (a lower --time-scale "
                        "measures it)."]
        path = v.get("critical_path") or {}
        if path.get("chains"):
            chain = path["chains"][0]
            out += ["", f"Critical path of the {label}: {chain['name']}, "
                        + " + ".join(f"{s['what']} {_fmt(s['seconds'], 0)} s ({s['step']})" for s in chain["steps"])
                        + f" = {_fmt(minutes(chain['seconds']))} min."]

    credentials = aws.get("credentials") or {}
    if credentials:
        out += ["", f"Credentials: no-op runs through an assume-role profile ({credentials.get('role_arn')}, "
                    "source profile with the emulator's fake keys, STS answered by the emulator):", "",
                "| credential cache | STS AssumeRole calls | worker processes with a module | AWS calls | s "
                "| changed |",
                "|---|---:|---:|---:|---:|---:|"]
        for label in ("cold", "warm"):
            v = credentials.get(label) or {}
            out.append(f"| {label} | {_fmt(v.get('assume_role'))} | {_fmt(v.get('workers'))} | {_fmt(v.get('calls'))} "
                       f"| {_fmt(v.get('seconds'))} | {_fmt(v.get('changed'))} |")
        out += ["", "Files in the credential cache (~/.aws/cli/cache) afterwards: "
                    f"{_fmt(credentials.get('cache_files'))}."]

    base = baseline or {}
    out += ["", "Targets of the issue \"Fast on real AWS\"" + (f" (baseline: {base.get('source')})" if base else "")
            + ":", "", "| target | value | limit | result | figures |", "|---|---:|---:|---|---|"]
    for t in targets:
        out.append(f"| {t['target']} | {_fmt(t['value'], 2)} | {_fmt(t['limit'], 2)} | {_verdict(t['passed'])} "
                   f"| {t.get('detail', '')} |")
    notes = list(aws.get("notes") or [])
    if settings and not settings.get("modules_honour_poll_setting"):
        notes.append("the modules do not read TAP_WAIT_POLL_SECONDS yet: they poll every 2-10 real seconds, which "
                     f"at time scale {_fmt(settings.get('time_scale'), 0)} is minutes of AWS time, so each wait "
                     "overshoots its transition by up to one such poll")
    if notes:
        out += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return out


def _strip_role(task: str) -> str:
    return task.split(" : ", 1)[1] if " : " in task else task


def _spread(per_region: dict | None) -> str:
    values = [v for v in (per_region or {}).values() if v is not None]
    if not values:
        return "n/a"
    lo, hi = min(values), max(values)
    return _fmt(lo, 0) if lo == hi else f"{_fmt(lo, 0)}-{_fmt(hi, 0)}"
