"""awx/ (configure.yml's data and surveys) refers only to things the project has."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
AWX = REPO_ROOT / "awx"
OBJECTS = yaml.safe_load((AWX / "objects.yml").read_text())
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


def test_every_environment_has_a_project_inventory_with_the_shared_group_vars():
    for env in OBJECTS["tap_awx_environments"]:
        inventory = REPO_ROOT / "inventories" / env
        assert (inventory / "hosts.yml").is_file()
        assert (inventory / "group_vars").resolve() == (REPO_ROOT / "group_vars").resolve()
        assert env in yaml.safe_load((inventory / "hosts.yml").read_text())["all"]["children"]


def test_actions_are_the_eleven_job_templates():
    actions = {a["action"]: a for a in OBJECTS["tap_awx_actions"]}
    assert sorted(actions) == ["deploy", "drift", "evacuate", "failover", "plan", "restore", "rollout", "smoke",
                               "switchover", "teardown", "unlock"]
    assert actions["plan"]["job_type"] == "check" and actions["plan"]["diff_mode"]
    assert actions["drift"]["job_type"] == "check" and actions["drift"]["diff_mode"]
    assert actions["deploy"]["job_type"] == "run"
    assert actions["smoke"]["job_type"] == "run" and actions["smoke"]["survey"] == "smoke"
    assert actions["rollout"]["job_type"] == "run" and actions["rollout"]["survey"] == "rollout"
    for operation in ("switchover", "failover", "evacuate", "restore"):
        assert actions[operation]["job_type"] == "run" and actions[operation]["survey"] == operation


@pytest.mark.parametrize(("survey", "role"), [("smoke", "smoke"), ("rollout", "rollout")])
def test_survey_defaults_are_the_roles_defaults(survey, role):
    """An operator who accepts every default runs what the CLI runs without -e."""
    defaults = yaml.safe_load((REPO_ROOT / "roles" / role / "defaults" / "main.yml").read_text())
    for question in yaml.safe_load((AWX / "surveys" / f"{survey}.yml").read_text())["spec"]:
        assert question["default"] == defaults[question["variable"]], question["variable"]
        if question["type"] == "integer":
            assert question["min"] <= question["default"] <= question["max"]


@pytest.mark.parametrize("action", OBJECTS["tap_awx_actions"], ids=lambda a: a["action"])
def test_job_template_playbook_exists(action):
    assert (REPO_ROOT / action["playbook"]).is_file()


@pytest.mark.parametrize("action", [a for a in OBJECTS["tap_awx_actions"] if "survey" in a], ids=lambda a: a["action"])
def test_survey_is_a_valid_awx_survey_spec_used_by_its_playbook(action):
    survey = yaml.safe_load((AWX / "surveys" / f"{action['survey']}.yml").read_text())
    assert survey["name"] and survey["description"]
    for question in survey["spec"]:
        assert {"question_name", "variable", "type", "required"} <= set(question)
        assert question["type"] in SURVEY_TYPES
        assert question["required"] is True
    text = (REPO_ROOT / action["playbook"]).read_text()
    for question in survey["spec"]:
        assert question["variable"] in text, (
            f"{action['playbook']} does not read survey variable {question['variable']}"
        )
