"""AWS: ECS, Lambda and EC2, deployed through CloudFormation/SAM and CodeDeploy
(`targets-cloud.md` §1-§7).

- `settings.py`: the typed `platform.aws` model; `normalize.py`: builds it and refuses what
  AWS cannot do;
- `common.py`: what the three platforms share (alarms, CodeDeploy configurations, hooks);
- `ecs.py`, `lambdas.py`, `ec2.py`: one delivery module per platform;
- `rollout.py`: the rollout model: CodeDeploy's TimeBased canary/linear shifts, alarms
  (period x evaluation periods), termination wait; the ECS rolling update.
"""

from __future__ import annotations

from importlib import import_module

PLATFORMS = {"aws-ecs": "ecs", "aws-lambda": "lambdas", "aws-ec2": "ec2"}


def delivery_module(release):
    module = PLATFORMS.get(release.platform.kind)
    return import_module(f"{__name__}.{module}") if module else None


def rollout_model(release):
    """This controller's `shipgen.rollout.Rollout` for the release (`rollout.py`)."""
    from .rollout import rollout

    return rollout(release)
