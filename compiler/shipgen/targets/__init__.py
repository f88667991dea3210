"""Targets: pure functions from the release model to artifacts.

A *delivery controller* is the thing that performs a release's rollout on its platform. Each
has one package here holding everything shipgen knows about it: its settings, the capability
checks normalize runs, the artifacts it renders, the runbook procedure, and its **rollout
model** (`rollout.py`: what the controller will do, phase by phase, read from the artifacts it
emits; see `shipgen.rollout`). A package's `__init__.py` is its contract:

- `delivery_module(release) -> module | None`: the module that renders this release, when the
  release is this controller's;
- `rollout_model(release) -> shipgen.rollout.Rollout`: the controller's rollout model for the release.

The delivery module has `NAME`, `render(release, facts) -> list[Artifact]` and
`procedure(release, facts) -> Procedure`, and may have the runbook hooks `gate_query_target`,
`smoke_host`, `smoke_command` and `serving_query_target`.

The *supporting* targets (SLO alerts, dashboards, the plan, the runbook) apply to any
controller and read the delivery module's hooks and the rollout model.

Adding a platform is one package and one line in `CONTROLLERS`. Packages are imported only when
a release needs them, so `shipgen validate` does not pay for every target.
"""

from __future__ import annotations

from importlib import import_module

CONTROLLERS = ("kubernetes", "flagger", "argo", "aws", "gcp", "azure", "vm")
SUPPORTING = ("slo_alerts", "grafana", "gcp.monitoring", "azure.monitoring", "flags", "plan", "drill", "runbook")  # in rendering order: the runbook comes last


def controller_package(release):
    """The package of the controller that rolls this release out (exactly one applies)."""
    for name in CONTROLLERS:
        package = import_module(f"{__name__}.{name}")
        if package.delivery_module(release) is not None:
            return package
    raise LookupError(f"no delivery controller for platform {release.platform.kind!r}")  # normalize prevents this


def delivery_target(release):
    """The module that renders this release's rollout and writes its procedure."""
    return controller_package(release).delivery_module(release)


def rollout_of(release):
    """The release's rollout model (`shipgen.rollout.Rollout`), from its controller's package."""
    return controller_package(release).rollout_model(release)


def supporting_targets() -> tuple:
    return tuple(import_module(f"{__name__}.{name}") for name in SUPPORTING)


def render_release(release, facts) -> list:
    artifacts = list(delivery_target(release).render(release, facts))
    for target in supporting_targets():
        if target.applies(release):
            artifacts.extend(target.render(release, facts))
    return artifacts
