"""Diagnostics: every problem shipgen reports, with the place in the spec it is about.

Errors a user can cause are values of this type, collected and reported together; exceptions
are for bugs. Renderers turn a list of them into text (one line each); the lint stage adds
machine formats.
"""

from __future__ import annotations

from typing import NamedTuple

ERROR = "error"
WARNING = "warning"
INFO = "info"

SEVERITY_ORDER = {INFO: 0, WARNING: 1, ERROR: 2}


class Diagnostic(NamedTuple):
    """A NamedTuple, not a dataclass: importing `dataclasses` and creating one would cost every run
    about 8 ms of start-up (README, "Performance"). Change one with `_replace(severity=...)`."""

    code: str
    name: str
    message: str
    file: str
    line: int = 0  # 1-based; 0 when the problem has no place in a file
    col: int = 0
    severity: str = ERROR
    spec_path: tuple = ()
    end_line: int = 0
    end_col: int = 0
    fix: str = ""
    extra: dict | None = None  # lint's details: "anchor" (file, line) a suppression is looked for at, "title"

    @property
    def location(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file

    def sort_key(self):
        return (self.file, self.line, self.col, self.code, self.message)


def spec_path_text(path: tuple) -> str:
    """`('strategy', 'steps', 2, 'weight')` -> `strategy.steps[2].weight`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def render_text(diagnostic: Diagnostic) -> str:
    """`path:line:col: severity[CODE] name: message` on one line."""
    message = " ".join(diagnostic.message.split())
    return f"{diagnostic.location}: {diagnostic.severity}[{diagnostic.code}] {diagnostic.name}: {message}"


def has_errors(diagnostics) -> bool:
    return any(d.severity == ERROR for d in diagnostics)
