"""`shipgen drill SPEC`: the rollback drill of one release, the same files `shipgen build`
writes to `drill/` (both from `targets.drill.drill_artifacts`)."""

from __future__ import annotations

import click

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def run_drill_command(specs, script: bool) -> int:
    from .diagnostics import has_errors, render_text
    from .pipeline import check_specs
    from .serialize import serialize
    from .targets.drill import applies, drill_artifacts

    checked = check_specs(specs)
    for diagnostic in checked.diagnostics:
        click.echo(render_text(diagnostic), err=True)
    if has_errors(checked.diagnostics):
        return EXIT_BAD_INPUT
    if len(checked.releases) != 1:
        names = ", ".join(sorted(release.output_dir for release in checked.releases)) or "none"
        click.echo(f"shipgen drill: give one release spec (found {len(checked.releases)}: {names})", err=True)
        return EXIT_BAD_INPUT
    release = checked.releases[0]
    if not applies(release):
        click.echo(f"shipgen drill: {release.source}: shipgen has no rollback drill for this platform yet "
                   f"({release.platform.kind})", err=True)
        return EXIT_BAD_INPUT
    wanted = "drill/drill.sh" if script else "drill/DRILL.md"
    artifact = next(artifact for artifact in drill_artifacts(release) if artifact.path == wanted)
    click.echo(serialize(artifact, release.source).decode("utf-8"), nl=False)
    return EXIT_OK
