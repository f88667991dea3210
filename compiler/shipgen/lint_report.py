"""`shipgen lint` and `shipgen explain`: run the lint stage, print findings in the chosen format,
choose the exit code (0 clean or warnings only, 1 an error finding remains, 2 invalid specs,
configuration, policies or usage). Kept out of cli.py so that the CLI stays a thin layer.

Findings go to stdout (in every format); the one-line summary goes to stderr.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import __version__
from .console import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, echo
from .diagnostics import ERROR, has_errors

LINT_STAGE_CODES = {
    "SG090": ("invalid-config", "The lint configuration (.shipgen.yaml or [tool.shipgen.lint] in pyproject.toml) "
              "has an unknown key, a wrong type, or names a policy or option that does not exist."),
    "SG091": ("invalid-policy", "A Rego policy does not compile (the position of the error is given), cannot be "
              "read, or its METADATA block is invalid."),
    "SG092": ("unused-suppression", "A `# shipgen: ignore[CODE] -- reason` comment that suppresses nothing: the "
              "finding it was written for is gone. Remove it, so it cannot hide a future finding."),
    "SG093": ("invalid-suppression", "A `# shipgen:` comment that cannot be read, names no known policy, or gives "
              "no reason. It suppresses nothing. Write `# shipgen: ignore[SG301] -- why this is acceptable`."),
    "SG094": ("invalid-base", "`--base REF` names no commit, or the working directory is not a git repository."),
}


def run_lint_command(specs, output_format, policy_dirs, namespaces, config_path, base, no_inline_ignores) -> int:
    from .formats import default_format, render, summary_text
    from .lint import LintSettings, lint
    from .lintconfig import load_config
    from .pipeline import check_specs

    output_format = output_format or default_format(os.environ)
    config = None
    if config_path is not None:
        config, problems = load_config(Path(config_path))
        if problems:
            return _report(problems, output_format, [], 0)
    checked = check_specs(specs)
    if has_errors(checked.diagnostics):
        return _report(checked.diagnostics, output_format, [], len(checked.releases))
    settings = LintSettings(tuple(policy_dirs), tuple(namespaces), not no_inline_ignores, base, config=config)
    report = lint(checked, settings)
    if report.problems:
        return _report(report.problems, output_format, report.policies, len(checked.releases))
    findings = sorted(checked.diagnostics + report.findings, key=lambda finding: finding.sort_key())
    echo(render(findings, output_format, report.policies, __version__), nl=False)
    echo(summary_text(findings, len(checked.releases)), err=True)
    return EXIT_FINDINGS if has_errors(findings) else EXIT_OK


def _report(problems: list, output_format: str, policies: list, releases: int) -> int:
    from .formats import render

    echo(render(sorted(problems, key=lambda problem: problem.sort_key()), output_format, policies,
                      __version__), nl=False)
    echo(f"lint not run: {sum(1 for problem in problems if problem.severity == ERROR)} problem(s) "
               "with the input, configuration or policies", err=True)
    return EXIT_BAD_INPUT


def run_explain_command(policy: str | None, policy_dirs=()) -> int:
    from .policy import load_policies

    policy_set, problems = load_policies(policy_dirs)
    if problems:
        for problem in problems:
            echo(f"{problem.location}: {problem.severity}[{problem.code}] {problem.name}: {problem.message}")
        return EXIT_BAD_INPUT
    policies = policy_set.policies
    if policy is None:
        echo(policy_table(policies), nl=False)
        return EXIT_OK
    for info in policies:
        if policy in (info.code, info.name):
            echo(explanation(info), nl=False)
            return EXIT_OK
    for code, (name, text) in LINT_STAGE_CODES.items():
        if policy in (code, name):
            echo(f"{code} {name}\n\n{text}\n", nl=False)
            return EXIT_OK
    echo(f"shipgen explain: no policy has the code or name {policy!r}; `shipgen explain` lists them", err=True)
    return EXIT_BAD_INPUT


def policy_table(policies) -> str:
    width = max((len(info.name) for info in policies), default=4)
    lines = [f"{'CODE':<6} {'NAME':<{width}} {'SEVERITY':<8} TITLE"]
    for info in policies:
        severity = info.severity if not info.severity_outside_production else \
            f"{info.severity}*"
        lines.append(f"{info.code:<6} {info.name:<{width}} {severity:<8} {info.title}")
    lines.append("")
    lines.append("* production; one level lower elsewhere. `shipgen explain CODE` tells more.")
    return "\n".join(lines) + "\n"


def explanation(info) -> str:
    from .formats import options_text

    severity = info.severity
    if info.severity_outside_production:
        severity += f" in production, {info.severity_outside_production} elsewhere"
    sections = [
        f"{info.code} {info.name}: {info.title}",
        f"Default severity: {severity}",
        _section("What it flags", _wrap(info.docs["what-it-flags"])),
        _section("Why it matters", _wrap(info.docs["why-it-matters"])),
        _section("Example", _indent(info.docs["example"])),
        _section("Use instead", _indent(info.docs["use-instead"])),
        _section("Options", options_text(info)),
        _section("Suppress", f"# shipgen: ignore[{info.code}] -- why this is acceptable here\n"
                             f"or in .shipgen.yaml:  lint: {{disable: [{info.name}]}}"),
    ]
    return "\n\n".join(sections) + "\n"


def _section(title: str, body: str) -> str:
    return f"{title}:\n{body.rstrip()}"


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(" ".join(text.split()), width=92)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.rstrip().splitlines())
