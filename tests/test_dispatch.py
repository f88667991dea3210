"""The fast dispatch (`entry.py`): `shipgen validate PATH...` and `shipgen lint PATH...` run
without click, print exactly what the click commands print, and exit alike; anything with an
option goes to click."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import MINIMAL_SPEC, ROOT
from shipgen.cli import main as click_main
from shipgen.entry import fast_exit_code

UNSAFE = MINIMAL_SPEC.replace("metadata: {name: web, team: web-team}",
                              "metadata: {name: web, team: web-team, environment: production}") + \
    "strategy: {type: recreate}\n"
INVALID = MINIMAL_SPEC.replace("ports: [{port: 8080}]", "ports: [{port: eighty}]")
SUPPRESSED = UNSAFE.replace("strategy: {type: recreate}", "strategy: {type: recreate}  # shipgen: ignore[SG201] -- "
                                                         "a batch service")
SUPPRESSED = SUPPRESSED.replace("team: web-team,", "team: web-team,  # shipgen: ignore[SG999]\n ", 1)
NOT_YAML = "apiVersion: shipgen.dev/v1alpha1\nkind: Release\nmetadata: [unclosed\n"

CASES = {
    "valid": {"web.yaml": MINIMAL_SPEC},
    "error finding": {"web.yaml": UNSAFE},
    "invalid spec": {"web.yaml": INVALID},
    "not YAML": {"web.yaml": NOT_YAML},
    "suppressions": {"web.yaml": SUPPRESSED},
    "two specs, one duplicate": {"web.yaml": MINIMAL_SPEC, "copy.yaml": MINIMAL_SPEC},
}


def _fast(arguments, capsys):
    capsys.readouterr()
    try:
        code = fast_exit_code(arguments)
    except SystemExit as stop:  # an internal error exits from inside the command
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _click(arguments):
    result = CliRunner().invoke(click_main, arguments)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", ["validate", "lint"])
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("how", ["files", "folder", "missing path"])
def test_the_fast_path_prints_and_exits_as_click_does(command, case, how, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "specs").mkdir()
    for name, text in CASES[case].items():
        (tmp_path / "specs" / name).write_text(text, encoding="utf-8")
    arguments = {"files": [command, *sorted(f"specs/{name}" for name in CASES[case])],
                 "folder": [command, "specs"],
                 "missing path": [command, "specs", "nowhere.yaml"]}[how]
    fast = _fast(arguments, capsys)
    assert fast == _click(arguments)
    assert fast[0] in (0, 1, 2)


def test_the_outcomes_differ_between_cases(tmp_path, monkeypatch, capsys):
    """The comparison above compares something: the cases give different outcomes."""
    monkeypatch.chdir(tmp_path)
    outcomes = set()
    for index, (case, files) in enumerate(sorted(CASES.items())):
        folder = tmp_path / str(index)
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        outcomes.add(_fast(["lint", str(folder)], capsys)[0])
    assert outcomes == {0, 1, 2}


@pytest.mark.parametrize("arguments", [[], ["--help"], ["lint", "--help"], ["lint", "-h"], ["validate", "--help"],
                                       ["lint", "--format", "json", "x.yaml"], ["lint", "x.yaml", "--base", "HEAD"],
                                       ["build", "x.yaml"], ["--version"], ["lint", ""], ["validate", "--", "x"]])
def test_options_and_other_commands_go_to_click(arguments):
    assert fast_exit_code(arguments) is None


def test_no_arguments_mean_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "web.yaml").write_text(MINIMAL_SPEC, encoding="utf-8")
    assert _fast(["validate"], capsys) == _click(["validate"]) == (0, "", "1 release spec(s) valid\n")


def _program(*arguments, cwd):
    environment = {key: value for key, value in os.environ.items() if key != "SHIPGEN_DEBUG"}
    code = ("import runpy, sys; sys.argv = ['shipgen', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('shipgen', run_name='__main__')\n"
            "finally:\n    print('click imported' if 'click' in sys.modules else 'no click', file=sys.stderr)\n")
    return subprocess.run([sys.executable, "-c", code, *arguments], cwd=cwd, capture_output=True, text=True,
                          env=environment, check=False)


def test_the_program_lints_without_importing_click_and_helps_with_it(tmp_path):
    (tmp_path / "web.yaml").write_text(MINIMAL_SPEC, encoding="utf-8")
    for command in ("validate", "lint"):
        result = _program(command, "web.yaml", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stderr.endswith("no click\n")
    helped = _program("lint", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "Usage:" in helped.stdout and "--policy-dir" in helped.stdout
    assert helped.stderr.endswith("click imported\n")
    usage = _program("lint", "--format", "yaml", "web.yaml", cwd=tmp_path)
    assert usage.returncode == 2 and "Invalid value for '--format'" in usage.stderr


def test_the_installed_program_is_the_fast_entry_point():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'shipgen = "shipgen.entry:main"' in text
