"""Rendering a Detection for people (text) and for programs (JSON, built as data)."""

from __future__ import annotations

import json


def render_json(detection) -> str:
    return json.dumps(detection.as_data(), indent=2, ensure_ascii=False) + "\n"


def render_text(detection) -> str:
    lines = []
    if not detection.findings:
        lines.append(f"nothing found in {detection.root} that shows where it deploys to")
    for finding in detection.findings:
        lines.append(f"{finding.evidence}: {finding.kind} [{finding.confidence}] {finding.what} ({finding.reason})")
    if detection.services:
        lines.append("")
        lines.append(f"services ({len(detection.services)}):")
    for service in detection.services:
        lines.append(f"  {service.name}: {', '.join(service.kinds)}")
        summary = _summary(service.facts)
        if summary:
            lines.append(f"    {summary}")
        lines.append(f"    evidence: {', '.join(service.evidence)}")
        for note in service.notes:
            lines.append(f"    to decide: {note}")
    if detection.skipped:
        lines.append("")
        lines.append("not read:")
        lines.extend(f"  {path}: {reason}" for path, reason in detection.skipped)
    return "\n".join(lines) + "\n"


def _summary(facts: dict) -> str:
    service = facts.get("service", {})
    platform = facts.get("platform", {})
    parts = []
    if service.get("image"):
        parts.append(f"image {service['image']}")
    if service.get("ports"):
        parts.append("ports " + ", ".join(str(p["port"]) for p in service["ports"]))
    if service.get("replicas"):
        parts.append(f"replicas {service['replicas']}")
    for probe, value in sorted(service.get("health", {}).items()):
        handler = value.get("path") or ("tcp" if value.get("tcp") else "grpc" if value.get("grpc") else "exec")
        parts.append(f"{probe} {handler}")
    kind = platform.get("kind", "kubernetes")
    controller = platform.get("controller")
    provider = platform.get("traffic", {}).get("provider")
    parts.append("platform " + "/".join(p for p in (kind, controller, provider) if p))
    strategy = facts.get("strategy", {})
    if strategy.get("type"):
        steps = strategy.get("steps")
        weights = [s["weight"] if isinstance(s, dict) else s for s in steps or []]
        parts.append(f"strategy {strategy['type']}" + (f" {'/'.join(map(str, weights))}%" if weights else ""))
    if facts.get("gates"):
        parts.append("gates " + ", ".join(g["name"] for g in facts["gates"]))
    return "; ".join(parts)
