"""Load: find release specs, read them and parse YAML into plain data that remembers where
every value came from.

This is the only stage (with `write`) that touches the file system. Hostile input stops here
with a located diagnostic: bytes that are not UTF-8, NUL bytes, tabs and other YAML syntax
errors, duplicate keys, tags that would construct objects, aliases that expand without bound
(an "alias bomb") and nesting too deep to be a release spec. The YAML is composed into nodes
(never constructed by ruamel's object constructors) and converted by `_Converter`, which counts
every node it visits, so a shared alias cannot explode memory.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import NamedTuple

from .diagnostics import Diagnostic

SPEC_SUFFIXES = (".yaml", ".yml")
MAX_NODES = 50_000  # a large release spec has a few hundred
MAX_DEPTH = 64
MAX_SPEC_BYTES = 1_048_576

# A file in a directory is taken as a release spec when a top-level line names shipgen's
# apiVersion or the Release kind: cheap to test without parsing, and a typo in one of the two
# still finds the file so that the mistake is reported rather than silently skipped.
_SPEC_MARKER = re.compile(rb"^(apiVersion:\s*['\"]?shipgen\.dev/|kind:\s*['\"]?Release['\"]?\s*(#.*)?$)", re.M)

_ALLOWED_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",  # kept as the text written, as Kubernetes does
}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls other than tab and line feed (a NUL ends a C string in the tools that read
# the artifacts; an escape sequence rewrites a terminal; a CR hides text before it).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Position(NamedTuple):
    line: int  # 1-based
    col: int  # 1-based
    end_line: int
    end_col: int


class SpecDocument:
    """One parsed release spec: its data and the position of every value and key in it."""

    def __init__(self, file: str, path: Path, data, text: str, positions: dict | None = None,
                 key_positions: dict | None = None):
        self.file = file  # the path shown to people, relative to the working directory when possible
        self.path = path
        self.data = data
        self.text = text
        self.positions = positions if positions is not None else {}  # spec path tuple -> Position of the value
        self.key_positions = key_positions if key_positions is not None else {}  # ... -> Position of the key

    def __repr__(self) -> str:
        return f"SpecDocument(file={self.file!r})"

    def locate(self, spec_path: tuple, key: bool = False) -> Position:
        """The position of a spec path, or of its nearest ancestor that has one."""
        table = self.key_positions if key else self.positions
        path = tuple(spec_path)
        while path:
            if path in table:
                return table[path]
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), Position(1, 1, 1, 1))


class LoadError(Exception):
    """Raised inside this module only; turned into a Diagnostic at its boundary."""

    def __init__(self, message: str, line: int = 1, col: int = 1, name: str = "invalid-yaml", code: str = "SG001"):
        super().__init__(message)
        self.message, self.line, self.col, self.name, self.code = message, line, col, name, code


def display_path(path: Path, cwd: Path | None = None, resolved: Path | None = None) -> str:
    """A stable way to name a file: relative to the working directory when below it. `cwd` (the
    working directory, resolved) and `resolved` (`path.resolve()`) may be given when known."""
    try:
        return (resolved or path.resolve()).relative_to(cwd or Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# ---------------------------------------------------------------------------- discovery


def find_specs(arguments, exclude=()) -> tuple[list[Path], list[Diagnostic]]:
    """The spec files named by the command line: files as given, directories searched.

    A directory is searched recursively, in sorted order, for `*.yaml`/`*.yml` files with a
    top-level `apiVersion: shipgen.dev/...` or `kind: Release` line; dot-directories and the
    folders in `exclude` (the output directory) are skipped.
    """
    found: list[Path] = []
    diagnostics: list[Diagnostic] = []
    excluded = {p.resolve() for p in exclude}
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            specs = sorted(_specs_below(path, excluded))
            if not specs:
                diagnostics.append(Diagnostic("SG005", "no-specs", f"no release specs found in {display_path(path)} "
                                              "(looked for *.yaml/*.yml files with 'apiVersion: shipgen.dev/v1alpha1')",
                                              display_path(path)))
            found.extend(specs)
        elif path.is_file():
            found.append(path)
        else:
            diagnostics.append(Diagnostic("SG005", "missing-path", "no such file or directory", display_path(path)))
    unique = {p.resolve(): p for p in found}
    cwd = Path.cwd().resolve()
    shown = {path: display_path(path, cwd, resolved) for resolved, path in unique.items()}
    return sorted(unique.values(), key=shown.__getitem__), diagnostics


def _specs_below(directory: Path, excluded: set):
    names = {path.name for path in excluded}
    for path in directory.iterdir():
        # resolving is slow: a path that is no symbolic link resolves to its folder's resolved path
        # and its own name, so only a link or an excluded folder's name can be excluded
        if path.name.startswith(".") or ((path.name in names or path.is_symlink()) and path.resolve() in excluded):
            continue
        if path.is_dir():
            yield from _specs_below(path, excluded)
        elif path.suffix in SPEC_SUFFIXES and path.is_file() and _looks_like_spec(path):
            yield path


def _looks_like_spec(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return bool(_SPEC_MARKER.search(handle.read(MAX_SPEC_BYTES)))
    except OSError:
        return True  # let load_spec report why it cannot be read


# ---------------------------------------------------------------------------- one spec


def load_spec(path: Path, raw: bytes | None = None) -> tuple[SpecDocument | None, list[Diagnostic]]:
    """Read and parse one spec file (or `raw`, its bytes, when the caller has read them already).
    Returns the document, or None and the reason."""
    file = display_path(path)
    try:
        raw = path.read_bytes() if raw is None else raw
    except OSError as error:
        return None, [Diagnostic("SG005", "unreadable", f"cannot read: {error.strerror or error}", file)]
    try:
        if len(raw) > MAX_SPEC_BYTES:
            raise LoadError(f"file is {len(raw)} bytes; a release spec is at most {MAX_SPEC_BYTES}")
        text = _decode(raw)
        root, constructor = _compose(text)
        converter = _Converter(constructor)
        data = converter.convert(root, ())
    except LoadError as error:
        return None, [Diagnostic(error.code, error.name, error.message, file, error.line, error.col)]
    document = SpecDocument(file, path, data, text, converter.positions, converter.key_positions)
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a YAML {type(data).__name__}"
        return None, [Diagnostic("SG002", "not-a-release", f"the file is {what}, not a release spec "
                                 "(a mapping with apiVersion: shipgen.dev/v1alpha1 and kind: Release)", file, 1, 1)]
    return document, []


def _decode(raw: bytes) -> str:
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(raw, nul)
        raise LoadError("NUL byte in file (binary data is not a release spec)", line, col, "invalid-encoding")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line, col = _line_col(raw, error.start)
        raise LoadError(f"invalid UTF-8 (byte 0x{raw[error.start]:02x}); save the file as UTF-8", line, col,
                        "invalid-encoding") from None
    return text.removeprefix("\ufeff")


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _compose(text: str):
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = YAML(typ="safe", pure=True)
    try:
        documents = _compose_fast(text)
        if documents is None:  # libyaml (YAML 1.1) refused it: ruamel's own parser has the last word
            _refuse_deep_nesting(yaml, text)
            documents = list(yaml.compose_all(io.StringIO(text)))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        if "\t" in text and mark is not None and "\t" in (text.splitlines()[mark.line:mark.line + 1] or [""])[0]:
            problem += " (tabs are not allowed for indentation in YAML; use spaces)"
        context = f"{error.context}: " if error.context and error.problem else ""
        raise LoadError(f"{context}{problem}", mark.line + 1 if mark else 1, mark.column + 1 if mark else 1) from None
    except ReaderError as error:  # a character YAML does not allow in a file
        line = text.count("\n", 0, error.position) + 1
        col = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        raise LoadError(f"character U+{code:04X} is not allowed in YAML text; write it as an "
                        "escape in a double-quoted string", line, col, "invalid-encoding") from None
    except YAMLError as error:
        raise LoadError(f"invalid YAML: {error}") from None
    documents = [d for d in documents if d is not None]
    if len(documents) > 1:
        second = documents[1].start_mark
        raise LoadError("more than one YAML document; put one release spec per file", second.line + 1,
                        second.column + 1, "not-a-release", "SG002")
    return (documents[0] if documents else None), yaml.constructor  # used for plain scalars only


def _compose_fast(text: str):
    """The documents composed by libyaml's parser (ruamel.yaml.clib: the same nodes and marks, about
    six times faster), or None when it is not installed or refuses the text. libyaml reads YAML 1.1
    and is stricter in a few places (`?` in a flow scalar), so a refusal is not yet an error."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=False)
    if yaml.Parser.__module__.startswith("ruamel.yaml.parser"):  # no C extension here
        return None
    try:
        _refuse_deep_nesting(yaml, text)
        return list(yaml.compose_all(io.StringIO(text)))
    except LoadError:
        raise
    except YAMLError:
        return None


def _refuse_deep_nesting(yaml, text: str):
    """Stop nesting deeper than MAX_DEPTH before the composer sees it: composers recurse once per
    level (the C one would overflow the stack), while the event parser does not."""
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    depth = 0
    for event in yaml.parse(io.StringIO(text)):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark.line + 1,
                                event.start_mark.column + 1)
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


class _Converter:
    """Turns composed YAML nodes into dicts, lists and scalars, recording positions."""

    def __init__(self, constructor):
        self.positions: dict = {}
        self.key_positions: dict = {}
        self.visited = 0
        self._constructor = constructor  # ruamel's safe constructor, used for plain scalars only

    def convert(self, node, path: tuple, depth: int = 0):
        if node is None:
            return None
        self.visited += 1
        if self.visited > MAX_NODES:
            raise LoadError(f"the document expands to more than {MAX_NODES} values (aliases referring to aliases?)",
                            *_start(node))
        if depth > MAX_DEPTH:
            raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", *_start(node))
        tag = _tag_text(node)
        if tag not in _ALLOWED_TAGS and tag != _MERGE_TAG:
            raise LoadError(f"YAML tag '{tag.replace('tag:yaml.org,2002:', '!!')}' is not allowed in a release spec "
                            "(tags could construct objects; write plain values)", *_start(node), "forbidden-tag")
        self.positions[path] = _position(node)
        kind = node.id
        if kind == "mapping":
            return self._mapping(node, path, depth)
        if kind == "sequence":
            return [self.convert(item, path + (index,), depth + 1) for index, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node, path: tuple, depth: int) -> dict:
        result: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if _tag_text(key_node) == _MERGE_TAG:
                sources = value_node.value if value_node.id == "sequence" else [value_node]
                for source in sources:
                    value = self.convert(source, path + ("<<",), depth + 1)
                    if not isinstance(value, dict):
                        raise LoadError("a merge key (<<) needs a mapping", *_start(source))
                    for key, item in value.items():
                        if key not in merged:
                            merged[key] = item
                            self._copy_positions(path + ("<<", key), path + (key,))
                continue
            if key_node.id != "scalar":
                raise LoadError("mapping keys must be plain strings", *_start(key_node))
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = "" if key is None else str(key_node.value)
            if key in result:
                first = self.key_positions[path + (key,)]
                raise LoadError(f"duplicate key '{key}' (first defined at line {first.line})", *_start(key_node),
                                "duplicate-key")
            self.key_positions[path + (key,)] = _position(key_node)
            result[key] = self.convert(value_node, path + (key,), depth + 1)
        for key, item in merged.items():
            result.setdefault(key, item)
        return result

    def _copy_positions(self, source: tuple, target: tuple):
        """Merged keys are reported where the merged mapping wrote them."""
        for table in (self.positions, self.key_positions):
            for path in [p for p in table if p[:len(source)] == source]:
                table.setdefault(target + path[len(source):], table[path])

    def _scalar(self, node):
        tag = _tag_text(node)
        if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            if _SURROGATE.search(node.value):
                raise LoadError("the text holds a lone UTF-16 surrogate (an escape such as \\ud800); write the "
                                "character itself or a \\U escape", *_start(node), "invalid-encoding")
            control = _CONTROL.search(node.value)
            if control:
                raise LoadError(f"the text holds the control character U+{ord(control.group()):04X}; a release spec's "
                                "values are text (line breaks and tabs only)", *_start(node), "invalid-encoding")
            return node.value
        try:
            value = self._constructor.construct_object(node, deep=True)
        except Exception:
            raise LoadError(f"cannot read value {node.value!r} as {tag.rsplit(':', 1)[-1]}", *_start(node)) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise LoadError(f"{node.value!r} is not a finite number", *_start(node))
        return value


def _tag_text(node) -> str:
    tag = node.tag
    return getattr(tag, "value", tag) or ""


def _start(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _position(node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, node.end_mark.line + 1, node.end_mark.column + 1)


# ---------------------------------------------------------------------------- files a spec names


def read_migration_folder(spec_path: Path, relative: str) -> tuple[list[tuple[str, str]], str | None]:
    """The migration files in the folder the spec at `spec_path` names, as (display path, text),
    sorted by name. Returns an error message instead when the folder cannot be read or lies
    outside the spec's own directory tree."""
    if not relative.isprintable():  # a NUL would raise in the OS call; a newline is no folder name
        return [], f"migrations path {relative!r} holds a control character"
    base = spec_path.parent.resolve()
    folder = (base / relative).resolve()
    if folder != base and base not in folder.parents:
        return [], f"migrations path '{relative}' leaves the spec's folder"
    if not folder.is_dir():
        return [], f"migrations folder '{relative}' does not exist (relative to {display_path(spec_path.parent)})"
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            try:
                files.append((display_path(path), path.read_text(encoding="utf-8", errors="replace")))
            except OSError as error:
                return [], f"cannot read {display_path(path)}: {error.strerror}"
    return files, None
