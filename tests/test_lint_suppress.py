"""Inline suppressions: `# shipgen: ignore[CODE] -- reason` on a line or the mapping it heads;
a reason is required; unused or unreadable directives are findings; --no-inline-ignores."""

from __future__ import annotations

import datetime

from shipgen.lint import LintSettings, lint
from shipgen.lintconfig import LintConfig
from shipgen.pipeline import check_specs

RECREATE = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: batch, team: data, environment: production}
service:
  image: registry.example.com/batch:1.0
  drain: 0s
  ports: [{port: 8080}]
  health: {readiness: /ready}
{strategy}
rollback: {testStep: ci job drill}
notify: {slack: "#data"}
smoke:
  - {name: ping, http: {path: /}}
"""


def _lint(write_spec, strategy: str, inline: bool = True):
    spec = write_spec(RECREATE.replace("{strategy}", strategy))
    checked = check_specs([spec])
    assert not [d for d in checked.diagnostics if d.severity == "error"]
    report = lint(checked, LintSettings(inline_ignores=inline, today=datetime.date(2026, 11, 28),
                                        config=LintConfig()))
    assert not report.problems
    return [(f.code, f.line, f.col) for f in report.findings]


def test_without_directive_the_finding_is_reported(write_spec):
    assert ("SG201", 9, 18) in _lint(write_spec, "strategy: {type: recreate}")


def test_trailing_directive_suppresses_its_line(write_spec):
    found = _lint(write_spec, "strategy: {type: recreate}  # shipgen: ignore[SG201] -- nightly batch, downtime is fine")
    assert [code for code, *_ in found if code.startswith("SG2")] == []
    assert not [code for code, *_ in found if code in ("SG092", "SG093")]


def test_directive_on_its_own_line_covers_the_mapping_below(write_spec):
    found = _lint(write_spec, "# shipgen: ignore[big-bang-rollout] -- nightly batch, downtime is fine\n"
                              "strategy:\n  type: recreate")
    assert "SG201" not in [code for code, *_ in found]


def test_directive_heading_a_mapping_covers_what_it_holds(write_spec):
    found = _lint(write_spec, "strategy:  # shipgen: ignore[SG201]: nightly batch\n  type: recreate")
    assert "SG201" not in [code for code, *_ in found]


def test_directive_elsewhere_does_not_suppress_and_is_unused(write_spec):
    text = RECREATE.replace("{strategy}", "strategy: {type: recreate}").replace(
        "  drain: 0s", "  drain: 0s  # shipgen: ignore[SG201] -- wrong line")
    spec = write_spec(text)
    report = lint(check_specs([spec]), LintSettings(today=datetime.date(2026, 11, 28), config=LintConfig()))
    codes = [(f.code, f.line, f.severity) for f in report.findings]
    assert ("SG201", 9, "error") in codes  # not covered: the directive is on line 6
    assert ("SG092", 6, "warning") in codes
    (unused,) = [f for f in report.findings if f.code == "SG092"]
    assert unused.message == "ignore[SG201] suppresses nothing here: remove it"


def test_directive_without_reason_suppresses_nothing_and_is_an_error(write_spec):
    spec = write_spec(RECREATE.replace("{strategy}", "strategy: {type: recreate}  # shipgen: ignore[SG201]"))
    report = lint(check_specs([spec]), LintSettings(today=datetime.date(2026, 11, 28), config=LintConfig()))
    codes = [(f.code, f.severity) for f in report.findings]
    assert ("SG201", "error") in codes
    (invalid,) = [f for f in report.findings if f.code == "SG093"]
    assert (invalid.line, invalid.col, invalid.severity) == (9, 29, "error")
    assert "needs a reason" in invalid.message


def test_directive_naming_an_unknown_policy_is_an_error(write_spec):
    spec = write_spec(RECREATE.replace("{strategy}", "strategy: {type: recreate}  # shipgen: ignore[SG299] -- x"))
    report = lint(check_specs([spec]), LintSettings(today=datetime.date(2026, 11, 28), config=LintConfig()))
    (invalid,) = [f for f in report.findings if f.code == "SG093"]
    assert invalid.message == "no policy has the code or name SG299"


def test_unreadable_directive_is_an_error(write_spec):
    spec = write_spec(RECREATE.replace("{strategy}", "strategy: {type: recreate}  # shipgen: ignroe SG201"))
    report = lint(check_specs([spec]), LintSettings(today=datetime.date(2026, 11, 28), config=LintConfig()))
    assert [f.code for f in report.findings if f.code == "SG093"] == ["SG093"]


def test_directive_text_inside_a_string_is_not_a_directive(write_spec):
    text = RECREATE.replace("{strategy}", "strategy: {type: recreate}").replace(
        "metadata: {name: batch, team: data, environment: production}",
        'metadata: {name: batch, team: data, environment: production, description: "# shipgen: ignore[SG201] x"}')
    spec = write_spec(text)
    report = lint(check_specs([spec]), LintSettings(today=datetime.date(2026, 11, 28), config=LintConfig()))
    codes = [f.code for f in report.findings]
    assert "SG201" in codes and "SG093" not in codes and "SG092" not in codes


def test_file_level_directive(write_spec):
    found = _lint(write_spec, "# shipgen: ignore-file[SG201, abrupt-shutdown] -- batch job, no live traffic\n"
                              "strategy: {type: recreate}")
    assert not {"SG201", "SG603"} & {code for code, *_ in found}


def test_no_inline_ignores_switch_disables_every_directive(write_spec):
    found = _lint(write_spec, "strategy: {type: recreate}  # shipgen: ignore[SG201] -- nightly batch",
                  inline=False)
    assert ("SG201", 9, 18) in found
    assert not [code for code, *_ in found if code in ("SG092", "SG093")]


def test_cli_switch(write_spec, run_shipgen):
    spec = write_spec(RECREATE.replace("{strategy}", "strategy: {type: recreate}  # shipgen: ignore[SG201] -- ok"))
    assert "SG201" not in run_shipgen("lint", spec).output
    result = run_shipgen("lint", spec, "--no-inline-ignores")
    assert "error[SG201]" in result.output and result.exit_code == 1
