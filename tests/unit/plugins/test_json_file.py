"""json_file writes the controller's JSON files only when their text changes."""

import json
import os

from ansible_collections.tap.multiregion.plugins.action.json_file import render, write_if_changed


def test_render_is_stable_and_ends_with_a_newline():
    text = render({"b": 1, "a": {"d": [1, 2], "c": None}})
    assert text.endswith("}\n")
    assert text.index('"a"') < text.index('"b"')
    assert json.loads(text) == {"a": {"c": None, "d": [1, 2]}, "b": 1}


def test_creates_parent_directories_and_sets_the_mode(tmp_path):
    dest = tmp_path / "outputs" / "nested" / "dev.json"
    changed, previous = write_if_changed(str(dest), render({"x": 1}), "0640", check_mode=False)
    assert changed is True and previous is None
    assert json.loads(dest.read_text()) == {"x": 1}
    assert oct(os.stat(dest).st_mode & 0o777) == "0o640"


def test_same_text_is_not_rewritten(tmp_path):
    dest = tmp_path / "dev.json"
    write_if_changed(str(dest), render({"x": 1}), "0644", check_mode=False)
    before = os.stat(dest).st_mtime_ns
    changed, previous = write_if_changed(str(dest), render({"x": 1}), "0644", check_mode=False)
    assert changed is False and previous == render({"x": 1})
    assert os.stat(dest).st_mtime_ns == before


def test_check_mode_reports_the_change_and_writes_nothing(tmp_path):
    dest = tmp_path / "dev.json"
    dest.write_text(render({"x": 1}))
    changed, previous = write_if_changed(str(dest), render({"x": 2}), "0644", check_mode=True)
    assert changed is True and previous == render({"x": 1})
    assert json.loads(dest.read_text()) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["dev.json"]  # no temporary file left behind
