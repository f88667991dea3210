"""The compiled bundle of the built-in policies shipped in `policies/compiled/`
(`tools/policy_bundle.py`, `policy_cache.load_shipped_bundle`): it is current, a lint that loads
it finds exactly what a lint that compiles finds, and a stale or damaged bundle is never used."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest

from conftest import ROOT
from shipgen import policy_cache
from shipgen.policy import load_policies


def _tool():
    spec = importlib.util.spec_from_file_location("policy_bundle", ROOT / "tools" / "policy_bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def no_cache_folder(monkeypatch):
    monkeypatch.delenv("SHIPGEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("SHIPGEN_NO_CACHE", raising=False)


def test_the_shipped_bundle_is_current():
    key = _tool().expected_name()[0]
    names = [path.name for path in (ROOT / "policies" / "compiled").glob("*.rbb")]
    assert [name.split(".")[0] for name in names] == [key], "policies/compiled/ is stale: run python tools/policy_bundle.py"
    (name,) = names
    data = (ROOT / "policies" / "compiled" / name).read_bytes()
    assert policy_cache._content_digest(data) == name.split(".")[1]


def test_lint_loads_the_shipped_bundle_by_default(no_cache_folder):
    policy_set, problems = load_policies()
    assert not problems and policy_set.bundle is not None  # loaded, not compiled on first use


def test_the_shipped_bundle_finds_what_compiling_finds(no_cache_folder, monkeypatch, run_shipgen):
    examples = ROOT / "examples"
    shipped = run_shipgen("lint", examples, "--format", "json")
    monkeypatch.setenv("SHIPGEN_NO_CACHE", "1")
    compiled = run_shipgen("lint", examples, "--format", "json")
    assert shipped.exit_code == compiled.exit_code
    assert json.loads(shipped.stdout) == json.loads(compiled.stdout)
    assert len(json.loads(shipped.stdout)["findings"]) >= 10


def _policies_copy(tmp_path, monkeypatch):
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy)
    monkeypatch.setattr("shipgen.policy.builtin_policy_dir", lambda: copy)
    monkeypatch.setattr(policy_cache, "shipped_dir", lambda: copy / "compiled")
    return copy


def test_a_stale_bundle_is_not_used(no_cache_folder, tmp_path, monkeypatch):
    copy = _policies_copy(tmp_path, monkeypatch)
    assert load_policies()[0].bundle is not None  # the copy, as shipped, is used
    policy = copy / "sg201_big_bang_rollout.rego"
    policy.write_text(policy.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    policy_set, problems = load_policies()
    assert not problems and policy_set.bundle is None  # compiled from the edited text instead
    (other,) = (copy / "compiled").glob("*.rbb")
    assert other.exists()  # and the shipped file is left alone


def test_a_damaged_bundle_is_never_loaded(no_cache_folder, tmp_path, monkeypatch):
    copy = _policies_copy(tmp_path, monkeypatch)
    (bundle,) = (copy / "compiled").glob("*.rbb")
    data = bundle.read_bytes()
    bundle.write_bytes(data[:len(data) // 2])  # rego-cpp would crash on this
    policy_set, problems = load_policies()
    assert not problems and policy_set.bundle is None
    assert bundle.read_bytes() == data[:len(data) // 2]  # a shipped file is never removed


def test_users_policies_and_no_cache_compile(no_cache_folder, tmp_path, monkeypatch):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "x.rego").write_text("package main\n\nimport rego.v1\n\ndeny contains \"x\" if { false }\n",
                                              encoding="utf-8")
    assert load_policies([tmp_path / "mine"])[0].bundle is None
    monkeypatch.setenv("SHIPGEN_NO_CACHE", "1")
    assert load_policies()[0].bundle is None


def test_the_key_names_the_regopy_version_not_the_library_file(monkeypatch):
    import regopy

    key = policy_cache.shipped_key("q", [("a.rego", "package a")])
    monkeypatch.setattr(policy_cache, "engine_identity", lambda: "another path and time")
    assert policy_cache.shipped_key("q", [("a.rego", "package a")]) == key
    monkeypatch.setattr(regopy, "__version__", "0.0.0")
    assert policy_cache.shipped_key("q", [("a.rego", "package a")]) != key
