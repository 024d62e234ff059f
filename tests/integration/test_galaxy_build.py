"""The publishable collection: `ansible-galaxy collection build`, install, and the demo from the install.

The installed copy is used the way a consumer would: no project ansible.cfg, no repository on
any path, the playbook addressed as `tap.multiregion.deploy`, and an inventory that holds only
hosts.yml (the collection ships its settings; the hosts file says where AWS is, here the emulator).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Regions no other test uses, so that this run creates its VPCs (same layout as inventories/local).
REGIONS = {"eu-west-2": "10.0.0.0/16", "eu-west-3": "10.1.0.0/16", "ap-northeast-3": "10.2.0.0/16"}
MUST_SHIP = ["plugins/", "roles/", "playbooks/", "meta/runtime.yml", "group_vars/", "MANIFEST.json", "FILES.json"]
MUST_NOT_SHIP = [".venv", ".collections", ".ansible", ".emulator", ".git", "tests", "outputs", "emulator", "molecule"]


def consumer_env(**extra: str) -> dict:
    """The environment of someone who installed the collection: no project config or paths."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(PATH=f"{BIN}:{env.get('PATH', '')}", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **extra)
    return env


def run(cmd: list[str], cwd: Path, env: dict, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("galaxy-build")
    proc = run(
        [str(BIN / "ansible-galaxy"), "collection", "build", str(REPO_ROOT), "--output-path", str(out)],
        cwd=out,
        env=consumer_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())["version"]
    path = out / f"tap-multiregion-{version}.tar.gz"
    assert path.is_file(), sorted(out.iterdir())
    return path


def test_tarball_ships_the_collection_content(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    for wanted in MUST_SHIP:
        assert any(n == wanted.rstrip("/") or n.startswith(wanted) for n in names), (
            f"{wanted} missing from {tarball.name}"
        )


@pytest.mark.parametrize("entry", MUST_NOT_SHIP)
def test_tarball_leaves_out_development_files(tarball, entry):
    with tarfile.open(tarball) as tar:
        shipped = [n for n in tar.getnames() if n == entry or n.startswith(entry + "/")]
    assert shipped == [], f"{entry} is in {tarball.name} ({len(shipped)} entries): add it to galaxy.yml build_ignore"


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory) -> Path:
    """The tarball installed offline (amazon.aws and community.aws come from the venv)."""
    root = tmp_path_factory.mktemp("galaxy-install")
    collections = root / "collections"
    proc = run(
        [str(BIN / "ansible-galaxy"), "collection", "install", "--offline", str(tarball), "-p", str(collections)],
        cwd=root,
        env=consumer_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (collections / "ansible_collections" / "tap" / "multiregion" / "MANIFEST.json").is_file()
    return root


@pytest.fixture(scope="module")
def installed_run(installed, emulator_url):
    inventory = installed / "inventory"
    inventory.mkdir()
    hosts = yaml.safe_load((REPO_ROOT / "inventories" / "local" / "hosts.yml").read_text())
    regions = hosts["all"]["children"]["dev"]["children"]["regions"]
    regions["hosts"] = {region: {"vpc_cidr": cidr} for region, cidr in REGIONS.items()}
    hosts["all"]["children"]["primary"]["hosts"] = {next(iter(REGIONS)): None}
    # Where AWS is: a consumer would set tap_aws_profile; here the emulator's endpoint and fake keys.
    hosts["all"]["vars"] = {
        "tap_aws_emulator_connection": {
            "endpoint_url": emulator_url,
            "access_key": "tap-emulator",
            "secret_key": "tap-emulator-key",
        }
    }
    hosts["all"]["children"].pop("emulator", None)
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    assert sorted(p.name for p in inventory.iterdir()) == ["hosts.yml"]
    outputs = installed / "outputs"
    site_packages = next(p for p in map(Path, sys.path) if (p / "ansible_collections" / "amazon" / "aws").is_dir())
    env = consumer_env(
        ANSIBLE_COLLECTIONS_PATH=f"{installed / 'collections'}:{site_packages}",
        TAP_EMULATOR_URL=emulator_url,
        TAP_OUTPUTS_DIR=str(outputs),
    )
    where = run([str(BIN / "ansible-galaxy"), "collection", "list", "tap.multiregion"], cwd=installed, env=env)
    proc = run(
        [str(BIN / "ansible-playbook"), "tap.multiregion.deploy", "-i", str(inventory)],
        cwd=installed,
        env=env,
        timeout=900,
    )
    return {"proc": proc, "where": where.stdout, "outputs": outputs, "collections": installed / "collections"}


def test_the_installed_copy_is_the_one_used(installed_run):
    lines = installed_run["where"].splitlines()
    assert any(line.startswith(f"# {installed_run['collections']}") for line in lines), installed_run["where"]
    assert not [line for line in lines if line.startswith("#") and str(REPO_ROOT) in line], installed_run["where"]


def test_an_inventory_of_only_hosts_yml_deploys_with_the_installed_collection(installed_run, aws):
    proc = installed_run["proc"]
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    outputs = json.loads((installed_run["outputs"] / "dev.json").read_text())
    assert sorted(outputs["regions"]) == sorted(REGIONS)
    for region, cidr in REGIONS.items():
        vpc_id = outputs["regions"][region]["vpc_id"]
        vpcs = aws("ec2", region).describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
        assert [v["CidrBlock"] for v in vpcs] == [cidr]
        assert {t["Key"]: t["Value"] for t in vpcs[0]["Tags"]}["Name"] == f"tap-dev-{region}"
