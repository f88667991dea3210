"""platform.kind vm: the weights that give each share, the located errors for what a VM load
balancer cannot do, the rollout model's phases, and the generated script (quoting, shellcheck).
The live behaviour is in test_vm_live.py."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tools_support
from conftest import release_from
from shipgen.targets import rollout_of
from shipgen.targets.vm import haproxy, nginx
from shipgen.targets.vm.settings import weights

BASE = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: shop, team: web}
service:
  image: registry.example.com/shop:1.0.0
  ports: [{port: 8080}]
  health: {readiness: /ready}
strategy: {type: canary, steps: [10, 50], interval: 30s}
gates:
  - {name: errors, metric: error-rate, max: 0.01, window: 1m}
platform:
  kind: vm
  vm:
    loadBalancer: LB
    blue: [10.0.0.1:8080, 10.0.0.2:8080, 10.0.0.3:8080]
    green: [10.0.1.1:8080]
"""


@given(st.integers(1, 99), st.integers(1, 20), st.integers(1, 20), st.sampled_from([256, 1000]))
def test_weights_give_the_share_within_the_limit(percent, new_count, old_count, limit):
    result = weights(percent, new_count, old_count, limit)
    assert 1 <= result.new <= limit and 1 <= result.old <= limit
    actual = 100 * result.new * new_count / (result.new * new_count + result.old * old_count)
    assert result.actual_percent == round(actual, 2)
    if percent * old_count <= limit and (100 - percent) * new_count <= limit:  # no rounding was needed
        assert result.actual_percent == percent
    else:
        assert abs(actual - percent) < 100 * max(new_count, old_count) / limit


def test_uneven_colours_get_weights_that_give_the_exact_share():
    result = weights(10, 1, 3, 256)
    assert (result.new, result.old) == (1, 3)  # 1 / (1 + 3 x 3) = 10%
    assert weights(50, 1, 3, 256).actual_percent == 50


def build(write_spec, text: str):
    from shipgen.pipeline import check_specs

    checked = check_specs([write_spec(text)])
    return checked


@pytest.mark.parametrize("change, message", [
    (("strategy: {type: canary, steps: [10, 50], interval: 30s}", "strategy: {type: ab-test, match: [{header: {name: x, exact: y}}]}"),
     "strategy ab-test is not supported"),
    (("    loadBalancer: LB\n", "    loadBalancer: nginx\n    slowStart: 10s\n"), "no slow start"),
    (("green: [10.0.1.1:8080]", "green: [10.0.0.2:8080]"), "listed twice"),
    (("interval: 30s}", "interval: 30s, approval: {timeout: 1h, onTimeout: rollback}}"), "no approval step"),
    (("window: 1m}", "window: 1m, provider: datadog, query: x}"), "Prometheus only"),
])
def test_what_a_vm_cannot_do_is_a_located_error(write_spec, change, message):
    text = BASE.replace(*change).replace("LB", "haproxy")
    checked = build(write_spec, text)
    errors = [d for d in checked.diagnostics if d.severity == "error"]
    assert errors and message in errors[0].message and errors[0].line > 1, errors


def test_platform_vm_without_kind_vm_is_an_error(write_spec):
    text = BASE.replace("LB", "haproxy").replace("  kind: vm\n", "  kind: kubernetes\n")
    errors = [d for d in build(write_spec, text).diagnostics if d.severity == "error"]
    assert any("platform.vm applies to platform.kind vm" in error.message for error in errors)


@pytest.mark.parametrize("lb", ["haproxy", "nginx"])
def test_rollout_model_reads_the_plan_and_the_real_shares(write_spec, lb):
    release = release_from(write_spec(BASE.replace("LB", lb)))
    model = rollout_of(release)
    assert [phase.weight for phase in model.phases] == [0, 10, 50, 100]
    assert [phase.duration_s for phase in model.phases[1:]] == [30, 30, 0]
    assert [check.judges for check in model.checks] == [("errors",), ("errors",)]
    assert model.automatic


def test_haproxy_config_holds_weights_per_colour(write_spec):
    release = release_from(write_spec(BASE.replace("LB", "haproxy")))
    text = haproxy.render_config(haproxy.config(release))
    assert "server blue-1 10.0.0.1:8080 weight 100" in text and "server green-1 10.0.1.1:8080 weight 0" in text
    assert "slowstart 30s" in text and "option httpchk GET /ready" in text
    script = haproxy.script(release)
    assert 'green:10) echo "1 3" ;;' in script and 'blue:10) echo "1 27" ;;' in script


def test_nginx_writes_one_file_per_share_and_direction(write_spec):
    release = release_from(write_spec(BASE.replace("LB", "nginx")))
    paths = [artifact.path for artifact in nginx.render(release, None)]
    assert paths == [f"nginx/states/{colour}-{share}.conf" for colour in ("blue", "green") for share in (10, 50, 100)] \
        + ["nginx/switch.sh"]
    green_10 = nginx.render_config(nginx.site(release, "green", 10))
    assert "server 10.0.1.1:8080 weight=1 max_fails=3 fail_timeout=10s;" in green_10
    assert "server 10.0.0.1:8080 weight=3 " in green_10
    assert "server 10.0.0.1:8080 down;" in nginx.render_config(nginx.site(release, "green", 100))


@pytest.mark.parametrize("lb", ["haproxy", "nginx"])
def test_switch_script_quotes_spec_values_and_passes_shellcheck(write_spec, lb, tmp_path):
    shellcheck = tools_support.tool("shellcheck")
    hostile = "/q?x='1'&y=$(touch$IFS'pwned')"
    text = BASE.replace("LB", lb) + f'smoke:\n  - name: hostile\n    http: {{path: "{hostile}"}}\n'
    release = release_from(write_spec(text))
    module = haproxy if lb == "haproxy" else nginx
    script = tmp_path / "switch.sh"
    script.write_text(module.script(release))
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    result = subprocess.run([shellcheck, "-S", "style", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    # the hostile path is one single-quoted word; bash reads it back unchanged
    line = next(line for line in script.read_text().splitlines() if "http_check hostile" in line)
    call = line.split('"$url"')[0].strip()
    words = subprocess.run(["bash", "-c", f"printf '%s\\n' {call}"],
                           capture_output=True, text=True, cwd=tmp_path).stdout.splitlines()
    assert hostile in words and not (tmp_path / "pwned").exists()
