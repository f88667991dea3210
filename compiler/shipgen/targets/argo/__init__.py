"""Argo Rollouts (`platform.controller: argo-rollouts`, `targets-k8s.md` §2).

- `checks.py`: what Argo Rollouts cannot do, refused during normalize;
- `objects.py`: the Rollout, its Services, AnalysisTemplates and traffic objects;
- `procedure.py`: the runbook procedure; `target.py`: the delivery module (objects + procedure);
- `rollout.py`: the rollout model: setWeight/pause/analysis steps, background and inline
  analysis (count, interval, failureLimit, consecutiveErrorLimit), blue-green promotion.
"""

from __future__ import annotations


def delivery_module(release):
    if release.platform.kind == "kubernetes" and release.platform.controller == "argo-rollouts":
        from . import target

        return target
    return None


def rollout_model(release):
    """This controller's `shipgen.rollout.Rollout` for the release (`rollout.py`)."""
    from .rollout import rollout

    return rollout(release)
