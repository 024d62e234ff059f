"""meta/runtime.yml's requires_ansible says what the code really needs, and what is installed meets it."""

from __future__ import annotations

from pathlib import Path

import yaml
from ansible.module_utils.compat.version import LooseVersion
from ansible.release import __version__ as ansible_core_version

from ansible_collections.tap.multiregion.plugins.plugin_utils import inprocess

REPO_ROOT = Path(__file__).resolve().parents[2]


def minimum(spec: str) -> str:
    (clause,) = [c.strip() for c in spec.split(",") if c.strip().startswith(">=")]
    return clause[2:]


def test_the_installed_ansible_core_meets_requires_ansible():
    spec = yaml.safe_load((REPO_ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"]
    assert LooseVersion(ansible_core_version) >= LooseVersion(minimum(spec)), (spec, ansible_core_version)


def test_requires_ansible_is_the_version_whose_internals_the_in_process_runner_uses():
    """The runner uses 2.19's serialization profiles; with them present it runs modules in-process."""
    spec = yaml.safe_load((REPO_ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"]
    assert minimum(spec) == "2.19.0"
    assert inprocess.SUPPORTED is True


def test_every_role_states_the_same_minimum():
    for meta in sorted(REPO_ROOT.glob("roles/*/meta/main.yml")):
        info = yaml.safe_load(meta.read_text())["galaxy_info"]
        assert info["min_ansible_version"] == "2.19", meta
