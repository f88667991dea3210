"""Inline suppressions: `# shipgen: ignore[CODE, ...] -- reason` comments in a release spec.

- A directive at the end of a line covers that line and, when the line starts a mapping or a
  sequence item (`strategy:  # shipgen: ignore[...]`), everything that mapping holds.
- A directive alone on its line covers the next line that holds YAML, the same way.
- `# shipgen: ignore-file[CODE, ...] -- reason` covers the whole file.
- Codes or policy names are accepted (`SG201` or `big-bang-rollout`); a reason is required
  (`--` or `:` before it is optional).

A directive without a reason, naming no known policy, or that cannot be read suppresses
nothing and is reported (SG093 invalid-suppression, an error); a directive that suppresses
nothing is reported too (SG092 unused-suppression, a warning): the lessons of ruff's RUF100 and
squawk#974. Matching uses the spec position a finding is about (for a finding on a migration
statement, the `database.migrations` entry that names the file).
"""

from __future__ import annotations

import re

from .diagnostics import ERROR, WARNING, Diagnostic

UNUSED = ("SG092", "unused-suppression")
INVALID = ("SG093", "invalid-suppression")

_MARKER = re.compile(r"#\s*shipgen\s*:")
_DIRECTIVE = re.compile(r"#\s*shipgen\s*:\s*(?P<kind>ignore-file|ignore)\s*\[(?P<codes>[^\]]*)\]\s*(?:--|:)?\s*"
                        r"(?P<reason>.*?)\s*$")


class Directive:  # a plain class: a dataclass costs ~1 ms of every run's start-up
    def __init__(self, file: str, line: int, col: int, codes: tuple, reason: str, first_line: int, last_line: int):
        self.file, self.line, self.col = file, line, col
        self.codes, self.reason = codes, reason
        self.first_line, self.last_line = first_line, last_line  # the lines covered, inclusive
        self.used: set = set()  # the codes it suppressed something for

    def __repr__(self) -> str:
        return (f"Directive({self.file!r}, line={self.line}, col={self.col}, codes={self.codes!r}, "
                f"reason={self.reason!r}, lines={self.first_line}-{self.last_line}, used={self.used!r})")

    def covers(self, line: int) -> bool:
        return self.first_line <= line <= self.last_line


def read_directives(document, known: set) -> tuple[list, list]:
    """The valid directives of a spec, and diagnostics for the invalid ones."""
    if not _MARKER.search(document.text):
        return [], []
    lines = document.text.splitlines()
    scalars = _scalar_spans(document)
    directives, problems = [], []
    for number, text in enumerate(lines, start=1):
        for match in _MARKER.finditer(text):
            col = match.start() + 1
            if _inside_scalar(scalars, number, col):
                continue
            directive, problem = _parse(document, lines, number, col, text[match.start():], known)
            if problem:
                problems.append(problem)
            if directive:
                directives.append(directive)
            break
    return directives, problems


def _parse(document, lines, number: int, col: int, comment: str, known: set):
    match = _DIRECTIVE.match(comment)

    def invalid(message: str):
        return None, Diagnostic(*INVALID, message, document.file, number, col, severity=ERROR,
                                fix="write `# shipgen: ignore[SG301] -- why this is acceptable here`")

    if not match:
        return invalid("cannot read this shipgen directive: write `# shipgen: ignore[CODE] -- reason`")
    codes = tuple(code.strip() for code in match.group("codes").split(",") if code.strip())
    if not codes:
        return invalid("the directive names no policy: write ignore[CODE] with the code or name to suppress")
    unknown = [code for code in codes if code not in known]
    if unknown:
        return invalid(f"no policy has the code or name {', '.join(unknown)}")
    reason = match.group("reason").strip()
    if not reason:
        return invalid(f"ignore[{', '.join(codes)}] needs a reason after the codes, e.g. `-- accepted because ...`")
    if match.group("kind") == "ignore-file":
        return Directive(document.file, number, col, codes, reason, 1, len(lines)), None
    own_line = not lines[number - 1][:col - 1].strip()
    target = _next_content_line(lines, number) if own_line else number
    if target is None:
        return None, None
    return Directive(document.file, number, col, codes, reason, target, _last_line_headed(document, target)), None


def _next_content_line(lines, number: int) -> int | None:
    for index in range(number, len(lines)):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            return index + 1
    return None


def _last_line_headed(document, line: int) -> int:
    """The last line of the mappings and sequence items that start on `line`."""
    last = line
    for path, position in document.key_positions.items():
        if position.line == line and path in document.positions:
            last = max(last, _end_line(document.positions[path]))
    for path, position in document.positions.items():
        if position.line == line and path and isinstance(path[-1], int):
            last = max(last, _end_line(position))
    return last


def _end_line(position) -> int:
    """A node's last line; block collections end at column 1 of the line after them."""
    if position.end_col == 1 and position.end_line > position.line:
        return position.end_line - 1
    return position.end_line


def _scalar_spans(document) -> list:
    spans = []
    for path, position in document.positions.items():
        if not isinstance(_value_at(document.data, path), (dict, list)):
            spans.append(position)
    spans.extend(document.key_positions.values())
    return spans


def _value_at(data, path):
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _inside_scalar(spans, line: int, col: int) -> bool:
    for span in spans:
        after_start = (line, col) > (span.line, span.col) or (line, col) == (span.line, span.col)
        before_end = (line, col) < (span.end_line, span.end_col)
        if after_start and before_end:
            return True
    return False


def apply_suppressions(findings: list, directives: dict) -> tuple[list, list]:
    """The findings no directive covers, and diagnostics for directives that covered nothing.

    `directives` maps a spec file to its directives; a finding's anchor (`extra["anchor"]`, a
    (file, line) in the spec) decides which directives cover it."""
    kept = []
    for finding in findings:
        anchor_file, anchor_line = (finding.extra or {}).get("anchor", (finding.file, finding.line))
        covering = [directive for directive in directives.get(anchor_file, ())
                    if directive.covers(anchor_line) and (finding.code in directive.codes
                                                          or finding.name in directive.codes)]
        if covering:
            for directive in covering:
                directive.used.update(code for code in directive.codes if code in (finding.code, finding.name))
        else:
            kept.append(finding)
    unused = []
    for file_directives in directives.values():
        for directive in file_directives:
            idle = [code for code in directive.codes if code not in directive.used]
            if idle:
                unused.append(Diagnostic(*UNUSED, f"ignore[{', '.join(idle)}] suppresses nothing here: remove it",
                                         directive.file, directive.line, directive.col, severity=WARNING))
    return kept, unused
