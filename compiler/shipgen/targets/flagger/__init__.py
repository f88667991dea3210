"""Flagger (`platform.controller: flagger`, `targets-k8s.md` §1).

- `checks.py`: what Flagger cannot do, refused or approximated during normalize;
- `canary.py`: the Canary and what it references; `procedure.py`: the runbook procedure, its
  timing read from the rollout model; `target.py`: the delivery module (both together);
- `hooks.py`: the loadtester webhooks (smoke tests, load test, approval and rollback gates);
- `rollout.py`: the rollout model: ticks of `analysis.interval`, the failed-check counter
  against `threshold`, the weights, promotion.
"""

from __future__ import annotations


def delivery_module(release):
    if release.platform.kind == "kubernetes" and release.platform.controller == "flagger":
        from . import target

        return target
    return None


def rollout_model(release):
    """This controller's `shipgen.rollout.Rollout` for the release (`rollout.py`)."""
    from .rollout import rollout

    return rollout(release)
