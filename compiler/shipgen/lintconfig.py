"""Lint configuration: `.shipgen.yaml` (or `.shipgen.yml`), or `[tool.shipgen.lint]` in
`pyproject.toml`, found by walking up from the working directory (the first folder holding
one of them wins; squawk and ruff do the same).

    lint:
      disable: [SG505, missing-smoke-test]        # codes or names
      severity: {SG301: warning, untested-rollback: error}
      options:
        big-bang-rollout: {max-first-step-percent: 5}
      policy-dirs: [ci/policies]                  # relative to the config file
      namespaces: [main]                          # packages of users' policies
      inline-ignores: true                        # false: `# shipgen: ignore[...]` is not honoured

Problems are located diagnostics with code SG090 (exit 2). Codes, names and options are checked
against the policies actually loaded, so a typo never silently disables nothing.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from .diagnostics import Diagnostic

CONFIG_NAMES = (".shipgen.yaml", ".shipgen.yml")
KEYS = ("disable", "severity", "options", "policy-dirs", "namespaces", "inline-ignores")
SEVERITY_VALUES = ("error", "warning", "info", "off")


_EMPTY = MappingProxyType({})


class LintConfig(NamedTuple):  # not a dataclass: that costs ~1 ms of every run's start-up
    file: str = ""  # the config file shown to people; "" when none was found
    disabled: tuple = ()
    severities: dict = _EMPTY  # code or name -> severity ("off" disables)
    options: dict = _EMPTY  # code or name -> {option: value}
    policy_dirs: tuple = ()  # absolute paths
    namespaces: tuple = ()
    inline_ignores: bool = True
    positions: dict = _EMPTY  # key path -> (line, col)

    def where(self, *path) -> tuple[int, int]:
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return (1, 1) if self.file.endswith((".yaml", ".yml")) else (0, 0)

    def problem(self, message: str, *path) -> Diagnostic:
        line, col = self.where(*path)
        return Diagnostic("SG090", "invalid-config", message, self.file, line, col, spec_path=tuple(path))


def find_config(start: Path | None = None) -> Path | None:
    """The nearest `.shipgen.yaml`/`.shipgen.yml`, or `pyproject.toml` with `[tool.shipgen]`."""
    folder = (start or Path.cwd()).resolve()
    for directory in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    # a [tool.shipgen] table spells shipgen, or escapes one of its letters in a quoted key (\u0073):
    # a pyproject.toml with neither is not parsed (importing tomllib costs a run ~6 ms)
    if b"shipgen" not in data and b"\\u" not in data.lower():
        return False
    try:
        return "shipgen" in _read_toml(path).get("tool", {})
    except Exception:  # noqa: BLE001 - a broken pyproject is reported when it is actually used
        return False


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_config(path: Path | None) -> tuple[LintConfig, list]:
    """The configuration in `path` (none: defaults), and its problems."""
    if path is None:
        return LintConfig(), []
    from .load import display_path, load_spec

    shown = display_path(path)
    positions: dict = {}
    if path.name == "pyproject.toml":
        try:
            raw = _read_toml(path).get("tool", {}).get("shipgen", {})
        except Exception as error:  # noqa: BLE001 - TOML syntax errors carry their own position text
            return LintConfig(shown), [Diagnostic("SG090", "invalid-config", f"cannot read: {error}", shown)]
    else:
        document, problems = load_spec(path)
        if document is None:
            return LintConfig(shown), [Diagnostic("SG090", "invalid-config", problem.message, shown, problem.line,
                                                  problem.col) for problem in problems]
        raw = document.data
        positions = {key: (position.line, position.col) for key, position in document.key_positions.items()}
    config = LintConfig(shown, positions=positions)
    if not isinstance(raw, dict) or not isinstance(raw.get("lint", {}), dict):
        return config, [config.problem("`lint` must be a mapping", "lint")]
    section = raw.get("lint", {})
    problems = [config.problem(f"unknown key {key!r} (known: {', '.join(KEYS)})", "lint", key)
                for key in section if key not in KEYS]
    disabled = _strings(section.get("disable", []), config, problems, "disable")
    namespaces = _strings(section.get("namespaces", []), config, problems, "namespaces")
    dirs = _strings(section.get("policy-dirs", []), config, problems, "policy-dirs")
    severities = section.get("severity", {})
    if not isinstance(severities, dict):
        problems.append(config.problem("`severity` maps codes or names to error, warning, info or off",
                                       "lint", "severity"))
        severities = {}
    for key, value in severities.items():
        if value not in SEVERITY_VALUES:
            problems.append(config.problem(f"severity of {key} must be one of {', '.join(SEVERITY_VALUES)}",
                                           "lint", "severity", key))
    options = section.get("options", {})
    if not isinstance(options, dict) or not all(isinstance(value, dict) for value in options.values()):
        problems.append(config.problem("`options` maps policy codes or names to {option: value}", "lint", "options"))
        options = {}
    inline = section.get("inline-ignores", True)
    if not isinstance(inline, bool):
        problems.append(config.problem("`inline-ignores` is true or false", "lint", "inline-ignores"))
        inline = True
    base = path.parent
    return LintConfig(shown, tuple(disabled), dict(severities), dict(options),
                      tuple(str((base / folder).resolve()) for folder in dirs), tuple(namespaces), inline,
                      positions), problems


def _strings(value, config: LintConfig, problems: list, key: str) -> list:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    problems.append(config.problem(f"`{key}` is a list of strings", "lint", key))
    return []


def check_against(config: LintConfig, policies: list, extra_codes: dict) -> list:
    """Problems with codes, names and options that match no loaded policy.

    `extra_codes` maps the lint stage's own codes (suppression findings) to their names."""
    known = {}
    for info in policies:
        known[info.code] = info
        known[info.name] = info
    names = set(known) | set(extra_codes) | set(extra_codes.values())
    problems = []
    for key in config.disabled:
        if key not in names:
            problems.append(config.problem(f"disable: no policy has the code or name {key!r}", "lint", "disable"))
    for key in config.severities:
        if key not in names:
            problems.append(config.problem(f"severity: no policy has the code or name {key!r}", "lint", "severity",
                                           key))
    for key, values in config.options.items():
        info = known.get(key)
        if info is None:
            problems.append(config.problem(f"options: no policy has the code or name {key!r}", "lint", "options", key))
            continue
        for option, value in values.items():
            if option not in info.options:
                allowed = ", ".join(info.options) or "none"
                problems.append(config.problem(f"{info.name} has no option {option!r} (options: {allowed})",
                                               "lint", "options", key, option))
                continue
            default = info.options[option].get("default")
            if isinstance(default, (int, float)) and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                problems.append(config.problem(f"{info.name}: {option} must be a number", "lint", "options", key,
                                               option))
    return problems


def effective_options(config: LintConfig, policies: list) -> dict:
    """policy name -> {option: value}: defaults overridden by the config."""
    result = {}
    for info in policies:
        values = dict(info.defaults)
        for key in (info.code, info.name):
            values.update(config.options.get(key, {}))
        result[info.name] = values
    return result


def severity_override(config: LintConfig, code: str, name: str) -> str | None:
    """The configured severity ("off" when disabled), or None to keep the policy's own."""
    if code in config.disabled or name in config.disabled:
        return "off"
    return config.severities.get(code, config.severities.get(name))
