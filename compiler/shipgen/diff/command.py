"""`shipgen diff`: build the releases at two revisions and report what the change does."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

EXIT_OK, EXIT_BLOCKED, EXIT_BAD_INPUT = 0, 1, 2
FAIL_ON = ("risk-increase", "behaviour-change", "new-findings")


def blocked(diff, fail_on: tuple) -> list:
    """The `--fail-on` classes this diff has."""
    found = []
    if "risk-increase" in fail_on and any(entry.risk_increase for entry in diff.releases):
        found.append("risk-increase")
    if "behaviour-change" in fail_on and diff.behavioural_change:
        found.append("behaviour-change")
    if "new-findings" in fail_on and any(entry.findings_added for entry in diff.releases):
        found.append("new-findings")
    return found


def spec_paths(root: Path, specs) -> list:
    """The spec arguments as paths from the repository's root (the same on both sides)."""
    paths = []
    for spec in specs:
        resolved = Path(spec).resolve()
        try:
            paths.append(resolved.relative_to(root.resolve()).as_posix() or ".")
        except ValueError:
            raise ValueError(f"{spec} is outside the repository ({root})") from None
    return paths


def run_diff_command(specs, base: str | None, head: str | None, output_format: str, fail_on: tuple,
                     chart: Path | None) -> int:
    from .compare import compare
    from .report import as_json, markdown, text
    from .revisions import RevisionProblem, commit_of, default_base, export, repository_root
    from .snapshot import snapshot

    try:
        root = repository_root(Path.cwd())
        paths = spec_paths(root, specs)
        with tempfile.TemporaryDirectory(prefix="shipgen-diff-") as scratch:
            if head is None:
                after = snapshot(root, paths, "working tree")
            else:
                commit = commit_of(root, head)
                export(root, commit, Path(scratch) / "head")
                after = snapshot(Path(scratch) / "head", paths, f"{head} ({commit[:8]})")
            if base is None:
                base, base_commit = default_base(root, head)
            else:
                base_commit = commit_of(root, base)
            export(root, base_commit, Path(scratch) / "base")
            before = snapshot(Path(scratch) / "base", paths, f"{base} ({base_commit[:8]})")
            diff = compare(before, after)
    except (RevisionProblem, ValueError) as problem:
        click.echo(f"shipgen diff: {problem}", err=True)
        return EXIT_BAD_INPUT
    if output_format == "json":
        click.echo(json.dumps(as_json(diff), indent=2, ensure_ascii=False, default=str))
    elif output_format == "markdown":
        click.echo(markdown(diff), nl=False)
    else:
        click.echo(text(diff), nl=False)
    if chart is not None:
        write_chart(diff, chart)
    found = blocked(diff, fail_on)
    if found:
        click.echo(f"shipgen diff: blocked by --fail-on {', '.join(found)}", err=True)
        return EXIT_BLOCKED
    return EXIT_OK


def write_chart(diff, path: Path) -> None:
    """One SVG: for each release whose behaviour changed, its plan before and after, stacked."""
    import xml.etree.ElementTree as ElementTree

    from ..rollout.plan import ReleasePlans
    from ..rollout.svg import plan_svg

    charts = []
    for entry in diff.releases:
        if not entry.behaviour:
            continue
        for side, label in ((entry.before, "before"), (entry.after, "after")):
            if side is not None:
                rollout = side.rollout._replace(controller=f"{label}: {side.rollout.controller}")
                charts.append(ReleasePlans(side.release, rollout, side.plans))
    if not charts:
        return
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(plan_svg(charts),
                                                                                    encoding="unicode") + "\n",
                    encoding="utf-8")
