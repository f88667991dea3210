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


def rollout(release):
    from .rollout import rollout as rollout_model

    return rollout_model(release)
