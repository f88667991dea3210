"""Kubernetes Deployments: the rolling or recreate update of `platform.controller: deployment`.

- `manifests.py`: the Deployment, Service, PodDisruptionBudget and HorizontalPodAutoscaler, and
  the builders the progressive controllers (Flagger, Argo Rollouts) share; the runbook procedure;
- `rollout.py`: the rollout model (maxSurge/maxUnavailable arithmetic, minReadySeconds,
  progressDeadlineSeconds; `targets-k8s.md` §3).
"""

from __future__ import annotations


def delivery_module(release):
    if release.platform.kind == "kubernetes" and release.platform.controller == "deployment":
        from . import manifests

        return manifests
    return None


def rollout_model(release):
    """This controller's `shipgen.rollout.Rollout` for the release (`rollout.py`)."""
    from .rollout import rollout

    return rollout(release)
