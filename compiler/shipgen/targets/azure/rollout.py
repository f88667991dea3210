"""The rollout model of Azure's targets: each is rolled out by the `rollout.sh` script shipgen
generates (`../gcp_azure/rollout.py`). Traffic Manager gives each step the share its integer
endpoint weights really give, and clients follow a change only once their DNS answer expires.
"""

from __future__ import annotations

from ...durations import human
from ...model import Release
from ...rollout.model import Rollout
from ..gcp_azure.rollout import script_rollout

CONTROLLERS = {"azure-container-apps": "Azure Container Apps revisions", "azure-app-service": "Azure App Service slot swap",
               "azure-traffic-manager": "Azure Traffic Manager weights"}


def rollout(release: Release) -> Rollout:
    azure = release.platform.azure
    controller = f"{CONTROLLERS[release.platform.kind]} (rollout.sh)"
    manager = azure.traffic_manager
    if manager is None:
        return script_rollout(release, azure.rollout, controller)
    return script_rollout(
        release, azure.rollout, controller, shares=tuple(weights.actual_percent for weights in manager.weights),
        assumptions=(f"Clients follow a weight change only once their DNS answer expires (TTL {human(manager.ttl_s)}): "
                     "the shares shown are what the endpoint weights give, reached up to one TTL later.",))
