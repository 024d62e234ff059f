"""The order in which a playbook's tasks ran on each host, read from ansible-playbook's default output."""

from __future__ import annotations

import re


def task_results(stdout: str) -> list[tuple[str, dict[str, str]]]:
    """[(task name, {host: ok|changed|skipping|failed})] in the order the tasks ran."""
    tasks: list[tuple[str, dict[str, str]]] = []
    for line in stdout.splitlines():
        header = re.match(r"^TASK \[(.*)\] \*+$", line)
        if header:
            tasks.append((header.group(1), {}))
            continue
        status = re.match(r"^(ok|changed|skipping|failed|fatal): \[([^\]]+)\]", line)
        if status and tasks:
            tasks[-1][1][status.group(2)] = status.group(1)
    return tasks


def position(tasks, prefix: str, host: str, statuses=("ok", "changed")) -> int:
    """Index of the first task named prefix... that ran (one of statuses) on host."""
    for index, (name, hosts) in enumerate(tasks):
        if name.startswith(prefix) and hosts.get(host) in statuses:
            return index
    raise AssertionError(f"no task {prefix!r} ran on {host}: {[(n, h) for n, h in tasks if n.startswith(prefix)]}")


def ran(tasks, prefix: str) -> dict[str, str]:
    """{host: status} of every task named prefix... (a task name may repeat; the last status wins)."""
    out: dict[str, str] = {}
    for name, hosts in tasks:
        if name.startswith(prefix):
            out.update(hosts)
    return out


def calls_in(calls: list[dict], region: str, operation: str) -> list[int]:
    return [c["seq"] for c in calls if c["region"] == region and c["operation"] == operation]
