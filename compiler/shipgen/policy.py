"""The Rego engine: loads policies, evaluates them in-process with regopy over one input
document per release, and returns what they found.

Built-in policies live in `policies/`, one file each, in package `shipgen.policies.<name>`; each
has an OPA `# METADATA` block whose `custom` part declares the code, name, default severity,
options and documentation (design.md, "policies"). A built-in rule is `deny contains finding`
where `finding` is `{"msg": ..., "path": [spec path], "location"?: {file, line, col}, "fix"?: ...}`;
its severity comes from the metadata, never from the rule name.

Users' policies follow conftest: rules `deny`, `violation` (errors) and `warn` (warnings),
optionally suffixed (`deny_image`), in package `main` unless `--namespace` names others. A
rule's value may be a string or an object with `msg` (and optionally `path`, `location`,
`fix`); both OPA v1 (`deny contains msg if`) and v0 (`deny[msg] {`) syntax are accepted. A user
package with a METADATA block declaring `custom.code` and `custom.name` gets the same treatment
as a built-in.

regopy 1.5.2 quirks handled here: its JSON output does not escape quotes, so results are read
from the node tree; errors are printed on stdout unless the log level is NONE; a syntax error
is raised with a byte offset, turned here into file:line:col.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import ERROR, INFO, WARNING, Diagnostic

BUILTIN_PACKAGE = "shipgen.policies"
USER_RULES = {"deny": ERROR, "violation": ERROR, "warn": WARNING}
SEVERITIES = (ERROR, WARNING, INFO)
DOC_SECTIONS = ("what-it-flags", "why-it-matters", "example", "use-instead")
CODE_PATTERN = re.compile(r"^SG[1-9][0-9]{2}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
USER_CODE = "REGO"

_NAMESPACE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][A-Za-z0-9_.]*)", re.M)
_REGO_ERROR = re.compile(r"\(error \d+:(?P<file>[^|\n]*)\|(?P<offset>\d+)\|\d+\s*\n\s*\(errormsg \d+:(?P<message>.*)\)")


@dataclass(frozen=True)
class PolicyInfo:
    """A policy's metadata: what `shipgen explain` prints and what findings are labelled with."""

    code: str
    name: str
    title: str
    severity: str
    severity_outside_production: str  # "" when the same as `severity`
    options: dict  # option -> {"default": value, "description": text}
    docs: dict  # section -> text (DOC_SECTIONS)
    file: str
    package: str
    builtin: bool = True

    def severity_for(self, production: bool) -> str:
        if not production and self.severity_outside_production:
            return self.severity_outside_production
        return self.severity

    @property
    def defaults(self) -> dict:
        return {option: spec.get("default") for option, spec in self.options.items()}


@dataclass(frozen=True)
class RawFinding:
    """One value a rule produced, before config, suppressions and positions are applied."""

    code: str
    name: str
    severity: str  # the default severity, for this release
    message: str
    path: tuple  # spec path
    location: dict | None  # {"file", "line", "col"} when about another file (a migration)
    fix: str
    policy: PolicyInfo | None


@dataclass
class PolicySet:
    """Policies loaded into one regopy interpreter, ready to evaluate documents."""

    interpreter: object
    builtins: dict = field(default_factory=dict)  # package -> PolicyInfo
    annotated: dict = field(default_factory=dict)  # user package -> PolicyInfo
    namespaces: tuple = ("main",)
    bundle: object = None  # compiled on first use

    @property
    def policies(self) -> list:
        return sorted([*self.builtins.values(), *self.annotated.values()], key=lambda info: info.code)

    def evaluate(self, document: dict) -> list:
        """The raw findings of every policy for one input document."""
        if self.bundle is None:
            self.bundle = self.interpreter.build(self.query())
        # JSON text is parsed in C; regopy's Input() makes one ctypes call per value, far slower
        self.interpreter.set_input_term(json.dumps(document, sort_keys=True))
        results = _bundle_query(self.interpreter, self.bundle) or {}
        production = bool(document.get("production"))
        findings: list = []
        for leaf, denied in sorted((results.get("builtin") or {}).items()):
            info = self.builtins.get(f"{BUILTIN_PACKAGE}.{leaf}")
            if info is not None:
                findings.extend(_raw(value, info.code, info.name, info.severity_for(production), info)
                                for value in _members(denied))
        for namespace in self.namespaces:
            packages = (results.get("user") or {}).get(namespace) or []
            rules = packages[0] if packages and isinstance(packages[0], dict) else {}
            info = self.annotated.get(namespace)
            for rule in sorted(rules):
                severity = _user_rule_severity(rule)
                if severity is None:
                    continue
                if info is not None:
                    code, name, severity = info.code, info.name, info.severity_for(production)
                else:
                    code, name = USER_CODE, f"{namespace}.{rule}"
                findings.extend(_raw(value, code, name, severity, info) for value in _members(rules[rule]))
        return findings

    def query(self) -> str:
        """One query for everything, compiled once: the built-ins' `deny` sets, and each users'
        namespace as a list holding its package (empty when no policy defines it)."""
        users = ", ".join(f'"{namespace}": [package | package := data.{namespace}]' for namespace in self.namespaces)
        builtin = f"{{name: denied | denied := data.{BUILTIN_PACKAGE}[name].deny}}" if self.builtins else "{}"
        return f'{{"builtin": {builtin}, "user": {{{users}}}}}'


def _user_rule_severity(rule: str) -> str | None:
    for prefix, severity in USER_RULES.items():
        if rule == prefix or rule.startswith(prefix + "_"):
            return severity
    return None


def _members(value) -> list:
    """The elements of a rule's value: a set (list), a v0 partial set (object of key -> true),
    or a single value."""
    if value is None or value is False:
        return []
    if isinstance(value, list):
        return sorted(value, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, dict) and value and all(item is True for item in value.values()) \
            and not {"msg", "message"} & set(value):
        return [_decoded_key(key) for key in sorted(value)]
    return [value]


def _decoded_key(key: str):
    """A v0 partial set's element: regopy keys such sets by the element's JSON text."""
    if key[:1] in ('"', "{", "["):
        try:
            return json.loads(key)
        except ValueError:
            pass
    return key


def _raw(value, code: str, name: str, severity: str, info: PolicyInfo | None) -> RawFinding:
    if isinstance(value, dict):
        message = value.get("msg", value.get("message"))
        if not isinstance(message, str):
            message = json.dumps(value, sort_keys=True)
        location = value.get("location") if isinstance(value.get("location"), dict) else None
        return RawFinding(code, name, severity, message, spec_path(value.get("path", ())), location,
                          str(value.get("fix", "")), info)
    if value is True:
        value = f"{name} is true"
    return RawFinding(code, name, severity, str(value), (), None, "", info)


def spec_path(value) -> tuple:
    """A spec path from a list (`["strategy", "steps", 0]`) or text (`strategy.steps[0]`)."""
    if isinstance(value, (list, tuple)):
        return tuple(int(part) if isinstance(part, float) and part.is_integer() else part for part in value)
    if isinstance(value, str) and value:
        parts: list = []
        for piece in value.replace("]", "").split("."):
            name, *indexes = piece.split("[")
            if name:
                parts.append(name)
            parts.extend(int(index) for index in indexes if index.isdigit())
        return tuple(parts)
    return ()


# ---------------------------------------------------------------------------- loading


def builtin_policy_dir() -> Path:
    from .resources import data_dir

    return data_dir("policies")


def load_policies(policy_dirs=(), namespaces=("main",), builtins: bool = True) -> tuple[PolicySet | None, list]:
    """Load the built-in policies and every `*.rego` file below `policy_dirs` into one
    interpreter. Returns the set, or None and located diagnostics (syntax errors, bad metadata)."""
    from regopy import Interpreter, LogLevel

    from .load import display_path

    interpreter = Interpreter()
    interpreter.log_level = LogLevel.NONE
    policy_set = PolicySet(interpreter, namespaces=tuple(namespaces))
    problems: list = [Diagnostic("SG091", "invalid-policy", f"--namespace {namespace!r} is not a Rego package name "
                                 "(dot-separated identifiers, like main or deploy.checks)", ".")
                      for namespace in namespaces if not _NAMESPACE.match(namespace)]
    files = [(path, True) for path in sorted(builtin_policy_dir().glob("*.rego"))] if builtins else []
    for directory in policy_dirs:
        directory = Path(directory)
        if not directory.is_dir():
            problems.append(Diagnostic("SG091", "invalid-policy", "policy directory does not exist",
                                       display_path(directory)))
            continue
        files.extend((path, False) for path in sorted(directory.rglob("*.rego")))
    seen_codes: dict = {}
    for path, builtin in files:
        shown = display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Diagnostic("SG091", "invalid-policy", f"cannot read policy: {error}", shown))
            continue
        error = _add_module(interpreter, shown, text)
        if error:
            problems.append(error)
            continue
        info, problem = policy_info(text, shown, builtin)
        if problem:
            problems.append(problem)
            continue
        if info is None:
            continue
        if info.code in seen_codes and seen_codes[info.code] != info.package:
            problems.append(Diagnostic("SG091", "invalid-policy", f"code {info.code} is already used by "
                                       f"{seen_codes[info.code]}", shown, 1, 1))
            continue
        seen_codes[info.code] = info.package
        (policy_set.builtins if builtin else policy_set.annotated)[info.package] = info
    if problems:
        return None, problems
    return policy_set, []


def _add_module(interpreter, shown: str, text: str) -> Diagnostic | None:
    from regopy import RegoError

    try:
        interpreter.add_module(shown, text)
    except RegoError as error:
        detail = str(error.args[0]) if error.args else str(error)
        match = _REGO_ERROR.search(detail)
        if not match:
            return Diagnostic("SG091", "invalid-policy", f"Rego error: {' '.join(detail.split())}", shown, 1, 1)
        line, col = _line_col_of_byte(text, int(match.group("offset")))
        return Diagnostic("SG091", "invalid-policy", f"Rego syntax error: {match.group('message').strip()}",
                          shown, line, col)
    return None


def _line_col_of_byte(text: str, offset: int) -> tuple[int, int]:
    prefix = text.encode("utf-8")[:offset].decode("utf-8", errors="ignore")
    line_start = prefix.rfind("\n") + 1
    return prefix.count("\n") + 1, len(prefix) - line_start + 1


def read_metadata(text: str) -> dict | None:
    """The YAML of the first `# METADATA` comment block, or None."""
    import yaml

    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == "# METADATA":
            block = []
            for following in lines[index + 1:]:
                stripped = following.strip()
                if not stripped.startswith("#"):
                    break
                block.append(stripped[2:] if stripped.startswith("# ") else stripped[1:])
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            value = yaml.load("\n".join(block), Loader=loader)
            return value if isinstance(value, dict) else None
    return None


def policy_info(text: str, shown: str, builtin: bool) -> tuple[PolicyInfo | None, Diagnostic | None]:
    """A policy's metadata, checked. Users' policies without `custom.code` have none (None, None)."""
    package_match = _PACKAGE.search(text)
    package = package_match.group(1) if package_match else ""

    def problem(message: str):
        return None, Diagnostic("SG091", "invalid-policy", message, shown, 1, 1)

    try:
        metadata = read_metadata(text) or {}
    except Exception as error:  # noqa: BLE001 - any YAML error in a comment block
        return problem(f"METADATA block is not valid YAML: {error}")
    custom = metadata.get("custom") or {}
    if not builtin and "code" not in custom:
        return None, None
    code, name = str(custom.get("code", "")), str(custom.get("name", ""))
    if builtin and not package.startswith(BUILTIN_PACKAGE + "."):
        return problem(f"a built-in policy's package must be {BUILTIN_PACKAGE}.<name>, not {package!r}")
    if not CODE_PATTERN.match(code):
        return problem(f"METADATA custom.code {code!r} must be SG followed by a category digit 1-9 and two digits")
    if not NAME_PATTERN.match(name):
        return problem(f"METADATA custom.name {name!r} must be kebab-case")
    severity = custom.get("severity", ERROR)
    outside = custom.get("severity-outside-production", "")
    if severity not in SEVERITIES or (outside and outside not in SEVERITIES):
        return problem(f"METADATA severity must be one of {', '.join(SEVERITIES)}")
    options = custom.get("options") or {}
    if not isinstance(options, dict) or not all(isinstance(spec, dict) and "default" in spec
                                                for spec in options.values()):
        return problem("METADATA custom.options maps each option to {default, description}")
    docs = {section: str(custom.get(section, "")).strip() for section in DOC_SECTIONS}
    if builtin and not all(docs.values()):
        missing = ", ".join(section for section, text in docs.items() if not text)
        return problem(f"METADATA lacks documentation sections: {missing}")
    return PolicyInfo(code, name, str(metadata.get("title", name)), severity, outside, options, docs, shown,
                      package, builtin), None


# ---------------------------------------------------------------------------- reading results


def _bundle_query(interpreter, bundle):
    """The value of a compiled query as Python data (None when undefined or on error).

    regopy's own Output parses the result's JSON text, which it does not escape; the node tree
    is read instead, through the functions regopy itself uses."""
    from regopy.rego_shared import rego_bundle_query, rego_free_output, rego_output_node, rego_output_ok

    output = rego_bundle_query(interpreter._impl, bundle._impl)
    try:
        if not rego_output_ok(output):
            return None
        return _first_term(rego_output_node(output))
    finally:
        rego_free_output(output)


def _first_term(node):
    from regopy import NodeKind
    from regopy.rego_shared import rego_node_get, rego_node_size, rego_node_type

    kind = rego_node_type(node)
    if kind == NodeKind.Terms:
        return _python(rego_node_get(node, 0)) if rego_node_size(node) else None
    if kind in (NodeKind.Results, NodeKind.Result):
        for index in range(rego_node_size(node)):
            value = _first_term(rego_node_get(node, index))
            if value is not None:
                return value
    return None


def _python(node):
    """A regopy result node as Python data."""
    from regopy import NodeKind
    from regopy.rego_shared import rego_node_get, rego_node_size, rego_node_type, rego_node_value

    kind = rego_node_type(node)
    size = rego_node_size(node)
    if kind in (NodeKind.Term, NodeKind.Scalar):
        return _python(rego_node_get(node, 0)) if size else None
    if kind == NodeKind.Object:
        result = {}
        for index in range(size):
            item = rego_node_get(node, index)
            key = _python(rego_node_get(item, 0))
            result[key if isinstance(key, str) else json.dumps(key, sort_keys=True)] = _python(rego_node_get(item, 1))
        return result
    if kind in (NodeKind.Array, NodeKind.Set):
        return [_python(rego_node_get(node, index)) for index in range(size)]
    value = rego_node_value(node)
    if kind == NodeKind.String:
        # usually the JSON-escaped text without quotes; some nodes (values bound inside a v0 set
        # element) hold the quoted JSON string. A real leading quote would be escaped (\").
        try:
            return json.loads(value if value.startswith('"') else f'"{value}"')
        except ValueError:
            return value
    if kind == NodeKind.Int:
        return int(value)
    if kind == NodeKind.Float:
        return float(value)
    if kind in (NodeKind.Boolean, NodeKind.True_, NodeKind.False_):
        return value == "true"
    return None
