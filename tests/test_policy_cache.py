"""The compiled-policy cache (`policy_cache.py`): a run with a cached bundle finds exactly what a
run that compiles finds; a bundle is only used for the modules, query and regopy it was compiled
from; a damaged file is never handed to rego-cpp (which crashes on one)."""

from __future__ import annotations

import json
import os

import pytest

from conftest import MINIMAL_SPEC
from shipgen import policy_cache
from shipgen.policy import load_policies

USER_POLICY = """\
package main

import rego.v1

deny contains {"msg": sprintf("image %s", [input.spec.service.image]), "path": ["service", "image"]} if {
\tnot startswith(input.spec.service.image, "registry.internal/")
}
"""

UNSAFE_SPEC = MINIMAL_SPEC.replace("metadata: {name: web, team: web-team}",
                                   "metadata: {name: web, team: web-team, environment: production}") + \
    "strategy: {type: recreate}\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SHIPGEN_CACHE_DIR", str(folder))
    monkeypatch.delenv("SHIPGEN_NO_CACHE", raising=False)
    return folder / "rego-bundles"


def _bundles(folder) -> list:
    return sorted(name for name in os.listdir(folder) if name.endswith(".rbb")) if folder.is_dir() else []


def _lint(run_shipgen, spec, *arguments):
    result = run_shipgen("lint", spec, "--format", "json", *arguments)
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_a_cached_bundle_finds_what_compiling_finds(cache, tmp_path, write_spec, run_shipgen):
    spec = write_spec(UNSAFE_SPEC)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "registry.rego").write_text(USER_POLICY, encoding="utf-8")
    arguments = ("--policy-dir", str(tmp_path / "policies"))
    compiled = _lint(run_shipgen, spec, *arguments)
    assert len(_bundles(cache)) == 1
    cached = _lint(run_shipgen, spec, *arguments)
    assert cached == compiled
    assert {finding["code"] for finding in compiled[1]} >= {"SG201", "REGO"}
    assert _lint(run_shipgen, spec) != compiled  # without the user's policy: another bundle
    assert len(_bundles(cache)) == 2


def test_the_key_follows_every_module_the_query_and_the_engine():
    modules = [("a.rego", "package a"), ("b.rego", "package b")]
    key = policy_cache.bundle_key("q", modules)
    assert key == policy_cache.bundle_key("q", list(modules))
    assert key != policy_cache.bundle_key("q2", modules)
    assert key != policy_cache.bundle_key("q", [("a.rego", "package a "), ("b.rego", "package b")])
    assert key != policy_cache.bundle_key("q", [("c.rego", "package a"), ("b.rego", "package b")])
    assert key != policy_cache.bundle_key("q", modules[:1])
    assert key != policy_cache.bundle_key("q", [("a.rego", "package ab.rego"), ("package b", "")])


def test_a_damaged_bundle_is_never_loaded_and_is_replaced(cache, write_spec, run_shipgen):
    spec = write_spec(UNSAFE_SPEC)
    expected = _lint(run_shipgen, spec)
    (name,) = _bundles(cache)
    data = (cache / name).read_bytes()
    (cache / name).write_bytes(data[:len(data) // 2])  # rego-cpp would crash on this
    assert _lint(run_shipgen, spec) == expected
    for entry in _bundles(cache):  # the damaged file was removed, or replaced by a whole one
        assert policy_cache._content_digest((cache / entry).read_bytes()) == entry.split(".")[1]
    key = name.split(".")[0]
    for entry in _bundles(cache):
        os.remove(cache / entry)
    (cache / f"{key}.{'0' * 40}.rbb").write_bytes(b"not a bundle")
    assert _lint(run_shipgen, spec) == expected
    assert not (cache / f"{key}.{'0' * 40}.rbb").exists()


def test_the_cache_can_be_turned_off(cache, monkeypatch, write_spec, run_shipgen):
    monkeypatch.setenv("SHIPGEN_NO_CACHE", "1")
    spec = write_spec(UNSAFE_SPEC)
    _lint(run_shipgen, spec)
    assert not cache.exists()
    assert policy_cache.cache_dir({"SHIPGEN_NO_CACHE": "1", "HOME": "/home/x"}) is None
    assert policy_cache.cache_dir({"SHIPGEN_CACHE_DIR": "/c"}).as_posix() == "/c/rego-bundles"
    # opt-in: without SHIPGEN_CACHE_DIR nothing is written outside the output directory
    assert policy_cache.cache_dir({"XDG_CACHE_HOME": "/c"}) is None
    assert policy_cache.cache_dir({"HOME": "/home/x"}) is None


def test_an_unwritable_cache_is_not_used(tmp_path, monkeypatch, write_spec, run_shipgen):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("SHIPGEN_CACHE_DIR", str(blocker))  # a file: no folder can be made below it
    spec = write_spec(UNSAFE_SPEC)
    code, findings = _lint(run_shipgen, spec)
    assert code == 1 and "SG201" in {finding["code"] for finding in findings}


def test_a_syntax_error_is_reported_on_every_run(cache, tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "broken.rego").write_text("package main\n\ndeny contains msg if {\n  msg := \n}\n",
                                                       encoding="utf-8")
    for _ in range(2):
        result = run_shipgen("lint", spec, "--policy-dir", tmp_path / "policies")
        assert result.exit_code == 2 and "Rego syntax error" in result.output
    assert _bundles(cache) == []


def test_only_the_most_recently_used_bundles_are_kept(cache, monkeypatch):
    monkeypatch.setattr(policy_cache, "KEEP", 2)
    policy_set, problems = load_policies()
    assert not problems
    interpreter = policy_set.interpreter
    bundle = interpreter.build(policy_set.query())
    for used, key in enumerate(("a" * 40, "b" * 40)):
        policy_cache.store_bundle(interpreter, bundle, key, cache)
        (entry,) = [name for name in _bundles(cache) if name.startswith(key)]
        os.utime(cache / entry, ns=(used + 1, used + 1))
    assert policy_cache.load_bundle(interpreter, "a" * 40, cache) is not None  # used: now the newest
    policy_cache.store_bundle(interpreter, bundle, "c" * 40, cache)
    assert [name[0] for name in _bundles(cache)] == ["a", "c"]


def test_every_stored_file_holds_the_bytes_its_name_says(cache, write_spec, run_shipgen):
    _lint(run_shipgen, write_spec(UNSAFE_SPEC))
    for name in _bundles(cache):
        assert policy_cache._content_digest((cache / name).read_bytes()) == name.split(".")[1]
