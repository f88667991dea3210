"""Builds in worker processes (`pipeline.build(jobs=N)`, `shipgen build -j N`) write exactly what a
build in one process writes, in the same order, with the same diagnostics."""

from __future__ import annotations

import shutil

from conftest import MINIMAL_SPEC, ROOT
from shipgen import pipeline
from shipgen.lint import LintSettings


def _build(arguments, jobs):
    result = pipeline.build(arguments, (), LintSettings(), jobs)
    return list(result.files.items()), result.diagnostics, result.lint.findings if result.lint else None


def test_every_number_of_processes_builds_the_examples_alike(monkeypatch):
    monkeypatch.chdir(ROOT)
    alone = _build(["examples"], 1)
    assert len(alone[0]) > 300
    assert _build(["examples"], 2) == alone
    assert _build(["examples"], 3) == alone


def test_diagnostics_are_the_same_and_in_the_same_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    for index in range(6):
        (tmp_path / "specs" / f"s{index}.yaml").write_text(MINIMAL_SPEC.replace("name: web,", f"name: web{index},"),
                                                           encoding="utf-8")
    (tmp_path / "specs" / "copy.yaml").write_text(MINIMAL_SPEC.replace("name: web,", "name: web3,"), encoding="utf-8")
    (tmp_path / "specs" / "bad.yaml").write_text(MINIMAL_SPEC.replace("port: 8080", "port: eighty"), encoding="utf-8")
    alone = _build(["specs"], 1)
    codes = {diagnostic.code for diagnostic in alone[1]}
    assert {"SG006"} <= codes and len(alone[1]) >= 2  # the duplicate and the invalid spec
    assert _build(["specs"], 2) == alone


def test_the_command_builds_golden_with_two_processes(tmp_path, monkeypatch, run_shipgen):
    out = tmp_path / "golden"
    shutil.copytree(ROOT / "golden", out)
    monkeypatch.chdir(ROOT)
    result = run_shipgen("build", "examples", "-o", out, "--check", "-j", "2")
    assert result.exit_code == 0, result.output
    assert run_shipgen("build", "examples", "-o", out, "--check", "-j", "0").exit_code == 2


def test_many_specs_use_every_core_and_few_one_process(monkeypatch):
    calls = []

    class Pool:
        def __init__(self, max_workers):
            calls.append(max_workers)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, function, items, chunksize):
            return map(function, items)

    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", Pool)
    monkeypatch.setattr(pipeline, "_cores", lambda: 4)
    assert pipeline._in_order(str, list(range(pipeline.PARALLEL_FROM)), None) == \
        [str(item) for item in range(pipeline.PARALLEL_FROM)]
    assert calls == [4]
    assert pipeline._in_order(str, [1, 2], None) == ["1", "2"] and calls == [4]
