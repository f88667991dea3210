"""Services on virtual machines behind a load balancer (platform.kind vm): blue and green
instances, HAProxy or nginx, and the `switch.sh` that moves traffic between them.

- `settings.py`: the typed `platform.vm` and its plan (shares, weights), built during normalize;
- `haproxy.py`, `nginx.py`: one delivery module per load balancer;
- `script.py`: switch.sh, shared; `common.py`: runbook words (built-in gate
  queries: `shipgen.queries._vm_query`);
- `rollout.py`: the rollout model.
"""

from __future__ import annotations

from importlib import import_module

LOAD_BALANCERS = {"haproxy": "haproxy", "nginx": "nginx"}


def delivery_module(release):
    if release.platform.kind != "vm":
        return None
    return import_module(f"{__name__}.{LOAD_BALANCERS[release.platform.vm.load_balancer]}")


def rollout_model(release):
    """This controller's `shipgen.rollout.Rollout` for the release (`rollout.py`)."""
    from .rollout import rollout

    return rollout(release)
