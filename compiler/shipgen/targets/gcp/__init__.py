"""Google Cloud: Cloud Run and Traffic Director (shipgen's rollout script steps the traffic) and
Cloud Deploy (`targets-cloud.md` §8-§10, §14). Settings shared with Azure live in `../gcp_azure/`.

- `cloud_run.py`, `cloud_deploy.py`, `traffic_director.py`: one delivery module per platform;
- `rollout.py`: the rollout model.
"""

from __future__ import annotations

from importlib import import_module

PLATFORMS = {"gcp-cloud-run": "cloud_run", "gcp-cloud-deploy": "cloud_deploy",
             "gcp-traffic-director": "traffic_director"}


def delivery_module(release):
    module = PLATFORMS.get(release.platform.kind)
    return import_module(f"{__name__}.{module}") if module else None


def rollout_model(release):
    """This controller's `shipgen.rollout.Rollout` for the release (`rollout.py`)."""
    from .rollout import rollout

    return rollout(release)
