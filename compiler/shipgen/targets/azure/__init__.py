"""Azure: Container Apps, App Service slot swap and Traffic Manager, each rolled out by the
script shipgen generates (`targets-cloud.md` §11-§14). Settings shared with GCP live in
`../gcp_azure/`.

- `container_apps.py`, `app_service.py`, `traffic_manager.py`: one delivery module per platform;
- `rollout.py`: the rollout model.
"""

from __future__ import annotations

from importlib import import_module

PLATFORMS = {"azure-container-apps": "container_apps", "azure-app-service": "app_service",
             "azure-traffic-manager": "traffic_manager"}


def delivery_module(release):
    module = PLATFORMS.get(release.platform.kind)
    return import_module(f"{__name__}.{module}") if module else None


def rollout_model(release):
    """This controller's `shipgen.rollout.Rollout` for the release (`rollout.py`)."""
    from .rollout import rollout

    return rollout(release)
