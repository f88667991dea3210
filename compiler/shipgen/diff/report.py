"""A diff as Markdown (a pull-request comment: a summary table, details per release in
`<details>` blocks, at most GitHub's 65,536 characters), JSON (for tools) and text."""

from __future__ import annotations

import json

from .compare import CHANGE, RISK_DECREASE, RISK_INCREASE

COMMENT_LIMIT = 65536  # GitHub's limit on an issue or pull-request comment, in characters
VALUE_LIMIT = 120  # characters of one old or new value shown in Markdown and text


def shown(value) -> str:
    """A field's value on one line: `none` when absent, JSON otherwise, cut to VALUE_LIMIT."""
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_LIMIT else text[:VALUE_LIMIT - 1] + "…"


def counts(diff) -> dict:
    behaviour = [change for entry in diff.releases for change in entry.behaviour]
    return {"risk_increase": sum(change.kind == RISK_INCREASE for change in behaviour),
            "risk_decrease": sum(change.kind == RISK_DECREASE for change in behaviour),
            "change": sum(change.kind == CHANGE for change in behaviour),
            "findings_added": sum(len(entry.findings_added) for entry in diff.releases),
            "findings_resolved": sum(len(entry.findings_resolved) for entry in diff.releases)}


def _row(entry) -> dict:
    worst = entry.behaviour[0].text if entry.behaviour else ("new release" if entry.status == "added" else
                                                             "release removed" if entry.status == "removed" else "none")
    more = f" (+{len(entry.behaviour) - 1} more)" if len(entry.behaviour) > 1 else ""
    findings = f"+{len(entry.findings_added)} / -{len(entry.findings_resolved)}"
    return {"key": entry.key, "status": entry.status, "behaviour": worst + more, "findings": findings,
            "resources": str(len(entry.resources))}


def _detail(entry) -> dict:
    resources = [{"resource": resource.resource, "file": resource.file, "status": resource.status,
                  "lines": resource.lines,
                  "fields": [{"path": field.path, "old": shown(field.old), "new": shown(field.new)}
                             for field in resource.fields]} for resource in entry.resources]
    return {"key": entry.key, "status": entry.status, "open": entry.risk_increase, "behaviour": entry.behaviour,
            "findings_added": entry.findings_added, "findings_resolved": entry.findings_resolved,
            "resources": resources}


def markdown(diff) -> str:
    from ..templating import render_template

    shown_entries = [entry for entry in diff.releases if entry.status != "unchanged"]
    context = {"diff": diff, "counts": counts(diff), "rows": [_row(entry) for entry in shown_entries],
               "changed_resources": any(entry.resources for entry in diff.releases)}
    kept = len(shown_entries)
    while True:
        text = render_template("diff.md.j2", detailed=[_detail(entry) for entry in shown_entries[:kept]],
                               cut=len(shown_entries) - kept, **context)
        if len(text) <= COMMENT_LIMIT or kept == 0:
            break
        kept = kept * len(text) // (len(text) + COMMENT_LIMIT) if kept > 1 else 0  # fewer details, then none
    if len(text) > COMMENT_LIMIT:  # even the table alone is too long
        note = "\n\n> **Cut:** the summary is longer than a GitHub comment; see the JSON output.\n"
        text = text[:COMMENT_LIMIT - len(note)].rsplit("\n", 1)[0] + note
    return text


def _finding(finding) -> dict:
    return {"code": finding.code, "name": finding.name, "severity": finding.severity, "message": finding.message,
            "file": finding.file, "line": finding.line}


def as_json(diff) -> dict:
    return {
        "base": diff.base, "head": diff.head, "behavioural_change": diff.behavioural_change, "counts": counts(diff),
        "releases": [{
            "release": entry.key, "status": entry.status, "previous": entry.old_key,
            "risk_increase": entry.risk_increase,
            "behaviour": [{"class": change.kind, "text": change.text} for change in entry.behaviour],
            "findings": {"added": [_finding(finding) for finding in entry.findings_added],
                         "resolved": [_finding(finding) for finding in entry.findings_resolved]},
            "resources": [{"resource": resource.resource, "file": resource.file, "status": resource.status,
                           "lines": resource.lines,
                           "fields": [{"path": field.path, "old": field.old, "new": field.new}
                                      for field in resource.fields]} for resource in entry.resources],
        } for entry in diff.releases],
    }


def text(diff) -> str:
    lines = [f"shipgen diff: {diff.base} -> {diff.head}"]
    if not diff.behavioural_change:
        lines.append(f"no behavioural change in {len(diff.releases)} release(s)")
    for entry in diff.releases:
        if entry.status == "unchanged":
            continue
        lines.append(f"{entry.key}: {entry.status}")
        lines += [f"  {change.kind}: {change.text}" for change in entry.behaviour]
        lines += [f"  finding added: {finding.code} {finding.message}" for finding in entry.findings_added]
        lines += [f"  finding resolved: {finding.code} {finding.message}" for finding in entry.findings_resolved]
        for resource in entry.resources:
            lines.append(f"  {resource.status}: {resource.resource} ({resource.file})"
                         + (f", {resource.lines} line(s)" if resource.lines else ""))
            lines += [f"    {field.path}: {shown(field.old)} -> {shown(field.new)}" for field in resource.fields]
    return "\n".join(lines) + "\n"
