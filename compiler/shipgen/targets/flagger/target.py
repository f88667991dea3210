"""The delivery module of Flagger: the objects (`canary.py`) and the runbook procedure
(`procedure.py`), which reads the objects and the rollout model; neither imports this module."""

from __future__ import annotations

from .canary import NAME, gate_query_target, render, serving_query_target, smoke_host  # noqa: F401 (the contract)
from .procedure import procedure  # noqa: F401 (the contract)
