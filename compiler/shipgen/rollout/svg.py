"""The plan as a picture: the new version's share of traffic over time as a step chart, one line
per scenario, each check evaluation as a mark on its line (green passed, red failed, grey a
provider error), and the point where the rollout was promoted, rolled back or began to wait.

Built as an XML tree (`xml.etree.ElementTree`) and serialized by `serialize.py`; no text
templating. Every number is rounded to one decimal, so the output is the same byte for byte.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from ..durations import human
from .simulate import PROMOTED, ROLLED_BACK

WIDTH, CHART_HEIGHT = 760, 250
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 44, 58
SCENARIO_COLOURS = {"healthy": "#2e7d32", "fail-from-start": "#c62828", "fail-at": "#ef6c00",
                    "provider-down": "#6a1b9a"}
RESULT_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#9e9e9e"}
NICE_STEPS_S = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400)


def plan_svg(charts: list) -> ElementTree.Element:
    """One SVG with a chart per `ReleasePlans`, stacked."""
    height = CHART_HEIGHT * len(charts)
    svg = ElementTree.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "width": str(WIDTH),
                                      "height": str(height), "viewBox": f"0 0 {WIDTH} {height}",
                                      "font-family": "sans-serif", "font-size": "11"})
    ElementTree.SubElement(svg, "title").text = "shipgen plan: " + ", ".join(
        f"{chart.release.metadata.environment}/{chart.release.name}" for chart in charts)
    ElementTree.SubElement(svg, "rect", {"width": str(WIDTH), "height": str(height), "fill": "#ffffff"})
    for index, chart in enumerate(charts):
        group = ElementTree.SubElement(svg, "g", {"transform": f"translate(0,{index * CHART_HEIGHT})"})
        _chart(group, chart)
    return svg


def _fmt(value: float) -> str:
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def _chart(group, chart):
    plans = chart.plans
    horizon = max([60] + [plan.end_s for plan in plans])
    horizon = int(horizon * 1.08) + 1
    plot_width, plot_height = WIDTH - LEFT - RIGHT, CHART_HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + plot_width * t / horizon

    def y(share: float) -> float:
        return TOP + plot_height * (1 - share / 100)

    release = chart.release
    _text(group, 8, 18, f"{release.metadata.environment}/{release.name}: {chart.rollout.controller}",
          {"font-size": "13", "font-weight": "bold"})
    _axes(group, horizon, x, y)
    for order, plan in enumerate(plans):
        colour = SCENARIO_COLOURS.get(plan.scenario.split(" ")[0], "#000000")
        points = []
        previous = 0.0
        for t, share in plan.weights:
            points.append((x(t), y(previous)))
            points.append((x(t), y(share)))
            previous = share
        points.append((x(plan.end_s), y(previous)))
        attributes = {"points": " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py in points), "fill": "none",
                      "stroke": colour, "stroke-width": "2.5" if order == 0 else "2"}
        if order:
            attributes["stroke-dasharray"] = "6 3"
        line = ElementTree.SubElement(group, "polyline", attributes)
        ElementTree.SubElement(line, "title").text = f"{plan.scenario}: {plan.outcome} after {human(plan.end_s)}"
        for event in plan.events:
            if event.kind == "check":
                share = _share_at(plan.weights, event.t_s)
                mark = ElementTree.SubElement(group, "circle", {
                    "cx": _fmt(x(event.t_s)), "cy": _fmt(y(share) - 3 * order), "r": "3.5",
                    "fill": RESULT_COLOURS.get(event.result, "#000000"), "stroke": colour, "stroke-width": "1"})
                ElementTree.SubElement(mark, "title").text = f"{human(event.t_s)}: {event.text}"
        _end_mark(group, plan, colour, x(plan.end_s), order, y)
    _legend(group, plans)


def _share_at(weights, t: int) -> float:
    share = 0.0
    for start, value in weights:
        if start <= t:
            share = value
    return share


def _axes(group, horizon: int, x, y):
    axis = {"stroke": "#444444", "stroke-width": "1"}
    ElementTree.SubElement(group, "line", dict(axis, x1=_fmt(x(0)), y1=_fmt(y(0)), x2=_fmt(x(horizon)), y2=_fmt(y(0))))
    ElementTree.SubElement(group, "line", dict(axis, x1=_fmt(x(0)), y1=_fmt(y(0)), x2=_fmt(x(0)), y2=_fmt(y(100))))
    for share in (0, 25, 50, 75, 100):
        ElementTree.SubElement(group, "line", {"x1": _fmt(x(0)), "y1": _fmt(y(share)), "x2": _fmt(x(horizon)),
                                               "y2": _fmt(y(share)), "stroke": "#e0e0e0", "stroke-width": "1"})
        _text(group, x(0) - 6, y(share) + 4, f"{share}%", {"text-anchor": "end"})
    step = next((size for size in NICE_STEPS_S if horizon / size <= 10), NICE_STEPS_S[-1])
    for tick in range(0, horizon + 1, step):
        ElementTree.SubElement(group, "line", dict(axis, x1=_fmt(x(tick)), y1=_fmt(y(0)), x2=_fmt(x(tick)),
                                                   y2=_fmt(y(0) + 4)))
        _text(group, x(tick), y(0) + 16, human(tick), {"text-anchor": "middle"})
    _text(group, x(horizon), y(0) + 30, "time from the controller's first reaction", {"text-anchor": "end"})
    _text(group, 14, y(50), "share on the new version",
          {"text-anchor": "middle", "transform": f"rotate(-90 14 {_fmt(y(50))})"})


def _end_mark(group, plan, colour: str, at: float, order: int, y):
    label = {PROMOTED: "promoted", ROLLED_BACK: "rolled back"}.get(plan.outcome, "waits for a person")
    ElementTree.SubElement(group, "line", {"x1": _fmt(at), "y1": _fmt(y(100) - 6), "x2": _fmt(at), "y2": _fmt(y(0)),
                                           "stroke": colour, "stroke-width": "1", "stroke-dasharray": "2 2"})
    _text(group, at - 3, y(100) - 8 - 11 * order, f"{label} {human(plan.end_s)}",
          {"text-anchor": "end", "fill": colour})


def _legend(group, plans):
    top = CHART_HEIGHT - 14
    left = LEFT
    for plan in plans:
        colour = SCENARIO_COLOURS.get(plan.scenario.split(" ")[0], "#000000")
        ElementTree.SubElement(group, "rect", {"x": str(left), "y": str(top - 9), "width": "12", "height": "10",
                                               "fill": colour})
        label = f"{plan.scenario}: {plan.outcome} after {human(plan.end_s)}"
        _text(group, left + 16, top, label)
        left += 24 + 6 * len(label)
    _text(group, WIDTH - RIGHT, 18, "marks: check evaluations (green passed, red failed, grey provider error)",
          {"text-anchor": "end", "fill": "#555555", "font-size": "10"})


def _text(group, x: float, y: float, text: str, attributes: dict | None = None):
    element = ElementTree.SubElement(group, "text", {"x": _fmt(x), "y": _fmt(y), **(attributes or {})})
    element.text = text
    return element
