"""The command line: parses options, calls the pipeline, prints diagnostics, picks the exit code.

Exit codes: 0 ok; 1 findings or output out of date; 2 bad input or usage.
Heavy modules are imported inside the commands, so `shipgen --help` starts fast. The program's
entry point is `entry.main`, which runs `validate` and `lint` with only paths without click.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .console import EXIT_BAD_INPUT, EXIT_FINDINGS, guarded, print_diagnostics

SPEC_HELP = ("Release spec files or directories. A directory is searched recursively for *.yaml/*.yml files with a "
             "top-level 'apiVersion: shipgen.dev/...' or 'kind: Release' line. Default: the current directory.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="shipgen")
def main():
    """shipgen compiles release specs into validated, platform-native deployment artifacts.

    \b
    Examples:
      shipgen validate examples/            check every spec in a folder
      shipgen build examples/ -o golden/    write the artifacts of every spec
      shipgen build examples/ -o golden/ --check
                                            fail (exit 1, with a diff) when golden/ is stale
    """


@main.command()
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
def validate(specs):
    """Check release specs against the schema and each other; write nothing.

    \b
    Example:
      shipgen validate services/checkout/release.yaml
    """
    from .console import run_validate_command

    sys.exit(run_validate_command(specs or (Path("."),)))


@main.command()
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Output directory. A build replaces it whole (it must be empty, new, or written by shipgen).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with a unified diff if OUTPUT differs from a build.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Processes to load and render specs with (default: one per CPU core from 64 specs on, else 1). "
                   "The output is the same whatever N.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="Keep each release's results in DIR, keyed by the digest of everything they are computed from, "
                   "and reuse them while that is unchanged (default: $SHIPGEN_CACHE_DIR/builds when set, else no "
                   "cache). The output is the same, byte for byte.")
def build(specs, out, check, jobs, cache_dir):
    """Compile release specs into artifacts under OUTPUT/<environment>/<name>/.

    \b
    Examples:
      shipgen build examples/ -o golden/
      shipgen build examples/ -o golden/ --check     (in CI: fail when committed output is stale)
    """
    from .build_cache import cache_folder, folder_problem
    from .lint import LintSettings

    folder = cache_folder(cache_dir)
    if folder is None:
        from .pipeline import build as run_build

        result = guarded(run_build, specs or (Path("."),), (out,), LintSettings(), jobs)
    else:
        problem = folder_problem(folder, out)
        if problem:
            print_diagnostics([problem])
            sys.exit(EXIT_BAD_INPUT)
        from .build_cache import build as cached_build

        result = guarded(cached_build, specs or (Path("."),), (out,), LintSettings(), jobs, folder)
    print_diagnostics(result.diagnostics)
    if _errors(result.diagnostics):
        click.echo("build failed: nothing written", err=True)
        sys.exit(EXIT_BAD_INPUT)
    _check_build_lint(result.lint)
    if check:
        from .write import compare_tree

        differences = compare_tree(out, result.files)
        for difference in differences:
            click.echo(difference)
        if differences:
            click.echo(f"{out} is out of date: run `shipgen build {' '.join(map(str, specs))} -o {out}`", err=True)
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{out} is up to date ({len(result.files)} files)", err=True)
        return
    from .write import write_tree

    problems = write_tree(out, result.files, reuse=folder is not None)
    if problems:
        print_diagnostics(problems)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"wrote {len(result.files)} files for {result.release_count} release(s) to {out}", err=True)


def _check_build_lint(report):
    """A build lints first: findings are printed; a lint problem exits 2, an error finding 1."""
    if report is None:
        return
    from .formats import default_format, render

    findings = report.problems + report.findings
    if default_format(os.environ) == "github":  # annotations on the pull request
        click.echo(render(findings, "github"), nl=False)
    else:
        print_diagnostics(findings)
    if report.problems:
        click.echo("build failed: the lint configuration or a policy is invalid; nothing written", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if _errors(report.findings):
        click.echo("build failed: lint found errors (`shipgen explain CODE` says why and how to fix them, "
                   "`# shipgen: ignore[CODE] -- reason` accepts one); nothing written", err=True)
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif", "github"]),
              help="Output format. Default: github under GitHub Actions (GITHUB_ACTIONS=true), else text.")
@click.option("--policy-dir", "policy_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="A folder of your own Rego policies (conftest conventions). Repeatable.")
@click.option("--namespace", "namespaces", multiple=True,
              help="Package of your policies to evaluate (default: main). Repeatable.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Config file. Default: the nearest .shipgen.yaml, or pyproject.toml with [tool.shipgen].")
@click.option("--base", metavar="REF", help="Git ref: migrations changed since REF ship with this release.")
@click.option("--no-inline-ignores", is_flag=True, help="Ignore `# shipgen: ignore[...]` comments (protected branches).")
def lint(specs, output_format, policy_dirs, namespaces, config_path, base, no_inline_ignores):
    """Check release specs against the deployment policies; write nothing.

    Exit 0 when no error-severity finding remains, 1 when one does, 2 on invalid input,
    configuration or policies.

    \b
    Examples:
      shipgen lint services/
      shipgen lint --base origin/main --format sarif > shipgen.sarif
      shipgen lint --policy-dir ci/policies --namespace deploy .
    """
    from .lint_report import run_lint_command

    sys.exit(guarded(run_lint_command, specs or (Path("."),), output_format, policy_dirs, namespaces, config_path,
                      base, no_inline_ignores))


@main.command()
@click.argument("policy", required=False)
@click.option("--policy-dir", "policy_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Also list your own annotated policies from this folder. Repeatable.")
def explain(policy, policy_dirs):
    """Explain a policy (by code or name); without one, list them all.

    \b
    Examples:
      shipgen explain
      shipgen explain SG201
      shipgen explain big-bang-rollout
    """
    from .lint_report import run_explain_command

    sys.exit(guarded(run_explain_command, policy, policy_dirs))


@main.command()
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--scenario", "scenarios", multiple=True, metavar="S",
              help="healthy, fail-from-start, fail-at=DURATION (the metrics fail from then on) or provider-down. "
                   "Repeatable. Default: healthy, fail-from-start and fail-at=0s.")
@click.option("--startup", default="0s", metavar="DURATION", help="How long a new instance takes to start (default 0s).")
@click.option("--approve-after", metavar="DURATION",
              help="A person approves each wait this long after it begins (default: nobody does; the plan "
                   "stops at the wait).")
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json", "svg"]), default="text",
              show_default=True)
def plan(specs, scenarios, startup, approve_after, output_format):
    """Simulate each release's rollout before anything is deployed: the timeline, the share of
    traffic on the new version, each check, and when it is promoted or rolled back.

    \b
    Examples:
      shipgen plan services/checkout/release.yaml
      shipgen plan examples/ --scenario fail-at=5m --format json
      shipgen plan examples/flagger-canary-istio.yaml --format svg > plan.svg
    """
    from .rollout.command import run_plan_command

    sys.exit(guarded(run_plan_command, specs or (Path("."),), scenarios, startup, approve_after, output_format))


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--script", is_flag=True, help="Print drill.sh instead of DRILL.md.")
def drill(spec, script):
    """A rollback drill for one release: a failing version in a non-production place, the
    automatic rollback expected within the time `shipgen plan` simulates, the old version serving
    again, and the date to record in rollback.lastTested (SG304). `shipgen build` writes the same
    files to each release's drill/ folder.

    \b
    Examples:
      shipgen drill services/checkout/release.yaml
      shipgen drill services/checkout/release.yaml --script > drill.sh && chmod +x drill.sh
    """
    from .drill_command import run_drill_command

    sys.exit(guarded(run_drill_command, (spec,), script))


@main.command()
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--base", metavar="REF", help="The revision before. Default: the merge base with the default branch.")
@click.option("--head", metavar="REF", help="The revision after. Default: the working tree.")
@click.option("--format", "output_format", type=click.Choice(["markdown", "json", "text"]), default="text",
              show_default=True)
@click.option("--fail-on", "fail_on", multiple=True, type=click.Choice(["risk-increase", "behaviour-change",
                                                                          "new-findings"]),
              help="Exit 1 when the diff has this class of change. Repeatable.")
@click.option("--chart", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the plans before and after of each changed release to this SVG file.")
def diff(specs, base, head, output_format, fail_on, chart):
    """What a change to release specs does: behaviour (plan, gates, rollback triggers), lint
    findings added and resolved, and generated objects field by field. Reads both revisions
    through git; the working tree is left as it is.

    Exit 0, or 1 when --fail-on names a class of change the diff has, 2 on bad input.

    \b
    Examples:
      shipgen diff
      shipgen diff --base origin/main --format markdown > comment.md
      shipgen diff services/ --fail-on risk-increase
    """
    from .diff.command import run_diff_command

    sys.exit(guarded(run_diff_command, specs or (Path("."),), base, head, output_format, tuple(fail_on), chart))


@main.command()
@click.argument("directory", required=False, default=".",
                type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def detect(directory, output_format):
    """Find what a repository deploys to: Kubernetes manifests, Helm charts, Kustomize, meshes and
    progressive delivery controllers, AWS, Google Cloud and Azure templates, docker-compose,
    Procfiles, HAProxy and nginx configuration. Each finding names its evidence (file:line) and a
    confidence; the services found are listed with their image, ports, probes and rollout settings.
    Reads only; writes nothing.

    \b
    Examples:
      shipgen detect
      shipgen detect path/to/repo --format json
    """
    from .detect import detect as run_detect
    from .detect.report import render_json, render_text

    detection = guarded(run_detect, directory, directory.as_posix())
    click.echo((render_json if output_format == "json" else render_text)(detection), nl=False)


@main.command()
@click.argument("directory", required=False, default=".",
                type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write the starter specs to. Default: DIRECTORY.")
@click.option("--force", is_flag=True, help="Overwrite starter specs that already exist.")
def init(directory, out, force):
    """Write a starter release spec (<service>.release.yaml) for each service `shipgen detect`
    finds, filled from what was found. Placeholders carry `TODO(shipgen init)` comments; each
    spec validates, lints without errors and builds. Refuses to overwrite a file unless --force.

    \b
    Examples:
      shipgen init
      shipgen init path/to/repo --out path/to/repo/deploy
    """
    from .detect import detect as run_detect
    from .detect.starter import plan_files, starter_documents, write_files

    detection = guarded(run_detect, directory, directory.as_posix())
    documents = guarded(starter_documents, detection)
    if not documents:
        click.echo(f"shipgen init: no service found in {directory} (see `shipgen detect {directory}`); "
                   "nothing written", err=True)
        sys.exit(EXIT_FINDINGS)
    files, problems = plan_files(out or directory, documents, force)
    for problem in problems:
        click.echo(f"shipgen init: {problem}", err=True)
    if problems:
        click.echo("nothing written", err=True)
        sys.exit(EXIT_BAD_INPUT)
    guarded(write_files, files)
    for target in files:
        click.echo(f"wrote {target.as_posix()}", err=True)
    click.echo("review every TODO(shipgen init) comment, then run `shipgen lint` and `shipgen build`", err=True)


def _errors(diagnostics) -> bool:
    from .diagnostics import has_errors

    return has_errors(diagnostics)
