"""What keeps a lint run's start-up short without changing what it finds: the built-ins' METADATA
index (`policies/metadata-index.json`, `tools/policy_index.py`) and the input document cut down
to what the loaded modules can read (`policy.input_paths`, `policy.trimmed_input`)."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import pytest

from shipgen import policy
from shipgen.policy import (METADATA_INDEX, builtin_policy_dir, input_paths, load_policies, metadata_block,
                            metadata_index, policy_info, trimmed_input)

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("policy_index", ROOT / "tools" / "policy_index.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def no_bundle_cache(monkeypatch):
    monkeypatch.setenv("SHIPGEN_NO_CACHE", "1")


def test_the_metadata_index_is_current():
    current = (ROOT / "policies" / METADATA_INDEX).read_text(encoding="utf-8")
    assert current == _tool().index_text(), "policies/metadata-index.json is stale: run python tools/policy_index.py"


def test_the_index_covers_every_builtin_and_gives_what_parsing_gives(monkeypatch):
    indexed = metadata_index(builtin_policy_dir())
    for path in sorted(builtin_policy_dir().glob("*.rego")):
        assert metadata_block(path.read_text(encoding="utf-8")) in indexed, path.name
    fast, problems = load_policies()
    assert not problems
    monkeypatch.setattr(policy, "metadata_index", lambda directory: {})
    parsed, problems = load_policies()
    assert not problems
    assert fast.policies == parsed.policies
    assert [list(info.options) for info in fast.policies] == [list(info.options) for info in parsed.policies]


def test_an_entry_is_used_only_for_the_exact_block_text():
    text = (builtin_policy_dir() / "sg201_big_bang_rollout.rego").read_text(encoding="utf-8")
    known = metadata_index(builtin_policy_dir())
    edited = text.replace("default: 10", "default: 7")
    assert edited != text
    info, problem = policy_info(edited, "sg201.rego", True, known)
    assert problem is None
    assert info.options["max-first-step-percent"]["default"] == 7
    # a wrong entry for the unchanged text would be used: the text is the key
    block = metadata_block(text)
    info, _ = policy_info(text, "sg201.rego", True, {block: {**known[block], "title": "from the index"}})
    assert info.title == "from the index"


def test_a_stale_index_or_none_still_loads_every_policy(tmp_path, monkeypatch):
    for path in builtin_policy_dir().glob("*.rego"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / METADATA_INDEX).write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(policy, "builtin_policy_dir", lambda: tmp_path)
    policy_set, problems = load_policies()
    assert not problems and len(policy_set.policies) == len(list(builtin_policy_dir().glob("*.rego")))


def test_the_tool_leaves_out_values_json_would_change(tmp_path):
    (tmp_path / "a.rego").write_text(textwrap.dedent("""\
        # METADATA
        # title: dated
        # custom:
        #   since: 2026-01-01
        package shipgen.policies.a
        """), encoding="utf-8")
    (tmp_path / "b.rego").write_text("# METADATA\n# title: plain\npackage shipgen.policies.b\n", encoding="utf-8")
    index = json.loads(_tool().index_text(tmp_path))
    assert list(index["policies"]) == ["b.rego"]


# ---------------------------------------------------------------------------- the input document


@pytest.mark.parametrize("code, paths", [
    ('x := input.facts.rollout.steps[0]', (("facts", "rollout", "steps"),)),
    ('x := input.options["big-bang-rollout"]["max"]', (("options", "big-bang-rollout", "max"),)),
    ('a := input.release.gates\nb := input.release', (("release",),)),
    ('x := input.spec[key]', (("spec",),)),
    ('import input.release.service as s', (("release", "service"),)),
    ('x := y.input.z\nw := input.production', (("production",),)),
    ('# a comment about input.spec and input\nx := input.file', (("file",),)),
    ('x := input[k]', None),
    ('x := walk(input)', None),
    ('msg := "waits for input"', None),  # any other mention keeps the whole document
    ('x := input', None),
])
def test_input_paths_are_the_static_prefixes_of_every_reference(code, paths):
    assert input_paths([code]) == paths


def test_trimmed_input_keeps_whole_subtrees_at_the_paths():
    document = {"spec": {"a": 1}, "release": {"strategy": {"maxSurge": 1, "type": "rolling"}, "gates": [1, 2]},
                "facts": {"rollout": {"steps": [5]}, "other": {}}, "production": False, "file": "x.yaml"}
    paths = input_paths(['input.release.strategy.maxSurge', 'input.facts.rollout', 'input.production',
                         'input.release.missing.deeper', 'input.facts.rollout.steps', 'input.spec.a.b'])
    assert trimmed_input(document, paths) == {
        "release": {"strategy": {"maxSurge": 1}},
        "facts": {"rollout": {"steps": [5]}},
        "production": False,
        "spec": {"a": 1},  # not a mapping: kept whole, so `input.spec.a.b` stays undefined
    }
    assert trimmed_input(document, None) is document


def test_builtins_read_only_part_of_the_input(monkeypatch):
    policy_set, _ = load_policies()
    assert policy_set.input_paths is not None
    assert ("production",) in policy_set.input_paths
    assert not any(path[0] == "spec" for path in policy_set.input_paths)


def test_a_user_policy_reading_all_of_the_input_gets_all_of_it(tmp_path, write_spec, run_shipgen):
    from conftest import MINIMAL_SPEC

    spec = write_spec(MINIMAL_SPEC)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "all.rego").write_text(textwrap.dedent("""\
        package main

        import rego.v1

        warn contains msg if {
        \tdocument := object.get(input, "spec", {})
        \tmsg := sprintf("%v %v", [document.kind, count(object.keys(input))])
        }
        """), encoding="utf-8")
    result = run_shipgen("lint", spec, "--policy-dir", tmp_path / "policies", "--format", "json")
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "REGO"]
    assert finding["message"] == "Release 6"  # file, spec, release, facts, options, production
