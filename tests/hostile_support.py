"""Issue 14 item 4: the hostile-input cases, generated from the schema (never a hand list).

`string_fields()` walks `schemas/release-v1alpha1.schema.json` ($ref, oneOf/anyOf/allOf,
if/then/else, properties, items, additionalProperties) and yields every path at which the spec
may hold a string, with `*` for a list index and `<key>` for a free mapping key.
`cases()` pairs each such field with a base spec that sets it: one per target (platform kind,
controller and traffic provider) among the examples and `tests/fixtures/hostile/`, so that a
field is tried in every target it reaches. A new schema field is tried as soon as an example
(or a fixture) sets it, and `test_hostile_inputs.py` fails for a field that nothing sets.

`run_scripts()` runs every generated shell script (and every shell snippet a controller runs:
Flagger's loadtester `cmd`, Argo Rollouts' Job `sh -c`) with stub CLIs on PATH that only log,
so a payload that breaks out of its quoting touches the canary file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "schemas" / "release-v1alpha1.schema.json"
BASE_DIRS = (ROOT / "examples", ROOT / "tests" / "fixtures" / "hostile")

# Each payload is appended to a valid value. Those that would run a command if they escaped
# their quoting touch $SHIPGEN_CANARY; the others break the syntax around them.
PAYLOADS = {
    "trailing-newline": "\n",
    "newline-command": "\ntouch $SHIPGEN_CANARY\n",
    "single-quote": "'; touch $SHIPGEN_CANARY; '",
    "command-substitution": "$(touch $SHIPGEN_CANARY)",
    "backtick": "`touch $SHIPGEN_CANARY`",
    "close-brace": '"}; touch $SHIPGEN_CANARY; {"',
    "bracket": "[",
    "template": "{{ 7 * 7 }}{% if 1 %}",
    "control": "\x00\x1b[2J\r",
}

STUB_COMMANDS = ("kubectl", "gcloud", "az", "aws", "curl", "sleep", "docker", "hey", "jq", "sam", "helm",
                 "kubectl-argo-rollouts", "systemctl", "psql", "mysql", "alembic", "sqitch", "flyway", "liquibase",
                 "python3", "grpc_health_probe", "wget", "nc")


@lru_cache(maxsize=1)
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _resolve(node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        target = _schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _branches(node: dict) -> list:
    node = _resolve(node)
    found = [node]
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(keyword, ()):
            found += _branches(branch)
    for keyword in ("if", "then", "else"):
        if isinstance(node.get(keyword), dict):
            found += _branches(node[keyword])
    return found


def _holds_string(node: dict) -> bool:
    for branch in _branches(node):
        kind = branch.get("type")
        if kind == "string" or (isinstance(kind, list) and "string" in kind):
            return True
        if any(isinstance(v, str) for v in branch.get("enum", ())) or isinstance(branch.get("const"), str):
            return True
    return False


def _leaves(node: dict, path: tuple):
    if len(path) > 16:
        return
    if _holds_string(node):
        yield path
    for branch in _branches(node):
        for key, child in branch.get("properties", {}).items():
            yield from _leaves(child, path + (key,))
        if isinstance(branch.get("additionalProperties"), dict):
            yield from _leaves(branch["additionalProperties"], path + ("<key>",))
        if isinstance(branch.get("items"), dict):
            yield from _leaves(branch["items"], path + ("*",))


@lru_cache(maxsize=1)
def string_fields() -> tuple:
    """Every schema path that may hold a string; `apiVersion` and `kind` are constants checked first."""
    return tuple(sorted(set(_leaves(_schema(), ())) - {("apiVersion",), ("kind",)}))


def field_name(field: tuple) -> str:
    return ".".join(field)


def _matches(field: tuple, path: tuple) -> bool:
    return len(field) == len(path) and all(
        f == p or (f == "*" and isinstance(p, int)) or (f == "<key>" and isinstance(p, str))
        for f, p in zip(field, path))


def _string_paths(data, path=()):
    if isinstance(data, str):
        yield path
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _string_paths(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _string_paths(value, path + (index,))


def _target(data: dict) -> str:
    platform = data.get("platform") or {}
    traffic = platform.get("traffic") or {}
    return "/".join(str(part) for part in (platform.get("kind", "kubernetes"), platform.get("controller", "-"),
                                           traffic.get("provider", "-")))


@lru_cache(maxsize=1)
def bases() -> tuple:
    """(path, data) of every base spec, read with shipgen's own loader."""
    from shipgen.load import find_specs, load_spec

    paths, problems = find_specs([directory for directory in BASE_DIRS if directory.is_dir()])
    assert not problems, problems
    found = []
    for path in paths:
        document, problems = load_spec(path)
        assert document is not None and not problems, problems
        found.append((path, document.data))
    return tuple(found)


@lru_cache(maxsize=1)
def cases() -> tuple:
    """(field, target, base spec path, concrete spec path): one per field and target."""
    found, seen = [], set()
    for base, data in bases():
        target = _target(data)
        for path in _string_paths(data):
            for field in string_fields():
                if _matches(field, path) and (field, target) not in seen:
                    seen.add((field, target))
                    found.append((field, target, base, path))
    return tuple(sorted(found, key=lambda case: (case[0], case[1])))


def covered_fields() -> set:
    return {case[0] for case in cases()}


def mutate(base: Path, path: tuple, payload: str, into: Path) -> Path:
    """A copy of `base`, beside it in `into` (a copy of the base's folder), with `payload`
    appended to the string at `path`."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096
    data = yaml.load(base.read_text(encoding="utf-8"))
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = str(node[path[-1]]) + payload
    target = into / base.name
    with target.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    return target


def write_stubs(directory: Path) -> Path:
    """Stub CLIs that log their arguments and succeed without output."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in STUB_COMMANDS:
        stub = directory / name
        # `sleep` fails: a script waiting for a platform the stubs never satisfy stops there (set -e)
        status = 1 if name == "sleep" else 0
        stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "$0 $*" >> "${{SHIPGEN_STUB_LOG:-/dev/null}}"\nexit {status}\n',
                        encoding="utf-8")
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return directory


def _subcommands(script: str) -> list:
    """The subcommands a script's `Usage:` line names, plus none (its default)."""
    match = re.search(r"^# Usage: \S+ \[([\w|-]+)\]", script, re.M)
    return [[]] + ([[word] for word in match.group(1).split("|")] if match else [])


def _snippets(value):
    """Shell snippets in a YAML artifact: Flagger webhook `cmd`s and `sh -c` command lists."""
    if isinstance(value, dict):
        if value.get("type") in ("bash", "cmd") and isinstance(value.get("cmd"), str):
            yield ["bash" if value["type"] == "bash" else "sh", "-c", value["cmd"]]
        command = value.get("command")
        if isinstance(command, list) and command[:1] in (["sh"], ["bash"]):
            words = command + list(value.get("args") or [])
            if len(words) >= 3 and words[1] == "-c" and isinstance(words[2], str):
                yield [str(word) for word in words]
        for child in value.values():
            yield from _snippets(child)
    elif isinstance(value, list):
        for child in value:
            yield from _snippets(child)


def commands_to_run(files: dict, out: Path) -> list:
    """Every command line that runs generated shell code, with the artifacts written to `out`."""
    import yaml as pyyaml

    loader = getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)
    commands = []
    for name, content in sorted(files.items()):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        if name.endswith(".sh"):
            commands += [["bash", str(target), *words] for words in _subcommands(content.decode("utf-8"))]
        elif name.endswith((".yaml", ".yml")):
            if b"SHIPGEN_CANARY" not in content:
                continue  # no payload here to run
            for document in pyyaml.load_all(content.decode("utf-8"), Loader=loader):
                commands += list(_snippets(document))
    return commands


def run_all(commands: list, workdir: Path, stubs: Path, canary: Path, timeout: float = 2.0) -> list:
    """Run each command with the stubs first on PATH; return the commands that touched the canary."""
    environment = {"PATH": f"{stubs}:/usr/bin:/bin", "HOME": str(workdir), "SHIPGEN_CANARY": str(canary),
                   "SHIPGEN_GATE_DIR": str(workdir), "SHIPGEN_STUB_LOG": str(workdir / "stub.log"),
                   "LANG": "C.UTF-8", "TMPDIR": str(workdir)}
    touched = []
    for command in commands:
        if not any("SHIPGEN_CANARY" in (Path(word).read_text(encoding="utf-8") if word.endswith(".sh") else word)
                   for word in command[1:]):
            continue  # the payload is not in this code: it cannot run it
        process = subprocess.Popen(command, cwd=workdir, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:  # a script waiting for a platform the stubs never satisfy
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            if os.environ.get("SHIPGEN_HOSTILE_DEBUG"):
                print("timed out:", command)
        if canary.exists():
            touched.append(command)
            canary.unlink()
    return touched
