"""Writing to the terminal without click: what the hot commands (`validate`, `lint`) and the
pipeline's helpers print goes through `echo`, so that running them does not import click
(about 30 ms of every pre-commit run). `sys.stdout` and `sys.stderr` are looked up at each call,
so click's test runner, which replaces them, captures this output too.
"""

from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


def echo(text: str = "", err: bool = False, nl: bool = True) -> None:
    """Write `text` (and a newline unless `nl` is false) to stdout, or to stderr when `err`."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n" if nl else text)
    stream.flush()


def guarded(function, *arguments):
    """Run a pipeline stage; a bug becomes one line and exit 2 (SHIPGEN_DEBUG=1 shows the traceback)."""
    try:
        return function(*arguments)
    except Exception as error:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("SHIPGEN_DEBUG"):
            raise
        echo(f"shipgen: internal error: {type(error).__name__}: {error} (set SHIPGEN_DEBUG=1 for details; "
             "please report it)", err=True)
        sys.exit(EXIT_BAD_INPUT)


def print_diagnostics(diagnostics) -> None:
    from .diagnostics import render_text

    for diagnostic in diagnostics:
        echo(render_text(diagnostic))


def run_validate_command(specs) -> int:
    """`shipgen validate`: check the specs up to normalize; print every diagnostic."""
    from .diagnostics import has_errors
    from .pipeline import check_specs

    checked = guarded(check_specs, specs)
    print_diagnostics(checked.diagnostics)
    if has_errors(checked.diagnostics):
        return EXIT_BAD_INPUT
    echo(f"{len(checked.releases)} release spec(s) valid", err=True)
    return EXIT_OK
