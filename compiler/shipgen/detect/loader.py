"""The repository reader of `shipgen detect`: the files below DIR that could describe a deployment,
as text, and their YAML/JSON documents with the line of every value.

Read-only. Skipped: dot-directories (.git, .venv, ...), node_modules and other dependency folders,
symlinks (a directory link is never followed, a file link only when it stays inside DIR), files over
MAX_FILE_BYTES, binary files and text that is not UTF-8. Hostile YAML (alias bombs, deep nesting,
object-constructing tags) never crashes: the document is composed into nodes with ruamel.yaml's safe
parser and converted by a walker that counts nodes, and a file that cannot be read becomes a skip
note. CloudFormation short-form tags (`!Ref`, `!Sub`, ...) are kept as their plain content.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 1_048_576
MAX_FILES = 20_000
MAX_NODES = 50_000
MAX_DEPTH = 64
SKIPPED_DIRS = {"node_modules", "vendor", "__pycache__", "bower_components", "site-packages"}
STRUCTURED_SUFFIXES = (".yaml", ".yml", ".json")
TEXT_SUFFIXES = (".bicep", ".cfg", ".conf")
TEXT_NAMES = ("Procfile",)


@dataclass(frozen=True)
class Document:
    """One YAML/JSON document: plain data, and the 1-based line of each value by its path."""

    data: object
    lines: dict
    line: int  # where the document starts

    def line_of(self, *path) -> int:
        """The line of a path, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.line


@dataclass
class RepoFile:
    path: str  # relative to DIR, POSIX
    text: str
    documents: list = field(default_factory=list)
    parse_error: str = ""

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def folder(self) -> str:
        parent = PurePosixPath(self.path).parent.as_posix()
        return "" if parent == "." else parent


@dataclass
class Repository:
    root: Path
    files: dict = field(default_factory=dict)  # path -> RepoFile, in sorted order
    skipped: list = field(default_factory=list)  # (path, reason)

    def sibling(self, file: RepoFile, name: str) -> RepoFile | None:
        return self.files.get(f"{file.folder}/{name}" if file.folder else name)


def read_repository(root: Path) -> Repository:
    """Every candidate file below root, read and parsed; nothing is written."""
    repository = Repository(root)
    base = root.resolve()
    for path in _candidates(root, base, repository.skipped):
        relative = path.relative_to(root).as_posix()
        if len(repository.files) >= MAX_FILES:
            repository.skipped.append((relative, f"more than {MAX_FILES} candidate files; the rest were not read"))
            break
        text, reason = _read_text(path, base)
        if reason:
            repository.skipped.append((relative, reason))
            continue
        file = RepoFile(relative, text)
        if path.suffix.lower() in STRUCTURED_SUFFIXES:
            file.documents, file.parse_error = parse_documents(text, path.suffix.lower() == ".json")
        repository.files[relative] = file
    return repository


def _candidates(root: Path, base: Path, skipped: list):
    for folder, directories, names in os.walk(root, followlinks=False):
        directories[:] = sorted(d for d in directories if not d.startswith(".") and d not in SKIPPED_DIRS
                                and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(names):
            path = Path(folder) / name
            if _is_candidate(name):
                yield path


def _is_candidate(name: str) -> bool:
    lower = name.lower()
    return (lower.endswith(STRUCTURED_SUFFIXES + TEXT_SUFFIXES) or name in TEXT_NAMES
            or lower.startswith("procfile") or "haproxy" in lower or "nginx" in lower)


def _read_text(path: Path, base: Path) -> tuple[str, str]:
    try:
        if path.is_symlink():
            target = path.resolve()
            if target != base and base not in target.parents:
                return "", "a symlink that leaves the directory"
        if not path.is_file():
            return "", "not a regular file"
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return "", f"larger than {MAX_FILE_BYTES} bytes"
        raw = path.read_bytes()
    except OSError as error:
        return "", f"cannot read: {error.strerror}"
    if b"\x00" in raw:
        return "", "binary file"
    try:
        return raw.decode("utf-8").removeprefix("\ufeff"), ""
    except UnicodeDecodeError:
        return "", "not UTF-8 text"


# ---------------------------------------------------------------------------- YAML and JSON


def parse_documents(text: str, is_json: bool = False) -> tuple[list, str]:
    """The documents of a YAML (or JSON) text, or ([], why not)."""
    try:
        nodes = _compose(text)
    except _Refused as error:
        return [], str(error)
    except Exception as error:  # noqa: BLE001 - any parser failure is a property of the file, not a bug
        if is_json:
            return _json_documents(text)
        return [], _first_line(error)
    documents = []
    budget = [MAX_NODES]
    for node in nodes:
        if node is None:
            continue
        lines: dict = {}
        try:
            data = _convert(node, (), lines, budget, 0)
        except _Refused as error:
            return [], str(error)
        documents.append(Document(data, lines, node.start_mark.line + 1))
    return documents, ""


class _Refused(Exception):
    pass


def _first_line(error: Exception) -> str:
    text = " ".join(str(error).split())
    return f"not valid YAML ({text[:160]})"


def _json_documents(text: str) -> tuple[list, str]:
    import json

    try:
        data = json.loads(text)
    except ValueError as error:
        return [], f"not valid JSON ({error})"
    return [Document(data, {}, 1)], ""


def _compose(text: str) -> list:
    from ruamel.yaml import YAML
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    yaml = YAML(typ="safe", pure=True)
    depth = 0
    for event in yaml.parse(io.StringIO(text)):  # the event parser does not recurse; composers do
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
    return list(yaml.compose_all(io.StringIO(text)))


_SCALAR_TAGS = {"tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": float, "tag:yaml.org,2002:bool": bool,
                "tag:yaml.org,2002:null": type(None)}


def _convert(node, path: tuple, lines: dict, budget: list, depth: int):
    budget[0] -= 1
    if budget[0] < 0:
        raise _Refused(f"the file expands to more than {MAX_NODES} values (aliases referring to aliases?)")
    if depth > MAX_DEPTH:
        raise _Refused(f"nesting deeper than {MAX_DEPTH} levels")
    lines[path] = node.start_mark.line + 1
    if node.id == "mapping":
        result = {}
        for key_node, value_node in node.value:
            if key_node.id != "scalar":
                continue
            key = str(key_node.value)
            if key == "<<" or key in result:
                continue
            result[key] = _convert(value_node, path + (key,), lines, budget, depth + 1)
            lines[path + (key,)] = key_node.start_mark.line + 1  # evidence points at the key
        return result
    if node.id == "sequence":
        return [_convert(item, path + (index,), lines, budget, depth + 1) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node):
    tag = getattr(node.tag, "value", node.tag) or ""
    value = node.value
    kind = _SCALAR_TAGS.get(tag)
    if kind is None or node.style:  # strings, timestamps, quoted text and custom tags keep their text
        return value
    text = value.strip()
    if kind is type(None):
        return None
    if kind is bool:
        return text.lower() in ("true", "yes", "on", "y")
    try:
        if kind is int:
            for base in (10, 0):
                try:
                    return int(text.replace("_", ""), base)
                except ValueError:
                    continue
            return value
        number = float(text.replace("_", ""))
        return number if number == number and abs(number) != float("inf") else value
    except ValueError:
        return value
