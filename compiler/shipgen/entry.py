"""The `shipgen` program: runs the hot commands of a pre-commit hook without click, everything
else through the click commands in `cli.py`.

`shipgen validate PATH...` and `shipgen lint PATH...` with nothing but paths (what the
pre-commit hook and most CI jobs run) skip importing click and parsing with it: about 30 ms of a
run that takes a few hundred. Any option (`--help`, `--format`, ...), any argument that starts
with `-`, and every other command go to click, so help, usage errors and option parsing are
click's. Both paths call the same functions (`console.run_validate_command`,
`lint_report.run_lint_command`) with the same values; tests/test_dispatch.py checks that they
print the same and exit alike.
"""

from __future__ import annotations

import sys
from pathlib import Path

FAST_COMMANDS = ("validate", "lint")


def fast_exit_code(arguments: list) -> int | None:
    """The exit code of a hot command run without click, or None when `arguments` are for click."""
    if not arguments or arguments[0] not in FAST_COMMANDS:
        return None
    paths = arguments[1:]
    if any(not path or path.startswith("-") for path in paths):
        return None
    specs = tuple(Path(path) for path in paths) or (Path("."),)
    if arguments[0] == "validate":
        from .console import run_validate_command

        return run_validate_command(specs)
    from .console import guarded
    from .lint_report import run_lint_command

    return guarded(run_lint_command, specs, None, (), (), None, None, False)


def main() -> None:
    try:
        code = fast_exit_code(sys.argv[1:])
    except KeyboardInterrupt:  # as click does
        sys.stderr.write("\nAborted!\n")
        sys.exit(1)
    if code is not None:
        sys.exit(code)
    from .cli import main as click_main

    click_main()
