"""The emulator's behaviour profile: ``default`` (instant, as moto is) or ``aws`` (AWS's timing and rules).

Every filler that models something real AWS does and moto does not (latency, transitional states,
propagation delays, quotas and rules, throttling and 5xx) asks this module whether it applies and
what time it is, so a test or the benchmark can switch the behaviour on, off or faster at run time:

    from emulator import profile
    settings = profile.current()          # the active Settings (never None)
    if settings.aws: ...                  # the ``aws`` profile is on
    profile.aws_seconds()                 # AWS-equivalent seconds since the emulator started
    profile.rng()                         # the profile's seeded random generator
    profile.duration("rds.cluster.create")   # AWS seconds a transition takes (0 without the profile)

The time scale maps real time to AWS time: with ``time_scale=60`` an AWS minute takes a real second,
so an Aurora cluster that AWS creates in about ten minutes is ``creating`` for ten real seconds.
Settings come from the command line (``python -m emulator start --profile aws ...``), from the
environment of the server process (``TAP_EMULATOR_PROFILE`` as JSON, for the test harness), and can be
changed while it runs through ``POST /tap-emulator/profile`` (see ``emulator.control``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import threading
import time
from typing import Any

ENV_VARIABLE = "TAP_EMULATOR_PROFILE"

# AWS-equivalent durations (seconds) of the transitions the aws profile models, from AWS's
# documentation and what a real account shows; each filler looks its own up by name.
DEFAULT_DURATIONS: dict[str, float] = {
    "rds.cluster.create": 600.0,  # an Aurora MySQL cluster: creating -> available
    "rds.cluster.modify": 60.0,  # modifying -> available
    "rds.cluster.delete": 300.0,  # deleting -> gone
    "rds.instance.create": 540.0,  # creating -> (configuring-enhanced-monitoring) -> available
    "rds.instance.monitoring": 60.0,  # the configuring-enhanced-monitoring part of rds.instance.create
    "rds.instance.modify": 120.0,
    "rds.instance.delete": 420.0,
    "rds.global.join": 900.0,  # a secondary cluster joining a global database (also: an old primary resyncing)
    "rds.global.detach": 180.0,  # RemoveFromGlobalCluster: the detached cluster is promoting -> available
    "rds.global.switchover": 120.0,  # SwitchoverGlobalCluster (managed planned failover)
    "rds.global.failover": 90.0,  # FailoverGlobalCluster with data loss allowed
    "dynamodb.table.create": 20.0,  # CREATING -> ACTIVE
    "dynamodb.table.update": 10.0,  # UPDATING -> ACTIVE (billing mode, throughput, stream, indexes)
    "dynamodb.table.delete": 10.0,  # DELETING -> gone
    "dynamodb.replica.create": 300.0,  # a global table replica: CREATING -> ACTIVE (table UPDATING)
    "dynamodb.replica.delete": 180.0,
    "dynamodb.replication": 1.0,  # an item written in one replica of a global table reaches the others
    "lambda.function.create": 60.0,  # a VPC function: Pending -> Active (network interfaces)
    "lambda.function.create.no_vpc": 2.0,  # any other function: Pending -> Active
    "lambda.function.update": 10.0,  # LastUpdateStatus InProgress -> Successful
    "lambda.eni.linger": 1800.0,  # network interfaces kept after DeleteFunction
    "iam.role.propagation": 10.0,  # a new role is not yet assumable by a service
    "kms.policy.propagation": 5.0,  # a new or changed key policy is not yet effective
    "lambda.permission.propagation": 5.0,  # S3 cannot yet validate a notification to the function
    "s3.access_log.delay": 60.0,  # server access log objects arrive late
}


@dataclasses.dataclass
class Settings:
    """What the emulator models beyond moto. The defaults are the instant ``default`` profile."""

    name: str = "default"
    seed: int = 0
    # AWS seconds per real second (aws profile): 60 makes an AWS minute take a real second.
    time_scale: float = 60.0
    # Added to every AWS call (real milliseconds), jittered by +/- jitter (a fraction).
    latency_ms: float = 0.0
    jitter: float = 0.0
    # Fraction of calls answered with the service's throttling error / an HTTP 5xx.
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    # Per-transition AWS durations overriding DEFAULT_DURATIONS.
    durations: dict[str, float] = dataclasses.field(default_factory=dict)
    # Account-level facts of the aws profile (quotas and the like); each filler documents its keys:
    #   foreign_buckets: [] - S3 bucket names another account owns (emulator.s3_foreign_buckets)
    account: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def aws(self) -> bool:
        return self.name == "aws"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


AWS_DEFAULTS: dict[str, Any] = {
    "name": "aws",
    "latency_ms": 0.0,
    "jitter": 0.2,
    "time_scale": 60.0,
}

_lock = threading.Lock()
_settings = Settings()
_rng = random.Random(0)
_started = time.monotonic()
# AWS time already passed before the last change of time_scale (so changing it never moves time back).
_aws_offset = 0.0


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    fields = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise ValueError(f"unknown profile setting(s): {', '.join(unknown)}; known: {', '.join(sorted(fields))}")
    if values.get("name", "default") not in ("default", "aws"):
        raise ValueError(f"profile name must be default or aws, got {values['name']!r}")
    return values


def configure(values: dict[str, Any] | None = None, **more: Any) -> Settings:
    """Replace the settings: values start from the profile's defaults (aws or default)."""
    global _settings, _rng, _aws_offset, _started
    values = _coerce(dict(values or {}, **more))
    base = dict(AWS_DEFAULTS) if values.get("name") == "aws" else {}
    settings = Settings(**dict(base, **values))
    with _lock:
        _aws_offset = aws_seconds()
        _started = time.monotonic()
        _settings = settings
        _rng = random.Random(settings.seed)
    return settings


def update(values: dict[str, Any]) -> Settings:
    """Change some settings of the running profile (e.g. switch faults off), keeping the rest."""
    current_values = current().to_dict()
    if "name" in values and values["name"] != current_values["name"]:
        return configure(values)
    _coerce(values)
    merged = dict(current_values, **values)
    global _settings, _aws_offset, _started, _rng
    with _lock:
        _aws_offset = aws_seconds()
        _started = time.monotonic()
        _settings = Settings(**merged)
        if "seed" in values:
            _rng = random.Random(values["seed"])
    return _settings


def configure_from_environment() -> Settings:
    """Settings from TAP_EMULATOR_PROFILE (JSON) when the server process was given one."""
    raw = os.environ.get(ENV_VARIABLE, "").strip()
    if not raw:
        return current()
    return configure(json.loads(raw))


def current() -> Settings:
    return _settings


def rng() -> random.Random:
    return _rng


def aws_seconds() -> float:
    """AWS-equivalent seconds since the emulator started (real seconds x time_scale under aws)."""
    elapsed = time.monotonic() - _started
    scale = _settings.time_scale if _settings.aws else 1.0
    return _aws_offset + elapsed * scale


def duration(name: str) -> float:
    """AWS seconds the named transition takes under the aws profile; 0 (instant) otherwise."""
    settings = _settings
    if not settings.aws:
        return 0.0
    if name in settings.durations:
        return float(settings.durations[name])
    return DEFAULT_DURATIONS[name]


def real_seconds(aws_duration: float) -> float:
    """The real time an AWS duration takes under the current time scale."""
    settings = _settings
    return aws_duration / settings.time_scale if settings.aws and settings.time_scale else aws_duration


def chance(rate: float) -> bool:
    """True with probability rate, from the profile's seeded generator."""
    if rate <= 0:
        return False
    with _lock:
        return _rng.random() < rate
