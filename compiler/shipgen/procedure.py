"""Procedures: the steps a person follows to deploy, watch and roll back a release.

Delivery targets describe their platform's procedure as data; the runbook template prints it.
Every command is built with `shell.quote` on values that came from a spec.

A step may carry a *role* that machines read: the release train's CI workflow runs a release's
`apply` steps, then its `verdict` steps (a command that blocks until the controller has decided,
exiting non-zero on failure), and on failure its `abort` steps (stop a rollout in flight and
return to the stable version) or, for a release that had completed, its `rollback` steps. A
step that needs a value a person must look up (`DEPLOYMENT_ID`, `PREVIOUS_VERSION`) gets no
role. The workflow never re-derives a platform's commands: it reads these.
"""

from __future__ import annotations

from typing import NamedTuple


class Step(NamedTuple):
    """One step a person performs: what it does, and the exact command when there is one."""

    title: str
    command: str = ""
    detail: str = ""
    role: str = ""  # "" | apply | verdict | abort | rollback: see ROLES


APPLY, VERDICT, ABORT, ROLLBACK = "apply", "verdict", "abort", "rollback"
ROLES = (APPLY, VERDICT, ABORT, ROLLBACK)


class Procedure(NamedTuple):
    """How a release is rolled out and back on its platform, for the runbook."""

    controller: str  # who performs the rollout, in words
    deploy: tuple  # of Step
    watch: tuple  # of Step: how to follow the rollout while it runs
    rollback: tuple  # of Step
    automatic_rollback: str  # what rolls back by itself, and on which numbers; "" if nothing does
    notes: tuple = ()  # of str: caveats a person must know

    def commands(self, role: str) -> tuple:
        """The commands of every step with this role, in procedure order (deploy, watch, rollback)."""
        steps = tuple(self.deploy) + tuple(self.watch) + tuple(self.rollback)
        return tuple(step.command for step in steps if step.role == role and step.command)
