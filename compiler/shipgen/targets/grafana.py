"""Grafana: one dashboard per Kubernetes release with Prometheus gates or SLOs, written as
`grafana/dashboard.json` (the dashboard JSON model, `schemaVersion` 39; import it, or put it in a
ConfigMap for the Grafana sidecar).

Why: the runbook says which signals decide a rollout and when it is rolled back; this shows the
same signals, drawn with their thresholds, so the person on call sees what the controller saw
(targets-k8s.md §4.5, observability of gates and SLOs).

* One `timeseries` panel per Prometheus gate: the gate's query as it judges the pods that SERVE
  users once a rollout is done (the delivery target says which: Flagger's `<name>-primary`, the
  stable Service otherwise; the same selection as the SLO alerts), with the gate's `min`/`max`
  as threshold lines.
* One `timeseries` panel per SLO measured by a ratio gate: the error ratios the SLO alerts record
  (`shipgen:slo_error_ratio:rate<window>{namespace, service, slo}`, targets/slo_alerts.py), with
  lines where the slowest ticket and the fastest page alert fire.
* A `datasource` variable (Prometheus data sources) that every panel reads.

The uid is derived from environment and name (readable prefix plus a hash, at most 40
characters), so re-importing replaces the dashboard instead of duplicating it; the panel ids are
1, 2, ... in order; panels sit two to a line of the 24-column grid.
"""

from __future__ import annotations

import hashlib
import re

from ..artifacts import JSON, Artifact
from ..model import Gate, Release, Slo

NAME = "grafana"
SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
PANEL_WIDTH = 12
PANEL_HEIGHT = 8
GRID_COLUMNS = 24
UID_MAX = 40


def applies(release: Release) -> bool:
    return release.platform.kind == "kubernetes" and bool(charted_gates(release) or charted_slos(release))


def render(release: Release, facts) -> list:
    return [Artifact("grafana/dashboard.json", dashboard(release), JSON)]


def charted_gates(release: Release) -> list:
    """The gates a Prometheus dashboard can draw."""
    return [gate for gate in release.gates if gate.provider == "prometheus"]


def charted_slos(release: Release) -> list:
    """SLOs with a ratio SLI in Prometheus: those the SLO alerts record error ratios for."""
    slos = []
    for slo in release.slos:
        gate = release.gate(slo.sli)
        if gate is not None and gate.metric != "latency" and gate.provider == "prometheus":
            slos.append(slo)
    return slos


def dashboard_uid(release: Release) -> str:
    """Stable and unique per environment and name: `<environment>-<name>` cut to fit, then a hash
    of both (so `a-b`/`c` and `a`/`b-c` differ)."""
    environment, name = release.metadata.environment, release.name
    digest = hashlib.sha256(f"{environment}/{name}".encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-zA-Z0-9_-]", "-", f"{environment}-{name}")[:UID_MAX - len(digest) - 1]
    return f"{readable}-{digest}"


def dashboard(release: Release) -> dict:
    sections = [("Gates (pods serving users)", [gate_panel(release, gate) for gate in charted_gates(release)]),
                ("SLO error ratios (burn-rate recording rules)",
                 [slo_panel(release, slo) for slo in charted_slos(release)])]
    return {
        "id": None,
        "uid": dashboard_uid(release),
        "title": f"{release.name} ({release.metadata.environment})",
        "description": f"Gates and SLOs of {release.name} in {release.namespace}, from {release.source}.",
        "tags": ["shipgen", release.metadata.team],
        "schemaVersion": SCHEMA_VERSION,
        "editable": False,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "timezone": "browser",
        "annotations": {"list": []},
        "templating": {"list": [datasource_variable()]},
        "panels": laid_out([(title, panels) for title, panels in sections if panels]),
    }


def datasource_variable() -> dict:
    return {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1,
            "regex": ""}


def laid_out(sections: list) -> list:
    """Each section a row then its panels two to a line; ids 1, 2, ... in order."""
    panels, y = [], 0
    for title, section in sections:
        panels.append({"type": "row", "title": title, "gridPos": {"h": 1, "w": GRID_COLUMNS, "x": 0, "y": y},
                       "collapsed": False, "panels": []})
        y += 1
        for index, panel in enumerate(section):
            x = (index % 2) * PANEL_WIDTH
            grid = {"h": PANEL_HEIGHT, "w": PANEL_WIDTH, "x": x, "y": y + (index // 2) * PANEL_HEIGHT}
            panels.append({"type": panel["type"], "title": panel["title"], "gridPos": grid, **panel})
        y += (len(section) + 1) // 2 * PANEL_HEIGHT
    return [{"id": number, **panel} for number, panel in enumerate(panels, start=1)]


def gate_panel(release: Release, gate: Gate) -> dict:
    from ..durations import human
    from ..queries import gate_query, threshold_text
    from .slo_alerts import serving_selector

    passes = (f"passes while the value is {threshold_text(gate)}" if gate.min is not None or gate.max is not None
              else "no threshold (shown for information)")
    rollback = " A failing check counts towards rollback." if gate.name in release.rollback.on else ""
    return timeseries(
        title=f"Gate {gate.name}: {gate_subject(gate)}",
        description=f"Over {human(gate.window_s)}; {passes}.{rollback}",
        targets=[{"refId": "A", "expr": gate_query(release, gate, **serving_selector(release)),
                  "legendFormat": gate.name}],
        unit=gate_unit(gate), steps=gate_threshold_steps(gate))


def gate_subject(gate: Gate) -> str:
    return {"error-rate": "5xx ratio", "latency": f"p{gate.percentile:g} latency"}.get(gate.metric, "custom query")


def gate_unit(gate: Gate) -> str:
    return {"error-rate": "percentunit", "latency": "ms"}.get(gate.metric, "short")


def gate_threshold_steps(gate: Gate) -> list:
    """Red outside [min, max], green inside; Grafana's first step has no value (minus infinity)."""
    steps = [{"color": "red" if gate.min is not None else "green", "value": None}]
    if gate.min is not None:
        steps.append({"color": "green", "value": gate.min})
    if gate.max is not None:
        steps.append({"color": "red", "value": gate.max})
    return steps


def slo_panel(release: Release, slo: Slo) -> dict:
    from ..durations import prometheus_duration
    from .slo_alerts import RECORD_PREFIX, label_selector, recorded_windows, slo_labels

    selector = label_selector(slo_labels(release, slo))
    targets = [{"refId": _ref_id(index), "expr": f"{RECORD_PREFIX}{prometheus_duration(seconds)}{selector}",
                "legendFormat": prometheus_duration(seconds)} for index, seconds in enumerate(recorded_windows())]
    ticket, page = burn_thresholds(slo)
    return timeseries(
        title=f"SLO {slo.name}: error ratio ({slo.objective:g}% over {prometheus_duration(slo.period_s)})",
        description=f"Error ratio of gate {slo.sli} over each burn-rate window. The slow-burn ticket fires "
                    f"above {ticket:g} (on both of its windows), the fast-burn page above {page:g}.",
        targets=targets, unit="percentunit",
        steps=[{"color": "green", "value": None}, {"color": "orange", "value": ticket},
               {"color": "red", "value": page}])


def burn_thresholds(slo: Slo) -> tuple:
    """(lowest ticket threshold, highest page threshold) as error ratios."""
    from .slo_alerts import BURN_WINDOWS, burn_factor

    budget = 1 - slo.objective / 100
    by_severity = {}
    for window in BURN_WINDOWS:
        by_severity.setdefault(window.severity, []).append(float(f"{burn_factor(window, slo.period_s) * budget:.6g}"))
    return min(by_severity["ticket"]), max(by_severity["page"])


def _ref_id(index: int) -> str:
    return chr(ord("A") + index)


def timeseries(title: str, description: str, targets: list, unit: str, steps: list) -> dict:
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": [{**target, "datasource": DATASOURCE} for target in targets],
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "color": {"mode": "palette-classic"},
                "thresholds": {"mode": "absolute", "steps": steps},
                "custom": {"thresholdsStyle": {"mode": "line"}, "lineWidth": 1, "fillOpacity": 0},
            },
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "none"}},
    }
