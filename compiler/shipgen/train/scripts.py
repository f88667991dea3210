"""The shell scripts of the train's CI jobs, shared by the GitHub Actions and GitLab CI pipelines.

Every command comes from the release's runbook procedure (`Procedure.commands(role)`: the
steps a target marked apply, verdict, abort, rollback) or, for migrations, from the runbook's
migration command: nothing is re-derived here. Values from specs reach a script only inside
those commands (quoted there with `shell.quote`) or as quoted words here. Release folders are
relative to `$RELEASES_DIR`, the build output in the checked-out repository.
"""

from __future__ import annotations

from ..procedure import ABORT, APPLY, ROLLBACK, VERDICT
from ..shell import comment, quote


def rollout_commands(procedure) -> tuple:
    """The release's apply and verdict commands, in procedure order."""
    steps = tuple(procedure.deploy) + tuple(procedure.watch)
    return tuple(step.command for step in steps if step.role in (APPLY, VERDICT) and step.command)


def abort_commands(procedure) -> tuple:
    """What stops a failed rollout: its abort steps, else its rollback steps."""
    return procedure.commands(ABORT) or procedure.commands(ROLLBACK)


def rollback_commands(procedure) -> tuple:
    return procedure.commands(ROLLBACK)


def folder(release) -> str:
    return '"$RELEASES_DIR"/' + quote(release.output_dir)


def in_folder(release, commands: tuple, missing: str) -> str:
    """A subshell running the commands in the release's folder, stopping at the first failure."""
    lines = ["(", "  set -eu", f"  cd {folder(release)}"]
    if not commands:
        lines.append(f"  echo {quote('::error::' + release.output_dir + ': ' + missing)} >&2")
        lines.append("  exit 1")
    for command in commands:
        lines.append(command)
    lines.append(")")
    return "\n".join(lines)


def wave_script(train, members) -> str:
    """Every release of a wave rolled out side by side; the job fails when any of them fails."""
    lines = ["set -u", 'logs="${RUNNER_TEMP:-/tmp}/release-train"', 'mkdir -p "$logs"']
    for index, member in enumerate(members, start=1):
        release = member.release
        lines.append(comment(f"{release.output_dir} ({release.source})"))
        body = in_folder(release, rollout_commands(train.procedure(release)),
                         "no automated rollout: follow its RUNBOOK.md")
        lines.append(f'{body} > "$logs"/{index}.log 2>&1 &')
        lines.append(f"pid_{index}=$!")
    lines.append("status=0")
    for index, member in enumerate(members, start=1):
        folder_name = member.release.output_dir
        lines.append(f'wait "$pid_{index}" || {{ status=1; echo {quote("::error::" + folder_name + " failed")}; }}')
        lines.append(f'echo {quote("::group::" + folder_name)}; cat "$logs"/{index}.log; echo "::endgroup::"')
    lines.append('exit "$status"')
    return "\n".join(lines) + "\n"


def migration_script(member) -> str:
    from ..targets.runbook import migration_view

    view = migration_view(member.release)
    return "\n".join([comment(f"{view['tool']} migrations of {member.release.output_dir} (phase {view['phase']}), "
                              f"from {view['path']}"), "set -eu", view["command"]]) + "\n"


def undo_script(train, member, failed: bool, suffix: str = "") -> str:
    """Roll one release back: abort it when its wave failed, roll it back when its wave had succeeded."""
    release = member.release
    procedure = train.procedure(release)
    if failed:
        body = in_folder(release, abort_commands(procedure), "nothing aborts it automatically: follow its RUNBOOK.md")
    else:
        body = in_folder(release, rollback_commands(procedure),
                         "its rollback needs a person (a value to look up): follow its RUNBOOK.md")
    return "\n".join([comment(f"{'abort' if failed else 'roll back'} {release.output_dir}"), body + suffix]) + "\n"


def expression_safe(text: str) -> str:
    """Text GitHub Actions does not evaluate: each `${{` becomes an expression that yields `${{`,
    so nothing in a script can open an expression (workflow injection)."""
    return text.replace("${{", "${{ '${{' }}")
