"""emulator.rds_catalog: Aurora MySQL's orderable instance classes and engine versions (default profile)."""

from __future__ import annotations

import pytest
from rds_support import ENGINE, VERSION_2, VERSION_3

from emulator import rds_catalog


def classes(rds, version: str) -> dict[str, dict]:
    pages = rds.get_paginator("describe_orderable_db_instance_options").paginate(Engine=ENGINE, EngineVersion=version)
    options = pages.build_full_result()["OrderableDBInstanceOptions"]
    return {option["DBInstanceClass"]: option for option in options}


def test_aurora_mysql_3_starts_at_medium_burstable_classes(aws):
    offered = classes(aws("rds"), VERSION_3)
    assert "db.t3.small" not in offered and "db.t2.medium" not in offered
    assert {"db.t3.medium", "db.t4g.medium", "db.r6g.large", "db.r7g.large", "db.serverless"} <= set(offered)
    assert all(option["EngineVersion"] == VERSION_3 for option in offered.values())


def test_aurora_mysql_2_still_offers_the_small_classes(aws):
    offered = classes(aws("rds"), VERSION_2)
    assert {"db.t3.small", "db.t2.small", "db.t3.medium", "db.r5.large", "db.r6i.large"} <= set(offered)
    assert "db.r7g.large" not in offered  # Graviton3 arrived with Aurora MySQL 3.03.1


def test_only_memory_optimized_classes_serve_global_databases(aws):
    offered = classes(aws("rds"), VERSION_3)
    assert offered["db.r6g.large"]["SupportsGlobalDatabases"] is True
    assert offered["db.t4g.medium"]["SupportsGlobalDatabases"] is False
    assert offered["db.t3.medium"]["SupportsGlobalDatabases"] is False


def test_orderable_options_name_the_regions_zones(aws):
    zones = [z["ZoneName"] for z in aws("ec2", "eu-west-1").describe_availability_zones()["AvailabilityZones"]]
    option = aws("rds", "eu-west-1").describe_orderable_db_instance_options(
        Engine=ENGINE, EngineVersion=VERSION_3, DBInstanceClass="db.r6g.large"
    )["OrderableDBInstanceOptions"]
    assert len(option) == 1
    assert [z["Name"] for z in option[0]["AvailabilityZones"]] == zones and zones


def test_orderable_options_are_paged(aws):
    first = aws("rds").describe_orderable_db_instance_options(Engine=ENGINE, MaxRecords=20)
    assert len(first["OrderableDBInstanceOptions"]) == 20 and first.get("Marker")
    second = aws("rds").describe_orderable_db_instance_options(Engine=ENGINE, MaxRecords=20, Marker=first["Marker"])
    assert second["OrderableDBInstanceOptions"][0] != first["OrderableDBInstanceOptions"][0]


def test_other_engines_keep_motos_answer(aws):
    options = aws("rds").describe_orderable_db_instance_options(Engine="aurora-postgresql", EngineVersion="13.4")
    assert options["OrderableDBInstanceOptions"] and all(
        o["Engine"] == "aurora-postgresql" for o in options["OrderableDBInstanceOptions"]
    )


def test_engine_versions_of_aurora_mysql(aws):
    rds = aws("rds")
    versions = {v["EngineVersion"]: v for v in rds.describe_db_engine_versions(Engine=ENGINE)["DBEngineVersions"]}
    assert {VERSION_3, VERSION_2, "5.7.mysql_aurora.2.07.2", "8.0.mysql_aurora.3.02.2"} <= set(versions)
    assert versions[VERSION_3]["DBParameterGroupFamily"] == "aurora-mysql8.0"
    assert versions[VERSION_2]["DBParameterGroupFamily"] == "aurora-mysql5.7"
    assert versions[VERSION_3]["SupportsGlobalDatabases"] is True
    assert "8.0.mysql_aurora.3.05.2" in [t["EngineVersion"] for t in versions[VERSION_3]["ValidUpgradeTarget"]]
    assert not any(t["EngineVersion"].startswith("5.7") for t in versions[VERSION_3]["ValidUpgradeTarget"])


@pytest.mark.parametrize(
    "request_, expected",
    [
        ({"EngineVersion": VERSION_3}, [VERSION_3]),
        ({"DefaultOnly": True}, [rds_catalog.DEFAULT_VERSION]),
        ({"EngineVersion": "8.0.mysql_aurora.9.99.9"}, []),
    ],
)
def test_engine_versions_filters(aws, request_, expected):
    answer = aws("rds").describe_db_engine_versions(Engine=ENGINE, **request_)["DBEngineVersions"]
    assert [v["EngineVersion"] for v in answer] == expected


def test_engine_versions_by_parameter_group_family(aws):
    answer = aws("rds").describe_db_engine_versions(Engine=ENGINE, DBParameterGroupFamily="aurora-mysql5.7")
    assert answer["DBEngineVersions"] and all(v["EngineVersion"].startswith("5.7.") for v in answer["DBEngineVersions"])


def test_engines_without_a_catalogue_answer_no_versions(aws):
    assert aws("rds").describe_db_engine_versions(Engine="postgres")["DBEngineVersions"] == []


@pytest.mark.parametrize(
    "version, instance_class, expected",
    [
        (VERSION_3, "db.t3.small", False),
        (VERSION_2, "db.t3.small", True),
        (VERSION_3, "db.t4g.medium", True),
        ("5.7.mysql_aurora.2.07.2", "db.t4g.medium", False),  # Graviton2 from 2.09.2
        ("8.0.mysql_aurora.3.02.2", "db.r6i.large", True),
        ("8.0.mysql_aurora.3.01.1", "db.r6i.large", False),  # from 3.02.1
        ("8.0.mysql_aurora.3.99.0", "db.r6g.large", None),  # a version the catalogue does not know
    ],
)
def test_orderable_rule(version, instance_class, expected):
    assert rds_catalog.orderable(ENGINE, version, instance_class) is expected
