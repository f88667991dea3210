"""`shipgen detect`: find what a repository deploys to, with evidence (file:line) and a confidence
for each finding, and the services those files describe, as partial release specs that
`shipgen init` turns into starter specs.

    read_repository (loader.py, the only I/O, read-only)
      -> detectors, pure over one file each (kubernetes.py, files.py, cloud.py)
      -> findings -> services (model.py: facts of every finding about a service, best source first)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .model import Finding, merge_facts, services_of


@dataclass
class Detection:
    root: str
    findings: list = field(default_factory=list)
    services: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (path, reason)

    def as_data(self) -> dict:
        return {"root": self.root, "findings": [f.as_data() for f in self.findings],
                "services": [s.as_data() for s in self.services],
                "skipped": [{"file": path, "reason": reason} for path, reason in self.skipped]}


def detect(root: Path, shown_as: str | None = None) -> Detection:
    from .loader import read_repository

    repository = read_repository(root)
    findings = findings_of(repository)
    skipped = list(repository.skipped) + [(f.path, f.parse_error) for f in repository.files.values()
                                          if f.parse_error]
    return Detection(shown_as or root.as_posix(), findings, services_with_context(findings), sorted(skipped))


def findings_of(repository) -> list:
    from . import cloud, files, kubernetes

    findings: list = []
    for file in repository.files.values():
        for detector in files.DETECTORS + cloud.DETECTORS:
            findings.extend(detector(file, repository))
        if file.name == "Chart.yaml" or files.in_chart_templates(file, repository) or file.name.lower().startswith(
                ("appspec.", "kustomization.")) or files.COMPOSE_NAMES.match(file.name):
            continue
        for document in file.documents:
            findings.extend(kubernetes.manifest_findings(file, document))
    return sorted(findings, key=lambda f: (f.file, f.line, f.kind, f.what))


def services_with_context(findings: list) -> list:
    """The services, with the facts that hold for the whole repository (a Cloud Deploy pipeline
    delivers the Cloud Run services; a target names their project and region)."""
    services = services_of(findings)
    _apply_image_overrides(services, [f for f in findings if "imageOverride" in f.facts])
    pipelines = [f for f in findings if f.service == "@pipeline"]
    targets = [f for f in findings if f.kind == "gcp-cloud-deploy" and not f.service and f.facts]
    for service in services:
        if service.facts.get("platform", {}).get("kind") != "gcp-cloud-run":
            continue
        for finding in pipelines[:1] + targets:
            if finding.service == "@pipeline":
                service.facts["platform"]["kind"] = "gcp-cloud-deploy"
            merge_facts(service.facts, finding.facts)
            service.evidence.append(f"{finding.evidence} ({finding.kind})")
            if finding.kind not in service.kinds:
                service.kinds.append(finding.kind)
    return services


def _apply_image_overrides(services: list, overrides: list) -> None:
    """A kustomization's `images` entry replaces the image its manifests name: the image deployed."""
    for service in services:
        current = service.facts.get("service", {}).get("image", "")
        repository = current.split("@")[0].rsplit(":", 1)[0] if ":" in current.split("/")[-1] or "@" in current \
            else current
        for finding in overrides:
            if current and finding.facts["imageOverride"]["name"] == repository:
                service.facts["service"]["image"] = finding.facts["imageOverride"]["image"]
                service.evidence.append(f"{finding.evidence} ({finding.kind})")
                if finding.kind not in service.kinds:
                    service.kinds.append(finding.kind)
                break


__all__ = ["Detection", "Finding", "detect"]
