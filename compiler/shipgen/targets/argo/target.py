"""The delivery module of Argo Rollouts: the objects (`objects.py`) and the runbook procedure
(`procedure.py`), which reads the objects; neither imports this module."""

from __future__ import annotations

from .objects import NAME, gate_query_target, render, smoke_host  # noqa: F401 (the contract)
from .procedure import procedure as runbook_procedure


def procedure(release, facts):
    return runbook_procedure(release)
