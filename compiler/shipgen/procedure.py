"""Procedures: the steps a person follows to deploy, watch and roll back a release.

Delivery targets describe their platform's procedure as data; the runbook template prints it.
Every command is built with `shell.quote` on values that came from a spec.
"""

from __future__ import annotations

from typing import NamedTuple


class Step(NamedTuple):
    """One step a person performs: what it does, and the exact command when there is one."""

    title: str
    command: str = ""
    detail: str = ""


class Procedure(NamedTuple):
    """How a release is rolled out and back on its platform, for the runbook."""

    controller: str  # who performs the rollout, in words
    deploy: tuple  # of Step
    watch: tuple  # of Step: how to follow the rollout while it runs
    rollback: tuple  # of Step
    automatic_rollback: str  # what rolls back by itself, and on which numbers; "" if nothing does
    notes: tuple = ()  # of str: caveats a person must know
