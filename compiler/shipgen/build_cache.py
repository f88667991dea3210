"""The build cache (opt-in): a rebuild skips the work of every release whose inputs are unchanged.

Used only when asked: `shipgen build --cache-dir DIR`, or `SHIPGEN_CACHE_DIR` (then the entries
go to `$SHIPGEN_CACHE_DIR/builds`); `SHIPGEN_NO_CACHE=1` turns it off. Without it nothing is
cached and nothing is written outside the output directory. A build with the cache returns
exactly the files and diagnostics of a build without it (tests/test_build_cache.py); the CLI then
writes or compares them as always (the same atomic swap, the same `--check`).

One entry per spec file, `specs/<spec key>`, keyed by a BLAKE2b digest of everything its
values are computed from; when in doubt an input is in a key (a miss is only slow, a wrong hit
would be a wrong build):

- The spec key: this format, shipgen's code (`code_digest`: every file of the package and its
  schemas, templates and policies, the Python and the libraries' versions), the spec's path as
  shown and resolved, and the spec's bytes. The entry is used only when the migration folder the
  spec names, read again now, gives the digest recorded (every file's name and text, or the same
  error): with it, the entry holds what load, validate and normalize made of the spec (its
  diagnostics, and the release's identity, `pipeline.ReleaseIdentity`: name, namespace,
  environment, output folder, `dependsOn`, where `metadata.name` is), and the release's
  artifacts (rendering reads nothing but the release).
- Lint findings are kept with their own key: the spec key and migration digest, the run's policy
  digest (`lint_digest`: every policy module's name and text, the namespaces, the query, regopy
  and its library, the config, the policies' options, the date SG304 compares
  `rollback.lastTested` with, whether inline ignores count), and the release's dependency facts,
  which are computed every run from all releases' identities (what it depends on, whether each
  is known, the cycles through it, the size of the graph). They are reused only while that key
  is the same; the findings after suppression only while, besides, the codes a directive may
  name (every policy's and every finding's of this run) are the same, else the spec's
  directives are read again. One set of findings is kept per spec: builds that alternate
  between two configurations lint again each time.

What depends on all releases is computed every run from the identities (duplicates, SG006; the
dependency facts). A build with `--base` (lint's git comparison) uses no cache.

An entry is a header line, its key, the digest of its body, and the body: a line of JSON whose
values are tagged so that tuples stay tuples, then the artifacts' bytes compressed with zlib. One
whose header, key or digest does not match, or that does not decode to what an entry holds, is
ignored and written again; entries are written to a temporary file and renamed, so a reader never
sees half of one. A build that writes entries removes those unused for 30 days (entries of
specs, or of a shipgen, that are gone stay until then). Deleting the folder is always safe.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .diagnostics import Diagnostic, has_errors

FORMAT = "shipgen-build-cache/1"
KIND = "specs"  # the entries' folder
UNUSED_FOR = 30 * 24 * 3600  # seconds: entries unused this long are removed
TOUCH_AFTER = 24 * 3600  # seconds: a used entry older than this is marked as used
LIBRARIES = ("ruamel.yaml", "ruamel.yaml.clib", "PyYAML", "jsonschema", "jsonschema-rs", "Jinja2", "MarkupSafe",
             "regopy", "pglast", "sqlglot")


def _blake2b():
    try:  # CPython's built-in module: `hashlib` would first load OpenSSL
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - other Python implementations
        from hashlib import blake2b
    return blake2b


class Digest:
    """A BLAKE2b digest of a sequence of parts, each prefixed with its length (no two sequences collide)."""

    def __init__(self, *parts):
        self._digest = _blake2b()(digest_size=24)
        for part in parts:
            self.add(part)

    def add(self, part) -> "Digest":
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass")
        self._digest.update(len(data).to_bytes(8, "big"))
        self._digest.update(data)
        return self

    def hex(self) -> str:
        return self._digest.hexdigest()


# ---------------------------------------------------------------------------- where, and whether


def cache_folder(option: Path | None = None, environment=None) -> Path | None:
    """The folder entries are kept in: `--cache-dir`, else `$SHIPGEN_CACHE_DIR/builds`; None (no
    cache) when neither is given or SHIPGEN_NO_CACHE is set."""
    from .policy_cache import turned_off

    environment = os.environ if environment is None else environment
    if turned_off(environment):
        return None
    if option is not None:
        return Path(option)
    if environment.get("SHIPGEN_CACHE_DIR"):
        return Path(environment["SHIPGEN_CACHE_DIR"]) / "builds"
    return None


def folder_problem(folder: Path, out: Path) -> Diagnostic | None:
    """A cache folder inside the output directory would be replaced with it (or the reverse)."""
    cache, output = folder.resolve(), out.resolve()
    if cache == output or output in cache.parents or cache in output.parents:
        return Diagnostic("SG005", "cache-dir", f"the cache folder {folder} and the output directory {out} must not "
                          "contain each other", str(folder))
    return None


# ---------------------------------------------------------------------------- what the keys hold


def code_digest() -> str:
    """shipgen's code and data (every file of the package, and its schemas, templates and policies
    where a source checkout keeps them outside it), the Python, and the libraries' versions."""
    from importlib import metadata

    from .resources import data_dir

    package = Path(__file__).resolve().parent
    digest = Digest(FORMAT, sys.version, sys.implementation.cache_tag, sys.byteorder)
    roots = [package] + [folder for folder in (data_dir(name).resolve() for name in ("schemas", "templates",
                                                                                       "policies"))
                         if package not in folder.parents]
    for root in roots:
        digest.add(f"root {root.name}")
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts or path.suffix == ".pyc" or not path.is_file():
                continue
            digest.add(path.relative_to(root).as_posix()).add(path.read_bytes())
    for library in LIBRARIES:
        try:
            digest.add(f"{library} {metadata.version(library)}")
        except metadata.PackageNotFoundError:
            digest.add(f"{library} -")
    return digest.hex()


def lint_digest(run) -> str:
    """Everything of a `lint.LintRun` that a release's findings depend on besides the release."""
    from .policy_cache import engine_identity

    digest = Digest("lint", engine_identity(), run.policy_set.query(), repr(run.policy_set.namespaces))
    for name, text in run.policy_set.modules:
        digest.add(name).add(text)
    digest.add(repr(run.config)).add(json.dumps(run.options, sort_keys=True, default=repr))
    digest.add(run.context.today.isoformat()).add(repr(run.context.base)).add(repr(sorted(run.context.changes.items())))
    digest.add(run.inline_ignores)
    return digest.hex()


def migrations_digest(read) -> str:
    """The digest of what `pipeline.inspect_spec` read of a migration folder (None: nothing)."""
    if read is None:
        return "-"
    relative, files, error = read
    digest = Digest("migrations", relative, error or "")
    for name, text in files:
        digest.add(name).add(text)
    return digest.hex()


# ---------------------------------------------------------------------------- entries


_SCALARS = (type(None), bool, int, float, str)


def encode(value, records: dict | None = None):
    """JSON data for a value made of None, bools, numbers, strings, lists, tuples, dicts and
    the NamedTuples of `_records`, tagged so that `decode` gives back an equal value."""
    if type(value) in _SCALARS:
        return value
    records = _records() if records is None else records
    kind = type(value).__name__
    if records.get(kind) is type(value):
        return {"n": [kind, [encode(item, records) for item in value]]}
    if type(value) is tuple:
        return {"t": [encode(item, records) for item in value]}
    if type(value) is list:
        return {"l": [encode(item, records) for item in value]}
    if type(value) is dict:
        return {"d": [[encode(key, records), encode(item, records)] for key, item in value.items()]}
    raise TypeError(f"cannot keep a {type(value).__name__} in the build cache")


def decode(data, records: dict | None = None):
    """The value `encode` made `data` of; ValueError for anything it cannot have made."""
    if type(data) in _SCALARS:
        return data
    if type(data) is not dict or len(data) != 1:
        raise ValueError("not an encoded value")
    records = _records() if records is None else records
    ((tag, content),) = data.items()
    if type(content) is not list:
        raise ValueError("not an encoded value")
    if tag == "t" or tag == "l":
        items = content if all(type(item) in _SCALARS for item in content) \
            else [decode(item, records) for item in content]
        return tuple(items) if tag == "t" else list(items)
    if tag == "d":
        result = {}
        for pair in content:
            if type(pair) is not list or len(pair) != 2:
                raise ValueError("not an encoded mapping")
            result[decode(pair[0], records)] = decode(pair[1], records)
        return result
    if tag == "n" and len(content) == 2 and type(content[0]) is str and type(content[1]) is list \
            and content[0] in records:
        kind = records[content[0]]
        if len(content[1]) != len(kind._fields):
            raise ValueError("not an encoded record")
        return kind(*(decode(item, records) for item in content[1]))
    raise ValueError("not an encoded value")


def _records() -> dict:
    from .pipeline import Dependency, ReleaseIdentity

    return {"Diagnostic": Diagnostic, "ReleaseIdentity": ReleaseIdentity, "Dependency": Dependency}


class BuildCache:
    """The entries in one folder, one per spec file (`specs/<spec key>`). Reading never raises:
    anything wrong is a miss."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.wrote = 0

    def _path(self, key: str) -> Path:
        return self.folder / KIND / key

    def read_bytes(self, key: str) -> bytes | None:
        """The body of entry `key`, or None when there is none or it is damaged."""
        path = self._path(key)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
                modified = os.fstat(handle.fileno()).st_mtime
        except OSError:
            return None
        header, _, rest = data.partition(b"\n")
        stored_key, _, rest = rest.partition(b"\n")
        stored_digest, _, body = rest.partition(b"\n")
        if header != FORMAT.encode() or stored_key != key.encode() or \
                stored_digest != _blake2b()(body, digest_size=24).hexdigest().encode():
            return None
        if modified < _now() - TOUCH_AFTER:
            try:
                os.utime(path)
            except OSError:
                pass
        return body

    def write_bytes(self, key: str, body: bytes) -> None:
        """Keep `body` under `key`; a failure leaves the cache as it was (it is only a cache)."""
        folder = self.folder / KIND
        temporary = folder / f".{key}.{os.getpid()}.tmp"
        data = b"\n".join((FORMAT.encode(), key.encode(), _blake2b()(body, digest_size=24).hexdigest().encode(), body))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(data)
            os.replace(temporary, folder / key)
            self.wrote += 1
        except OSError:
            try:
                temporary.unlink()
            except OSError:
                pass

    def read(self, key: str):
        """(the value kept under `key`, the compressed artifacts' bytes), or (None, b"")."""
        body = self.read_bytes(key)
        if body is None:
            return None, b""
        text, _, blob = body.partition(b"\n")
        try:
            return decode(json.loads(text)), blob
        except (ValueError, RecursionError, UnicodeDecodeError):
            return None, b""

    def write(self, key: str, value, files: dict | None = None, blob: bytes = b"") -> None:
        """Keep `value`, and after it `files` (the artifacts) compressed, with `value["files"]`
        set to their names and sizes; without `files`, `blob` (what `read` gave)."""
        import zlib

        if files is not None:
            value = dict(value, files=[(name, len(data)) for name, data in files.items()])
            blob = zlib.compress(b"".join(files.values()), 1)
        try:
            text = json.dumps(encode(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return
        self.write_bytes(key, text.encode("utf-8", "surrogatepass") + b"\n" + blob)

    def evict(self) -> None:
        """Remove entries unused for UNUSED_FOR, and temporary files of runs that were killed."""
        limit = _now() - UNUSED_FOR
        try:
            names = os.listdir(self.folder / KIND)
        except OSError:
            return
        for name in names:
            path = self.folder / KIND / name
            try:
                modified = path.stat().st_mtime
                if modified < limit or (name.endswith(".tmp") and modified < _now() - 3600):
                    path.unlink()
            except OSError:
                pass


def unpack_files(listing, blob: bytes) -> dict | None:
    """The artifacts an entry keeps: `listing` ((name, size) pairs) over the compressed `blob`."""
    import zlib

    try:
        data = zlib.decompress(blob)
    except zlib.error:
        return None
    files, offset = {}, 0
    for item in listing:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], int)
                and 0 <= item[1] <= len(data) - offset):
            return None
        files[item[0]] = data[offset:offset + item[1]]
        offset += item[1]
    return files if offset == len(data) else None


def _now() -> float:
    import time

    return time.time()


# ---------------------------------------------------------------------------- the build


class _Spec:
    """One spec file on its way through a cached build."""

    def __init__(self, path: Path):
        self.path = path
        self.raw = None  # its bytes, read once: every result of this run is computed from them
        self.key = None  # spec key; None when the file cannot be read (then nothing is cached)
        self.read = None  # what was read of its migration folder
        self.entry = None  # what is kept: problems, identity, migrations, lint, files
        self.blob = b""  # the entry's compressed artifacts
        self.changed = False  # the entry must be written
        self.loaded = False
        self.document = self.release = None
        self.problems: list = []
        self.identity = None
        self.lint_key = None
        self.findings = None  # after config, before suppressions
        self.final = None  # after suppressions
        self.files = None
        self.train_warnings: list = []  # the release train's warnings located in this spec


def build(arguments, exclude=(), lint_settings=None, jobs: int | None = None, folder: Path | None = None):
    """`pipeline.build` with the cache in `folder`: the same files and diagnostics (the returned
    `Build` lists no releases in `checked.releases`: their number is `release_count`)."""
    from .load import find_specs
    from .pipeline import Build, Checked, duplicate_releases

    if lint_settings is not None and lint_settings.base:
        from .pipeline import build as plain_build

        return plain_build(arguments, exclude, lint_settings, jobs)
    cache = BuildCache(folder)
    checked = Checked()
    result = Build(checked)
    paths, problems = find_specs(arguments, exclude)
    checked.diagnostics.extend(problems)
    checked.spec_count = len(paths)
    code = code_digest()
    specs = [_Spec(path) for path in paths]
    cwd = Path.cwd().resolve()
    try:
        for spec in specs:
            _look_up(cache, spec, code, cwd)
        _load([spec for spec in specs if spec.entry is None], jobs)
        valid = [spec for spec in specs if spec.identity is not None]
        for spec in specs:
            checked.diagnostics.extend(spec.problems)
        checked.diagnostics.extend(duplicate_releases([spec.identity for spec in valid]))
        checked.diagnostics.sort(key=Diagnostic.sort_key)
        result.cached_release_count = len(valid)
        if has_errors(checked.diagnostics):
            return result
        train = _train(cache, valid, code, jobs)
        if has_errors(train["diagnostics"]):
            checked.diagnostics.extend(train["diagnostics"])
            checked.diagnostics.sort(key=Diagnostic.sort_key)
            return result
        for spec in valid:
            spec.train_warnings = [warning for warning in train["diagnostics"] if warning.file == spec.identity.source]
        if lint_settings is not None:
            result.lint = _lint(valid, lint_settings, jobs)
            if result.lint.problems or has_errors(result.lint.findings):
                return result
        else:  # no lint to configure them: shown as they are (as pipeline.build does)
            checked.diagnostics.extend(train["diagnostics"])
            checked.diagnostics.sort(key=Diagnostic.sort_key)
        _render(valid, jobs)
        for spec in valid:
            result.files.update(spec.files)
        result.files.update(train["files"])
        return result
    finally:
        for spec in specs:
            if spec.changed and spec.key is not None:
                cache.write(spec.key, spec.entry, spec.files, spec.blob)
        if cache.wrote:
            cache.evict()


def _look_up(cache: BuildCache, spec: _Spec, code: str, cwd: Path) -> None:
    from .load import display_path, read_migration_folder

    try:
        spec.raw = spec.path.read_bytes()
        resolved = spec.path.resolve()
        spec.key = Digest("spec", code, display_path(spec.path, cwd, resolved), resolved, spec.raw).hex()
    except OSError:
        return  # load_spec reports it
    entry, blob = cache.read(spec.key)
    if not _is_entry(entry):
        return
    if entry["migrations"] is not None:
        relative, recorded = entry["migrations"]
        spec.read = (relative, *read_migration_folder(spec.path, relative))
        if migrations_digest(spec.read) != recorded:
            return
    spec.entry, spec.blob = entry, blob
    spec.problems = entry["problems"]
    spec.identity = entry["identity"]
    if spec.identity is None:  # the spec does not normalize: its problems are all there is
        spec.loaded = True


def _is_entry(entry) -> bool:
    from .pipeline import ReleaseIdentity

    if not (isinstance(entry, dict) and set(entry) == {"problems", "identity", "migrations", "lint", "files"}):
        return False
    migrations, lint = entry["migrations"], entry["lint"]
    return (_diagnostics(entry["problems"])
            and (entry["identity"] is None or isinstance(entry["identity"], ReleaseIdentity))
            and (migrations is None or (isinstance(migrations, list) and len(migrations) == 2
                                        and all(isinstance(part, str) for part in migrations)))
            and (lint is None or (isinstance(lint, dict) and set(lint) == {"key", "findings", "known", "final"}
                                  and isinstance(lint["key"], str) and _diagnostics(lint["findings"])
                                  and isinstance(lint["known"], str)
                                  and (lint["final"] is None or _diagnostics(lint["final"]))))
            and (entry["files"] is None or isinstance(entry["files"], list)))


def _diagnostics(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, Diagnostic) for item in value)


def _train(cache: BuildCache, specs: list, code: str, jobs) -> dict:
    """The release train of a build of two or more releases (pipeline.build's): {"diagnostics":
    its errors and warnings, before the lint config; "files": its artifacts}. Kept under the
    digest of every spec's key and migrations (everything the train reads), so any change
    to any spec computes it again from every release, loaded."""
    if len(specs) < 2:
        return {"diagnostics": [], "files": {}}
    key = Digest("train", code, *(f"{spec.key}:{spec.entry['migrations']}" for spec in specs)).hex()
    entry, blob = cache.read(key)
    if isinstance(entry, dict) and set(entry) == {"diagnostics", "files"} and _diagnostics(entry["diagnostics"]) \
            and isinstance(entry["files"], list):
        files = unpack_files(entry["files"], blob)
        if files is not None:
            return {"diagnostics": entry["diagnostics"], "files": files}
    from .pipeline import Checked, train_files
    from .train.plan import plan_train

    _load(specs, jobs)
    checked = Checked()
    for spec in specs:
        checked.releases.append(spec.release)
        checked.documents[spec.release.source] = spec.document
    train = plan_train(checked)
    files = {} if train is None or has_errors(train.diagnostics) else train_files(train)
    result = {"diagnostics": [] if train is None else list(train.diagnostics), "files": files}
    cache.write(key, {"diagnostics": result["diagnostics"]}, files)
    return result


def _inspect(item):
    from .pipeline import inspect_spec

    path, raw, read = item
    return inspect_spec(path, raw, read)


def _load(specs: list, jobs) -> None:
    """Load, validate and normalize `specs` (from the bytes read for their key); a spec without
    an entry gets one."""
    from .pipeline import _in_order, release_identity

    specs = [spec for spec in specs if not spec.loaded]
    for spec, (document, release, problems, read) in zip(specs, _in_order(_inspect, [(spec.path, spec.raw, spec.read)
                                                                                      for spec in specs], jobs)):
        spec.loaded = True
        spec.document, spec.release = document, release
        if spec.entry is not None:  # found in the cache: the same result, already kept
            if release is None:
                raise RuntimeError(f"{spec.path}: the cached check of this spec says it normalizes; now it does not")
            continue
        spec.problems, spec.read = problems, read
        if release is not None:
            spec.identity = release_identity(release, document.locate(("metadata", "name")))
        spec.entry = {"problems": problems, "identity": spec.identity, "lint": None, "files": None,
                      "migrations": None if read is None else [read[0], migrations_digest(read)]}
        spec.changed = True


def _lint(specs: list, settings, jobs):
    from .facts.dependencies import dependency_facts
    from .lint import LintReport, configured, prepare_lint, release_findings, suppressed_in, suppression_codes

    run, failed = prepare_lint([], settings)
    if failed is not None:
        return failed
    run_digest = lint_digest(run)
    dependencies = dependency_facts([spec.identity for spec in specs])
    for spec in specs:
        spec.lint_key = Digest("lint", spec.key, spec.entry["migrations"], run_digest,
                               json.dumps(dependencies[spec.identity.source], sort_keys=True),
                               json.dumps(encode(spec.train_warnings), sort_keys=True)).hex()
        kept = spec.entry["lint"]
        if kept is not None and kept["key"] == spec.lint_key:
            spec.findings = kept["findings"]
    _load([spec for spec in specs if spec.findings is None], jobs)
    for spec in specs:
        if spec.findings is None:
            spec.findings = release_findings(run, spec.release, spec.document, dependencies) \
                + configured(spec.train_warnings, run.config)
    known_digest, known = "-", None
    if run.inline_ignores:
        known = suppression_codes(run.policies, [finding for spec in specs for finding in spec.findings])
        known_digest = Digest("known", *sorted(known)).hex()
    for spec in specs:
        kept = spec.entry["lint"]
        if kept is not None and kept["key"] == spec.lint_key and kept["known"] == known_digest:
            spec.final = kept["findings"] if kept["final"] is None else kept["final"]
    _load([spec for spec in specs if spec.final is None], jobs)
    for spec in specs:
        if spec.final is None:
            spec.final = suppressed_in(spec.document, spec.findings, known, run.config) if known is not None \
                else spec.findings
            spec.entry = dict(spec.entry, lint={"key": spec.lint_key, "findings": spec.findings, "known": known_digest,
                                                "final": None if spec.final == spec.findings else spec.final})
            spec.changed = True
    findings = [finding for spec in specs for finding in spec.final]
    findings.sort(key=Diagnostic.sort_key)
    return LintReport(findings=findings, policies=run.policies)


def _render(specs: list, jobs) -> None:
    from .pipeline import _in_order, release_files

    for spec in specs:
        if spec.entry["files"] is not None:
            spec.files = unpack_files(spec.entry["files"], spec.blob)
    missing = [spec for spec in specs if spec.files is None]
    _load(missing, jobs)
    for spec, files in zip(missing, _in_order(release_files, [spec.release for spec in missing], jobs)):
        spec.files = files
        spec.changed = True
