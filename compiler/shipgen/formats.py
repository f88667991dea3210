"""Output formats for findings: `text` (one line each, `diagnostics.render_text`), `json`,
`sarif` (SARIF 2.1.0 for code scanning, validated in the tests against the official OASIS
schema) and `github` (workflow commands that GitHub Actions turns into annotations).

All renderers are pure: a list of Diagnostics (and the policies' metadata) in, text out,
deterministic (sorted, no timestamps).
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from .diagnostics import ERROR, INFO, WARNING, spec_path_text

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVELS = {ERROR: "error", WARNING: "warning", INFO: "note"}
FINGERPRINT_KEY = "shipgenFindingHash/v1"


def default_format(environment) -> str:
    """`github` under GitHub Actions (GITHUB_ACTIONS=true), else `text`."""
    return "github" if environment.get("GITHUB_ACTIONS") == "true" else "text"


def render(findings: list, output_format: str, policies: list = (), version: str = "") -> str:
    if output_format == "json":
        return render_json(findings)
    if output_format == "sarif":
        return render_sarif(findings, policies, version)
    if output_format == "github":
        return render_github(findings)
    return render_text(findings)


def render_text(findings: list) -> str:
    from .diagnostics import render_text as line

    return "".join(line(finding) + "\n" for finding in findings)


def summary(findings: list) -> dict:
    return {level: sum(1 for finding in findings if finding.severity == level) for level in (ERROR, WARNING, INFO)}


def summary_text(findings: list, releases: int) -> str:
    counts = summary(findings)
    if not findings:
        return f"{releases} release spec(s) linted: no findings"
    parts = [f"{counts[level]} {level}{'s' if counts[level] != 1 else ''}" for level in (ERROR, WARNING, INFO)
             if counts[level]]
    return f"{releases} release spec(s) linted: {', '.join(parts)}"


def finding_json(finding) -> dict:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "message": " ".join(finding.message.split()),
        "file": finding.file,
        "line": finding.line,
        "col": finding.col,
        "end_line": finding.end_line,
        "end_col": finding.end_col,
        "spec_path": spec_path_text(finding.spec_path),
        "fix": finding.fix,
        "fingerprint": fingerprint(finding),
    }


def render_json(findings: list) -> str:
    document = {"findings": [finding_json(finding) for finding in findings], "summary": summary(findings)}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def fingerprint(finding) -> str:
    """Stable across unrelated edits: code, file, spec path and message, never line numbers."""
    import hashlib  # here: loading OpenSSL costs every `--format text` run ~5 ms

    key = "\x1f".join((finding.code, finding.name, finding.file, spec_path_text(finding.spec_path),
                       " ".join(finding.message.split())))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


# ---------------------------------------------------------------------------- GitHub


def render_github(findings: list) -> str:
    """`::error file=...,line=...,col=...,title=...::message` per finding."""
    lines = []
    for finding in findings:
        command = {ERROR: "error", WARNING: "warning"}.get(finding.severity, "notice")
        properties = [f"file={_property(finding.file)}"]
        if finding.line:
            properties += [f"line={finding.line}", f"col={finding.col}"]
            if finding.end_line:
                properties += [f"endLine={finding.end_line}", f"endColumn={finding.end_col}"]
        properties.append(f"title={_property(f'{finding.code} {finding.name}')}")
        lines.append(f"::{command} {','.join(properties)}::{_data(finding.message)}")
    return "".join(line + "\n" for line in lines)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


# ---------------------------------------------------------------------------- SARIF


def render_sarif(findings: list, policies: list = (), version: str = "") -> str:
    rules, index = _sarif_rules(findings, policies)
    results = [_sarif_result(finding, index) for finding in findings]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "shipgen", "version": version or "0", "informationUri": "https://shipgen.dev",
                                "rules": rules}},
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "The working directory shipgen ran in."}}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, sort_keys=True) + "\n"


def _sarif_rules(findings: list, policies: list) -> tuple[list, dict]:
    """One reportingDescriptor per policy (and per other code found), and code -> its index."""
    described = {}
    for info in policies:
        described[info.code] = {
            "id": info.code,
            "name": info.name,
            "shortDescription": {"text": info.title},
            "fullDescription": {"text": info.docs.get("what-it-flags", info.title)},
            "help": {"text": help_text(info), "markdown": help_markdown(info)},
            "defaultConfiguration": {"level": SARIF_LEVELS.get(info.severity, "warning")},
            "properties": {"tags": ["shipgen", f"category-{info.code[2]}"]},
        }
    for finding in findings:
        if finding.code not in described:
            described[finding.code] = {"id": finding.code, "name": finding.name,
                                       "shortDescription": {"text": finding.name.replace("-", " ")},
                                       "defaultConfiguration": {"level": SARIF_LEVELS.get(finding.severity, "warning")}}
    rules = [described[code] for code in sorted(described)]
    return rules, {rule["id"]: position for position, rule in enumerate(rules)}


def _sarif_result(finding, index: dict) -> dict:
    result = {
        "ruleId": finding.code,
        "ruleIndex": index[finding.code],
        "level": SARIF_LEVELS.get(finding.severity, "warning"),
        "message": {"text": " ".join(finding.message.split())},
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {"name": finding.name, "specPath": spec_path_text(finding.spec_path)},
    }
    physical = {"artifactLocation": {"uri": _uri(finding.file), "uriBaseId": "SRCROOT"}}
    if finding.line:
        region = {"startLine": finding.line, "startColumn": max(1, finding.col)}
        if finding.end_line >= finding.line and finding.end_col:
            region.update({"endLine": finding.end_line, "endColumn": max(1, finding.end_col)})
        physical["region"] = region
    result["locations"] = [{"physicalLocation": physical}]
    if finding.fix:
        result["properties"]["fix"] = finding.fix
    return result


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(PurePosixPath(path).as_posix())


def help_text(info) -> str:
    sections = [("What it flags", info.docs.get("what-it-flags", "")), ("Why it matters", info.docs.get("why-it-matters", "")),
                ("Example", info.docs.get("example", "")), ("Use instead", info.docs.get("use-instead", "")),
                ("Options", options_text(info))]
    return "\n\n".join(f"{title}:\n{body}" for title, body in sections if body)


def help_markdown(info) -> str:
    parts = [f"**{info.code} {info.name}**: {info.title}", "", "### What it flags", info.docs.get("what-it-flags", ""),
             "", "### Why it matters", info.docs.get("why-it-matters", ""), "", "### Example", "```yaml",
             info.docs.get("example", "").rstrip(), "```", "", "### Use instead", "```yaml",
             info.docs.get("use-instead", "").rstrip(), "```", "", "### Options", options_text(info)]
    return "\n".join(parts)


def options_text(info) -> str:
    if not info.options:
        return "None."
    return "\n".join(f"- `{option}` (default {json.dumps(spec.get('default'))}): "
                     f"{' '.join(str(spec.get('description', '')).split())}"
                     for option, spec in info.options.items())
