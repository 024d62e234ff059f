"""execution-environment.yml stays in step with requirements.txt, galaxy.yml and the venv's collections."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
EE = yaml.safe_load((REPO_ROOT / "execution-environment.yml").read_text())


def pins(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s#;]+)", line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


REQUIREMENTS = pins((REPO_ROOT / "requirements.txt").read_text().splitlines())


def test_is_an_ansible_builder_v3_definition_valid_for_the_schema():
    import jsonschema
    from ansiblelint.schemas import __file__ as schemas_init

    schema = json.loads((Path(schemas_init).parent / "execution-environment.json").read_text())
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(EE))
    assert EE["version"] == 3
    assert not errors, [e.message for e in errors]


def test_python_pins_are_those_of_requirements_txt():
    deps = EE["dependencies"]
    ee_pins = pins([deps["ansible_core"]["package_pip"], deps["ansible_runner"]["package_pip"], *deps["python"]])
    assert set(ee_pins) == {"ansible-core", "ansible-runner", "boto3", "botocore"}
    for name, version in ee_pins.items():
        assert REQUIREMENTS[name] == version, (
            f"{name}: execution-environment.yml has {version}, requirements.txt {REQUIREMENTS[name]}"
        )


@pytest.mark.parametrize("collection", ["amazon.aws", "community.aws"])
def test_collection_pins_are_those_the_pinned_ansible_package_ships(collection):
    import ansible_collections

    namespace, name = collection.split(".")
    manifest = next(
        m for m in (Path(p) / namespace / name / "MANIFEST.json" for p in ansible_collections.__path__) if m.is_file()
    )
    installed = json.loads(manifest.read_text())["collection_info"]["version"]
    wanted = {c["name"]: c.get("version") for c in EE["dependencies"]["galaxy"]["collections"]}
    assert wanted[collection] == f"=={installed}"


def test_the_collection_tarball_matches_galaxy_yml():
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
    tarball = f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
    files = {f["src"] for f in EE["additional_build_files"]}
    assert f"build/{tarball}" in files
    local = [c for c in EE["dependencies"]["galaxy"]["collections"] if c.get("type") == "file"]
    assert [c["name"] for c in local] == [f"/build/collections/{tarball}"]
    assert any(tag.endswith(f":{galaxy['version']}") for tag in EE["options"]["tags"])
