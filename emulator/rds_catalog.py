"""Aurora MySQL's catalogue: DescribeDBEngineVersions and DescribeOrderableDBInstanceOptions (both profiles).

Gap: moto 5.2.5 has no DescribeDBEngineVersions at all (the server answers HTTP 500) and its
DescribeOrderableDBInstanceOptions knows only aurora-postgresql and neptune (an empty list for
aurora-mysql). A read-only preflight asks exactly these two questions before it writes anything:
is this instance class orderable for this engine version, and may it serve a global database?

What this answers, for engine ``aurora-mysql`` (other engines: moto's answer, or an empty list of
engine versions):

* Engine versions of Aurora MySQL 2 (``5.7.mysql_aurora.2.*``, family ``aurora-mysql5.7``) and
  Aurora MySQL 3 (``8.0.mysql_aurora.3.*``, family ``aurora-mysql8.0``), among them moto's default
  ``5.7.mysql_aurora.2.07.2`` and the project's ``8.0.mysql_aurora.3.04.0`` (``DefaultOnly`` answers
  the latter), each with ``SupportsGlobalDatabases``, its log types and its minor upgrade targets.
* One orderable option per (engine version, instance class), from the instance class table of the
  Aurora User Guide ("Supported DB engines for DB instance classes", Concepts.DBInstanceClass):
  db.r5 (2.06+, 3.x), db.r6g / db.x2g / db.t4g.medium / db.t4g.large (2.09.2+, 3.x), db.r6i (2.11.0+,
  3.02.1+), db.r7g (3.03.1+), db.r4 (2.x only), db.r3 (before 2.11.0), db.t3.large (2.10+, 3.x),
  db.t3.medium (2.x and 3.x), db.t3.small, db.t2.small and db.t2.medium (2.x only; "not supported in
  3.01.0 and higher"), db.serverless (3.02.0+). Burstable classes (db.t*) report
  ``SupportsGlobalDatabases: false``: AWS refuses them in a global database ("The requested instance
  class is not supported by global databases").
* ``AvailabilityZones`` are the region's zones as the emulator's EC2 reports them.

Approximations, documented: one row per class (AWS adds a second row with StorageType
``aurora-iopt1`` for I/O-Optimized storage on 3.03.1+), Performance Insights off only for db.t2.* and
db.t3.small, database activity streams on the memory-optimized classes only. The engine versions are
a representative subset, not AWS's full, moving list.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

ENGINE = "aurora-mysql"
LICENSE_MODEL = "general-public-license"
DEFAULT_VERSION = "8.0.mysql_aurora.3.04.0"
LOG_TYPES = ["audit", "error", "general", "slowquery"]

# Aurora MySQL version -> the MySQL version it is compatible with (release notes).
VERSIONS: dict[str, str] = {
    "5.7.mysql_aurora.2.07.2": "5.7.12",
    "5.7.mysql_aurora.2.07.9": "5.7.12",
    "5.7.mysql_aurora.2.10.3": "5.7.12",
    "5.7.mysql_aurora.2.11.2": "5.7.12",
    "5.7.mysql_aurora.2.11.5": "5.7.12",
    "5.7.mysql_aurora.2.12.0": "5.7.40",
    "5.7.mysql_aurora.2.12.1": "5.7.40",
    "5.7.mysql_aurora.2.12.2": "5.7.40",
    "8.0.mysql_aurora.3.01.1": "8.0.23",
    "8.0.mysql_aurora.3.02.2": "8.0.23",
    "8.0.mysql_aurora.3.03.1": "8.0.26",
    "8.0.mysql_aurora.3.04.0": "8.0.28",
    "8.0.mysql_aurora.3.04.1": "8.0.28",
    "8.0.mysql_aurora.3.04.2": "8.0.28",
    "8.0.mysql_aurora.3.05.2": "8.0.32",
    "8.0.mysql_aurora.3.06.0": "8.0.34",
    "8.0.mysql_aurora.3.07.1": "8.0.36",
}

SIZES = {
    "r3": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge"),
    "r4": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"),
    "r5": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
    "r6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "r6i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "r7g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "x2g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
}

Version = tuple[int, int, int]


def aurora_version(engine_version: str) -> Version | None:
    """(3, 4, 0) for '8.0.mysql_aurora.3.04.0'; None when it is not an Aurora MySQL version string."""
    match = re.fullmatch(r"\d+\.\d+\.mysql_aurora\.(\d+)\.(\d+)\.(\d+)", engine_version or "")
    return tuple(int(part) for part in match.groups()) if match else None  # type: ignore[return-value]


def _since(v2: Version | None, v3: Version | None):
    """A rule: supported from v2 on in Aurora MySQL 2 and from v3 on in 3 (None: not in that major)."""

    def rule(version: Version) -> bool:
        floor = v2 if version[0] == 2 else v3 if version[0] == 3 else None
        return floor is not None and version >= floor

    return rule


def _before(limit: Version):
    return lambda version: version[0] == 2 and version < limit


# Instance class family (or class) -> which Aurora MySQL versions offer it (the User Guide's table).
CLASS_RULES: list[tuple[tuple[str, ...], Any]] = [
    (tuple(f"db.r5.{s}" for s in SIZES["r5"]), _since((2, 6, 0), (3, 1, 0))),
    (tuple(f"db.r6g.{s}" for s in SIZES["r6g"]), _since((2, 9, 2), (3, 1, 0))),
    (tuple(f"db.x2g.{s}" for s in SIZES["x2g"]), _since((2, 9, 2), (3, 1, 0))),
    (tuple(f"db.r6i.{s}" for s in SIZES["r6i"]), _since((2, 11, 0), (3, 2, 1))),
    (tuple(f"db.r7g.{s}" for s in SIZES["r7g"]), _since(None, (3, 3, 1))),
    (tuple(f"db.r4.{s}" for s in SIZES["r4"]), _since((2, 0, 0), None)),
    (tuple(f"db.r3.{s}" for s in SIZES["r3"]), _before((2, 11, 0))),
    (("db.t4g.medium", "db.t4g.large"), _since((2, 9, 2), (3, 1, 0))),
    (("db.t3.large",), _since((2, 10, 0), (3, 1, 0))),
    (("db.t3.medium",), _since((2, 0, 0), (3, 1, 0))),
    (("db.t3.small", "db.t2.small", "db.t2.medium"), _since((2, 0, 0), None)),
    (("db.serverless",), _since(None, (3, 2, 0))),
]

# Global databases: Aurora MySQL 2.07.0+ and 3.01.0+ (User Guide, "Aurora global databases with Aurora MySQL").
_global_versions = _since((2, 7, 0), (3, 1, 0))


def is_burstable(instance_class: str) -> bool:
    return (instance_class or "").startswith("db.t")


def instance_classes(engine_version: str) -> list[str]:
    version = aurora_version(engine_version)
    if version is None or engine_version not in VERSIONS:
        return []
    return [cls for classes, rule in CLASS_RULES if rule(version) for cls in classes]


def orderable(engine: str, engine_version: str, instance_class: str) -> bool | None:
    """Whether AWS sells the class for the engine version; None when the catalogue does not know the version."""
    if engine != ENGINE or engine_version not in VERSIONS:
        return None
    return instance_class in instance_classes(engine_version)


def _option(engine_version: str, instance_class: str, zones: list[str]) -> dict[str, Any]:
    version = aurora_version(engine_version)
    memory_optimized = not is_burstable(instance_class) and instance_class != "db.serverless"
    return {
        "Engine": ENGINE,
        "EngineVersion": engine_version,
        "DBInstanceClass": instance_class,
        "LicenseModel": LICENSE_MODEL,
        "AvailabilityZones": [{"Name": zone} for zone in zones],
        "MultiAZCapable": False,
        "ReadReplicaCapable": False,
        "Vpc": True,
        "SupportsStorageEncryption": True,
        "StorageType": "aurora",
        "SupportsIops": False,
        "SupportsStorageThroughput": False,
        "SupportsEnhancedMonitoring": True,
        "SupportsIAMDatabaseAuthentication": True,
        "SupportsPerformanceInsights": not (instance_class.startswith("db.t2.") or instance_class == "db.t3.small"),
        "AvailableProcessorFeatures": [],
        "SupportedEngineModes": ["provisioned"],
        "SupportsStorageAutoscaling": False,
        "SupportsKerberosAuthentication": False,
        "OutpostCapable": False,
        "SupportedActivityStreamModes": ["async"] if memory_optimized else [],
        "SupportsGlobalDatabases": bool(version and _global_versions(version)) and not is_burstable(instance_class),
        "SupportedNetworkTypes": ["IPV4", "DUAL"],
        "SupportsClusters": False,
        "SupportsDedicatedLogVolume": False,
    }


def orderable_options(
    engine_version: str | None = None,
    instance_class: str | None = None,
    license_model: str | None = None,
    vpc: bool | None = None,
    zones: list[str] | None = None,
) -> list[dict[str, Any]]:
    """DescribeOrderableDBInstanceOptions rows for aurora-mysql, filtered like AWS filters them."""
    if license_model not in (None, "", LICENSE_MODEL) or vpc is False:
        return []
    versions = [engine_version] if engine_version else list(VERSIONS)
    return [
        _option(version, cls, zones or [])
        for version in versions
        for cls in instance_classes(version)
        if not instance_class or cls == instance_class
    ]


def _newer_minor(candidate: Version | None, version: Version) -> bool:
    return candidate is not None and candidate[0] == version[0] and candidate > version


def _family(engine_version: str) -> str:
    return "aurora-mysql5.7" if engine_version.startswith("5.7.") else "aurora-mysql8.0"


@functools.cache
def _engine_versions() -> tuple[dict[str, Any], ...]:
    versions = list(VERSIONS)
    answers = []
    for engine_version in versions:
        version = aurora_version(engine_version)
        assert version is not None
        later = [v for v in versions if _newer_minor(aurora_version(v), version)]
        answers.append(
            {
                "Engine": ENGINE,
                "MajorEngineVersion": engine_version.split(".mysql_aurora.", maxsplit=1)[0],
                "EngineVersion": engine_version,
                "DBParameterGroupFamily": _family(engine_version),
                "DBEngineDescription": "Aurora MySQL",
                "DBEngineVersionDescription": "Aurora MySQL %d.%02d.%d (compatible with MySQL %s)"
                % (version + (VERSIONS[engine_version],)),
                "ValidUpgradeTarget": [
                    {
                        "Engine": ENGINE,
                        "EngineVersion": target,
                        "Description": "Aurora MySQL %d.%02d.%d (compatible with MySQL %s)"
                        % (aurora_version(target) + (VERSIONS[target],)),  # type: ignore[operator]
                        "AutoUpgrade": False,
                        "IsMajorVersionUpgrade": False,
                    }
                    for target in later
                ],
                "ExportableLogTypes": list(LOG_TYPES),
                "SupportsLogExportsToCloudwatchLogs": True,
                "SupportsReadReplica": True,
                "SupportedEngineModes": ["provisioned"],
                "SupportedFeatureNames": [],
                "Status": "available",
                "SupportsParallelQuery": True,
                "SupportsGlobalDatabases": _global_versions(version),
                "SupportsBabelfish": False,
                "SupportsLimitlessDatabase": False,
                "SupportsCertificateRotationWithoutRestart": True,
                "SupportsLocalWriteForwarding": version >= (3, 4, 0),
                "SupportsIntegrations": False,
                "TagList": [],
            }
        )
    return tuple(answers)


def engine_versions(
    engine: str | None = None,
    engine_version: str | None = None,
    family: str | None = None,
    default_only: bool = False,
    filters: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """DescribeDBEngineVersions rows (aurora-mysql only), filtered like AWS filters them."""
    filters = filters or {}
    if engine and engine != ENGINE:
        return []
    if "engine" in filters and ENGINE not in filters["engine"]:
        return []
    rows = [copy.deepcopy(row) for row in _engine_versions()]
    if default_only:
        rows = [row for row in rows if row["EngineVersion"] == DEFAULT_VERSION]
    if engine_version:
        rows = [row for row in rows if row["EngineVersion"] == engine_version]
    if family:
        rows = [row for row in rows if row["DBParameterGroupFamily"] == family]
    for name, key in (
        ("engine-version", "EngineVersion"),
        ("db-parameter-group-family", "DBParameterGroupFamily"),
        ("status", "Status"),
    ):
        if name in filters:
            rows = [row for row in rows if row[key] in filters[name]]
    return rows


def _zones(account_id: str, region: str) -> list[str]:
    from moto.ec2.models import ec2_backends

    return [zone.name for zone in ec2_backends[account_id][region].describe_availability_zones()]


def install() -> None:
    from moto.core.responses import PaginatedResult
    from moto.rds import responses

    original_orderable = responses.RDSResponse.describe_orderable_db_instance_options

    @functools.wraps(original_orderable)
    def describe_orderable_db_instance_options(self):
        if self.params.get("Engine") != ENGINE:
            return original_orderable(self)
        options = orderable_options(
            engine_version=self.params.get("EngineVersion"),
            instance_class=self.params.get("DBInstanceClass"),
            license_model=self.params.get("LicenseModel"),
            vpc=self.params.get("Vpc"),
            zones=_zones(self.current_account, self.region),
        )
        return PaginatedResult({"OrderableDBInstanceOptions": options})

    def describe_db_engine_versions(self):
        filters = {f["Name"]: list(f["Values"]) for f in self.params.get("Filters", [])}
        rows = engine_versions(
            engine=self.params.get("Engine"),
            engine_version=self.params.get("EngineVersion"),
            family=self.params.get("DBParameterGroupFamily"),
            default_only=bool(self.params.get("DefaultOnly")),
            filters=filters,
        )
        return PaginatedResult({"DBEngineVersions": rows})

    responses.RDSResponse.describe_orderable_db_instance_options = describe_orderable_db_instance_options
    responses.RDSResponse.describe_db_engine_versions = describe_db_engine_versions
