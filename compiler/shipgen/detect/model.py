"""The nouns of `shipgen detect`: a Finding (what was found, where, how sure) and a DetectedService
(the facts of one deployable service, gathered from every finding about it, as a partial release
spec).

A finding's `facts` are a fragment of a release spec (schemas/release-v1alpha1.schema.json): the
same keys, already in the spec's units, so `shipgen init` writes them without translating again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HIGH, MEDIUM, LOW = "high", "medium", "low"
CONFIDENCE_ORDER = {HIGH: 0, MEDIUM: 1, LOW: 2}


@dataclass(frozen=True, eq=False)
class Finding:
    kind: str  # what it deploys to or with: kubernetes, helm, istio, aws-sam, ...
    what: str  # the resource found, e.g. "Deployment web"
    file: str  # relative to the directory searched
    line: int
    confidence: str  # high, medium or low
    reason: str  # why this is taken to be `kind`
    service: str = ""  # the service it tells about, if any
    defines: bool = False  # True when it describes the service's workload itself (image, ports, ...)
    facts: dict = field(default_factory=dict)  # partial release spec
    notes: tuple = ()  # what a person must still decide

    @property
    def evidence(self) -> str:
        return f"{self.file}:{self.line}"

    def as_data(self) -> dict:
        data = {"kind": self.kind, "what": self.what, "evidence": self.evidence, "file": self.file,
                "line": self.line, "confidence": self.confidence, "reason": self.reason}
        if self.service:
            data["service"] = self.service
        if self.facts:
            data["facts"] = self.facts
        if self.notes:
            data["notes"] = list(self.notes)
        return data


@dataclass
class DetectedService:
    name: str
    facts: dict = field(default_factory=dict)
    evidence: list = field(default_factory=list)  # "file:line (kind)"
    notes: list = field(default_factory=list)
    kinds: list = field(default_factory=list)

    def as_data(self) -> dict:
        return {"name": self.name, "kinds": self.kinds, "evidence": self.evidence, "facts": self.facts,
                "notes": self.notes}


def merge_facts(into: dict, facts: dict) -> None:
    """Deep merge where what is already known wins (findings are merged best source first)."""
    for key, value in facts.items():
        if key not in into:
            into[key] = value
        elif isinstance(into[key], dict) and isinstance(value, dict):
            merge_facts(into[key], value)


def services_of(findings: list) -> list:
    """The services some finding defines, each with the facts of every finding naming it."""
    services: dict = {}
    for finding in sorted(findings, key=lambda f: (not f.defines, CONFIDENCE_ORDER[f.confidence], f.file, f.line)):
        if not finding.service:
            continue
        if finding.service not in services:
            if not finding.defines:
                continue
            services[finding.service] = DetectedService(finding.service)
        service = services[finding.service]
        merge_facts(service.facts, finding.facts)
        service.evidence.append(f"{finding.evidence} ({finding.kind})")
        if finding.kind not in service.kinds:
            service.kinds.append(finding.kind)
        service.notes.extend(note for note in finding.notes if note not in service.notes)
    return [services[name] for name in sorted(services)]


_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
ROLE_SUFFIXES = ("-primary", "-canary", "-stable", "-preview", "-active", "-green", "-blue")


def service_name(text) -> str:
    """A DNS label for a service (the release spec's metadata.name), from a resource's name."""
    name = _NOT_LABEL.sub("-", str(text or "").lower()).strip("-")
    name = re.sub("-{2,}", "-", name)
    if name and not name[0].isalpha():
        name = f"svc-{name}"
    return name[:45].rstrip("-") or "service"


def base_name(text) -> str:
    """The service a role-suffixed copy belongs to: `web-primary` -> `web`."""
    name = service_name(text)
    for suffix in ROLE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name
