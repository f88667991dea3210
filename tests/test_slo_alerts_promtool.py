"""The burn-rate alerts of every golden PrometheusRule, proven with `promtool test rules`.

For each generated rule file the test writes the groups to a rule file and a promtool test file
(built as data): synthetic request counters, selected exactly as the recording rules select them,
with a chosen error ratio over time, and at chosen evaluation times the alerts that must be
firing (or none). What must fire is computed here, independently of shipgen, from the Google SRE
workbook's table (page: 14.4x burn over 1 h confirmed over 5 m, or 6x over 6 h confirmed over
30 m; ticket: 3x over 1 d confirmed over 2 h, or 1x over 3 d confirmed over 6 h, for a 30-day
period; other periods scale the factor) and the error ratio each window sees. A test also makes
sure the check could fail: promtool must report failure when the expectation is deliberately
wrong, and when a rule's threshold is off by a factor.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import pytest
import yaml

import tools_support
from conftest import ROOT, release_from

GOLDEN_RULES = sorted(ROOT.glob("golden/*/*/prometheus/prometheusrule.yaml"))
STEP_S = 60  # scrape interval of the synthetic series and promtool's evaluation interval
REQUESTS_PER_STEP = 600  # 10 requests per second
# the workbook's table for a 30-day period: (severity, long window, short window, burn factor)
WORKBOOK = (("page", 3600, 300, 14.4), ("page", 6 * 3600, 1800, 6.0),
            ("ticket", 86400, 7200, 3.0), ("ticket", 3 * 86400, 6 * 3600, 1.0))
PERIOD_30D = 30 * 86400


@dataclass(frozen=True)
class Scenario:
    """An error ratio over time: `segments` of (duration in seconds, error ratio), then the
    evaluation times (seconds from the start) at which the firing alerts are checked."""

    name: str
    segments: tuple
    eval_at: tuple

    def ratio_at(self, t: float) -> float:
        start = 0
        for duration, ratio in self.segments:
            if t < start + duration:
                return ratio
            start += duration
        return self.segments[-1][1]

    @property
    def steps(self) -> int:
        return sum(duration for duration, _ in self.segments) // STEP_S


def scenarios(budget: float) -> tuple:
    """Scenarios scaled to an SLO's error budget (1 - objective), so that every ratio sits well
    clear of the thresholds it is compared with."""
    quiet = 3600  # a healthy hour first: the long windows then also hold good requests
    outage_detect_s = 14.4 * budget * 3600  # a full outage burns 14.4x budget in the 1 h window after this
    return (
        Scenario("healthy", ((3 * 3600, 0.5 * budget),), (600, 3 * 3600)),
        Scenario("full outage after a healthy period",
                 ((quiet, 0.0), (3600, 1.0)),
                 (quiet + 120, quiet + round(0.5 * outage_detect_s / 60) * 60,
                  quiet + round(2 * outage_detect_s / 60) * 60 + 300, quiet + 3600)),
        Scenario("slow burn: 2x the budget", ((3 * 3600, 2 * budget),), (3600, 3 * 3600)),
        Scenario("short spike, then recovery",
                 ((quiet, 0.0), (1800, min(1.0, 60 * budget)), (2 * 3600, 0.0)),
                 (quiet + 1200, quiet + 1800 + 900, quiet + 1800 + 2 * 3600)),
    )


def window_ratio(scenario: Scenario, t: int, window_s: int) -> float:
    """The error ratio over the window ending at t, as rate()/rate() sees it from 1-minute
    samples (constant request rate, so it is the mean of the per-step ratios in the window)."""
    steps = [s for s in range(max(0, t - window_s) // STEP_S, t // STEP_S)]
    return sum(scenario.ratio_at(s * STEP_S) for s in steps) / len(steps)


def expected_severities(scenario: Scenario, t: int, budget: float, period_s: int) -> set | None:
    """The severities that must fire at t, or None when a window's ratio is within 20% of its
    threshold and decides the outcome (which would then depend on rate()'s extrapolation)."""
    firing = set()
    for severity, long_s, short_s, factor in WORKBOOK:
        threshold = factor * period_s / PERIOD_30D * budget
        values = [window_ratio(scenario, t, w) for w in (short_s, long_s)]
        if all(value >= 1.25 * threshold for value in values):
            firing.add(severity)
        elif not any(value <= 0.8 * threshold for value in values):
            return None  # neither clearly firing nor clearly silent
    return firing


def clear_expectation(scenario: Scenario, t: int, budget: float, period_s: int) -> tuple:
    """The evaluation time nearest to t (within an hour) with a clear expectation."""
    for shift in sorted(range(-3600, 3601, STEP_S), key=abs):
        severities = expected_severities(scenario, t + shift, budget, period_s)
        if severities is not None and 0 < t + shift <= scenario.steps * STEP_S:
            return t + shift, severities
    raise AssertionError(f"no clear evaluation time near {t} s in {scenario.name}")


# ---------------------------------------------------------------------------- synthetic series


RATE = re.compile(r"rate\((\w+)\{([^}]*)\}\[\w+\]\)")
MATCHER = re.compile(r'(\w+)(=~|=)"((?:[^"\\]|\\.)*)"')


def example_value(pattern: str) -> str:
    """A label value the regex matcher accepts (the generated queries use a few simple forms)."""
    value = pattern.replace("[0-9a-zA-Z-]+", "http").replace("-?", "").replace(".", "0")
    assert re.fullmatch(pattern, value), (pattern, value)
    return value


def series_labels(selector: str) -> dict:
    return {name: (example_value(value) if op == "=~" else value) for name, op, value in MATCHER.findall(selector)}


def request_series(expr: str) -> tuple:
    """(labels of good requests, labels of bad requests, metric) from a ratio recording rule:
    the first counter the denominator reads, and the label the numerator adds (the status)."""
    numerator, denominator = expr.split(" / ", 1)
    metric, total_selector = RATE.search(denominator).groups()
    _, error_selector = RATE.search(numerator).groups()
    total, errors = series_labels(total_selector), series_labels(error_selector)
    (status,) = set(errors) - set(total)
    good = dict(errors, **{status: "200"})
    status_pattern = next(value for name, _, value in MATCHER.findall(error_selector) if name == status)
    assert not re.fullmatch(status_pattern, "200")
    return metric, good, errors


def series_name(metric: str, labels: dict) -> str:
    inner = ", ".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return f"{metric}{{{inner}}}"


def counter_values(scenario: Scenario, bad: bool) -> str:
    value = 1_000_000 if bad else 100_000_000  # far from zero: rate() extrapolates both alike
    values = []
    for step in range(scenario.steps + 1):
        values.append(str(round(value)))
        ratio = scenario.ratio_at(step * STEP_S)
        value += REQUESTS_PER_STEP * (ratio if bad else 1 - ratio)
    return " ".join(values)


# ---------------------------------------------------------------------------- the promtool test file


def burn_groups(rule: dict, release) -> list:
    """(group, burn alert name, objective budget, period, alert labels per severity) for each
    ratio SLO group of a generated rule."""
    found = []
    for group in rule["spec"]["groups"]:
        alerts = [r for r in group["rules"] if r.get("alert", "").endswith("ErrorBudgetBurn")]
        if not alerts:
            continue
        slo = next(s for s in release.slos if group["name"] == f"{release.name}-{s.name}")
        record = next(r for r in group["rules"] if "record" in r)
        labels = {a["labels"]["severity"]: {"exp_labels": dict(record["labels"], **a["labels"]),
                                            "exp_annotations": a["annotations"]} for a in alerts}
        (name,) = {a["alert"] for a in alerts}
        found.append((group, name, 1 - slo.objective / 100, slo.period_s, labels, record["expr"]))
    return found


def promtool_tests(rule: dict, release, wrong: bool = False) -> tuple:
    """The test groups (data) and the figures each case expects. With `wrong`, every expectation
    is inverted (firing <-> silent): promtool must then fail."""
    tests, figures = [], []
    for group, alert, budget, period_s, labels, expr in burn_groups(rule, release):
        metric, good, bad = request_series(expr)
        for scenario in scenarios(budget):
            cases = []
            for probe in scenario.eval_at:
                t, severities = clear_expectation(scenario, probe, budget, period_s)
                if wrong:
                    severities = {"page", "ticket"} - severities
                figures.append((group["name"], scenario.name, t, sorted(severities)))
                cases.append({"eval_time": f"{t}s", "alertname": alert,
                              "exp_alerts": [labels[s] for s in sorted(severities)]})
            tests.append({
                "name": f"{group['name']}: {scenario.name}",
                "interval": f"{STEP_S}s",
                "input_series": [
                    {"series": series_name(metric, good), "values": counter_values(scenario, bad=False)},
                    {"series": series_name(metric, bad), "values": counter_values(scenario, bad=True)},
                ],
                "alert_rule_test": cases,
            })
    return tests, figures


def run_promtool(tmp_path, rule: dict, tests: list):
    promtool = tools_support.tool("promtool")
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}, sort_keys=False))
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(
        {"rule_files": ["rules.yaml"], "evaluation_interval": f"{STEP_S}s", "tests": tests}, sort_keys=False))
    return subprocess.run([promtool, "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)


def golden_case(path):
    rule = yaml.safe_load(path.read_text())
    source = re.search(r"from (\S+) - do not edit", path.read_text().splitlines()[0]).group(1)
    return rule, release_from(ROOT / source)


def query_shape(path) -> tuple:
    """What the synthetic series depend on: each counter's name and label names."""
    return tuple(sorted({(metric, tuple(sorted(name for name, _, _ in MATCHER.findall(selector))))
                         for metric, selector in RATE.findall(path.read_text())}))


def one_rule_per_query_shape() -> list:
    """The golden rules, one per way of selecting requests (traffic provider, Service or
    workload, inbound or outbound): the others differ only in label values."""
    shapes = {}
    for path in GOLDEN_RULES:
        if "ErrorBudgetBurn" in path.read_text():
            shapes.setdefault(query_shape(path), path)
    return sorted(shapes.values())


@pytest.fixture(params=one_rule_per_query_shape(), ids=lambda p: p.parent.parent.name)
def golden_rule(request, monkeypatch):
    monkeypatch.chdir(ROOT)
    return golden_case(request.param)


def test_golden_has_burn_rate_alerts_to_prove():
    assert len(GOLDEN_RULES) >= 10
    with_burn = [p for p in GOLDEN_RULES if "ErrorBudgetBurn" in p.read_text()]
    assert len(with_burn) >= 10
    assert len(one_rule_per_query_shape()) >= 6  # kubernetes, istio x2, linkerd x2, nginx, gateway-api


def test_burn_rate_alerts_fire_when_they_should_and_only_then(golden_rule, tmp_path):
    rule, release = golden_rule
    tests, figures = promtool_tests(rule, release)
    assert tests
    result = run_promtool(tmp_path, rule, tests)
    for group, scenario, t, severities in figures:
        print(f"{group}: {scenario} at {t / 60:g} min -> {', '.join(severities) or 'silent'}")
    assert result.returncode == 0, result.stdout + result.stderr
    # the scenarios exercise both outcomes of both alerts
    seen = {(s, bool(sev and s in sev)) for _, _, _, sev in figures for s in ("page", "ticket")}
    assert seen == {("page", True), ("page", False), ("ticket", True), ("ticket", False)}


def test_promtool_fails_on_a_wrong_expectation_or_a_wrong_threshold(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = next(p for p in GOLDEN_RULES if "ErrorBudgetBurn" in p.read_text())
    rule, release = golden_case(path)
    inverted, _ = promtool_tests(rule, release, wrong=True)
    result = run_promtool(tmp_path, rule, inverted)
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr

    # a rule whose thresholds are ten times too high misses the burns the right tests expect
    right, _ = promtool_tests(rule, release)
    broken = yaml.safe_load(yaml.safe_dump(rule))
    for group in broken["spec"]["groups"]:
        for r in group["rules"]:
            if "alert" in r:
                r["expr"] = re.sub(r"> ([0-9.e-]+)", lambda m: f"> {float(m.group(1)) * 10:g}", r["expr"])
    result = run_promtool(tmp_path, broken, right)
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr
