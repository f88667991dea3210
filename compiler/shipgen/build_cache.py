"""The build cache (opt-in): a rebuild skips the work of every release whose inputs are unchanged.

Used only when asked: `shipgen build --cache-dir DIR`, or `SHIPGEN_CACHE_DIR` (then the entries
go to `$SHIPGEN_CACHE_DIR/builds`); `SHIPGEN_NO_CACHE=1` turns it off. Without it nothing is
cached and nothing is written outside the output directory. A build with the cache returns
exactly the files and diagnostics of a build without it (tests/test_build_cache.py); the CLI then
writes or compares them as always (the same atomic swap, the same `--check`).

Every entry is keyed by a BLAKE2b digest of everything its value is computed from; when in doubt
an input is in the key (a miss is only slow, a wrong hit would be a wrong build):

- `check/<spec key>`: what load, validate and normalize made of one spec file: its diagnostics,
  the release's identity (`pipeline.ReleaseIdentity`: name, namespace, environment, output
  folder, `dependsOn`, where `metadata.name` is) and the migration folder it read.
  The spec key: this format, shipgen's code (`code_digest`: every file of the package and its
  schemas, templates and policies, the Python and the libraries' versions), the spec's path as
  shown and resolved, and the spec's bytes. Used only when the migration folder, read again now,
  gives the digest recorded (every file's name and text, or the same error).
- `files/<release key>`: the release's artifacts (path -> bytes). The release key is the spec
  key and the migration folder's digest: rendering reads nothing but the release.
- `lint/<lint key>`: the release's findings with the config applied, before and after its
  `# shipgen: ignore` directives. The lint key: the release key, the run's policy digest
  (`lint_digest`: every policy module's name and text, the namespaces, the query, regopy and its
  library, the config, the policies' options, the date SG304 compares `rollback.lastTested`
  with, whether inline ignores count), and the release's dependency facts, which are computed
  every run from all releases' identities (what it depends on, whether each is known, the
  cycles through it, the size of the graph). The findings after suppression are reused only
  when the codes a directive may name (every policy's and every finding's of this run) are the
  same; else the spec's directives are read again.

What depends on all releases is computed every run from the identities (duplicates, SG006; the
dependency facts). A build with `--base` (lint's git comparison) uses no cache.

An entry is a header line, its key, the digest of its body, and the body (JSON whose values are
tagged so that tuples stay tuples; for artifacts, their names and sizes, then their bytes
compressed with zlib). One whose header, key or
digest does not match, or that does not decode, is ignored and written again; entries are written
to a temporary file and renamed, so a reader never sees half of one. A build that writes entries
removes those unused for 30 days. Deleting the folder is always safe.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .diagnostics import Diagnostic, has_errors

FORMAT = "shipgen-build-cache/1"
KINDS = ("check", "lint", "files")
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


def encode(value):
    """JSON data for a value made of None, bools, numbers, strings, lists, tuples, dicts and
    the NamedTuples in `_RECORDS`, tagged so that `decode` gives back an equal value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    kind = type(value).__name__
    if kind in _records() and type(value) is _records()[kind]:
        return {"n": [kind, [encode(item) for item in value]]}
    if type(value) is tuple:
        return {"t": [encode(item) for item in value]}
    if type(value) is list:
        return {"l": [encode(item) for item in value]}
    if type(value) is dict:
        return {"d": [[encode(key), encode(item)] for key, item in value.items()]}
    raise TypeError(f"cannot keep a {type(value).__name__} in the build cache")


def decode(data):
    """The value `encode` made `data` of; ValueError for anything it cannot have made."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError("not an encoded value")
    ((tag, content),) = data.items()
    if not isinstance(content, list):
        raise ValueError("not an encoded value")
    if tag == "t":
        return tuple(decode(item) for item in content)
    if tag == "l":
        return [decode(item) for item in content]
    if tag == "d":
        result = {}
        for pair in content:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError("not an encoded mapping")
            result[decode(pair[0])] = decode(pair[1])
        return result
    if tag == "n" and len(content) == 2 and isinstance(content[1], list) and content[0] in _records():
        kind = _records()[content[0]]
        if len(content[1]) != len(kind._fields):
            raise ValueError("not an encoded record")
        return kind(*(decode(item) for item in content[1]))
    raise ValueError("not an encoded value")


def _records() -> dict:
    from .pipeline import Dependency, ReleaseIdentity

    return {"Diagnostic": Diagnostic, "ReleaseIdentity": ReleaseIdentity, "Dependency": Dependency}


class BuildCache:
    """The entries in one folder. Reading never raises: anything wrong is a miss."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.wrote = 0

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind / key

    def read_bytes(self, kind: str, key: str) -> bytes | None:
        """The body of entry `key`, or None when there is none or it is damaged."""
        path = self._path(kind, key)
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

    def read(self, kind: str, key: str):
        """The value kept under `key`, or None."""
        body = self.read_bytes(kind, key)
        if body is None:
            return None
        try:
            return decode(json.loads(body))
        except (ValueError, RecursionError, UnicodeDecodeError):
            return None

    def write_bytes(self, kind: str, key: str, body: bytes) -> None:
        """Keep `body` under `key`; a failure leaves the cache as it was (it is only a cache)."""
        folder = self.folder / kind
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

    def write(self, kind: str, key: str, value) -> None:
        try:
            body = json.dumps(encode(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return
        self.write_bytes(kind, key, body.encode("utf-8", "surrogatepass"))

    def read_files(self, key: str) -> dict | None:
        import zlib

        body = self.read_bytes("files", key)
        if body is None:
            return None
        index, _, blob = body.partition(b"\n")
        try:
            blob = zlib.decompress(blob)
            listing = json.loads(index)
            files, offset = {}, 0
            for name, size in listing:
                if not isinstance(name, str) or not isinstance(size, int) or size < 0 or offset + size > len(blob):
                    return None
                files[name] = blob[offset:offset + size]
                offset += size
        except (ValueError, TypeError, zlib.error):
            return None
        return files if offset == len(blob) else None

    def write_files(self, key: str, files: dict) -> None:
        """Keep a release's artifacts: an index of names and sizes, then their bytes, compressed
        (a fifth of the bytes to write and read again)."""
        import zlib

        index = json.dumps([[name, len(data)] for name, data in files.items()], ensure_ascii=False)
        self.write_bytes("files", key, index.encode("utf-8", "surrogatepass") + b"\n"
                         + zlib.compress(b"".join(files.values()), 1))

    def evict(self) -> None:
        """Remove entries unused for UNUSED_FOR, and temporary files of runs that were killed."""
        limit = _now() - UNUSED_FOR
        for kind in KINDS:
            try:
                names = os.listdir(self.folder / kind)
            except OSError:
                continue
            for name in names:
                path = self.folder / kind / name
                try:
                    if path.stat().st_mtime < limit or (name.endswith(".tmp") and path.stat().st_mtime < _now() - 3600):
                        path.unlink()
                except OSError:
                    pass


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
        self.release_key = None
        self.loaded = False
        self.document = self.release = None
        self.problems: list = []
        self.identity = None
        self.lint = None  # the lint entry
        self.findings = None  # after config, before suppressions
        self.final = None  # after suppressions
        self.files = None


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
    for spec in specs:
        _look_up_check(cache, spec, code, cwd)
    _load(cache, [spec for spec in specs if spec.identity is None and not spec.loaded], jobs)
    valid = [spec for spec in specs if spec.identity is not None]
    for spec in specs:
        checked.diagnostics.extend(spec.problems)
    checked.diagnostics.extend(duplicate_releases([spec.identity for spec in valid]))
    checked.diagnostics.sort(key=Diagnostic.sort_key)
    result.cached_release_count = len(valid)
    try:
        if has_errors(checked.diagnostics):
            return result
        if lint_settings is not None:
            result.lint = _lint(cache, valid, lint_settings, jobs)
            if result.lint.problems or has_errors(result.lint.findings):
                return result
        _render(cache, valid, jobs)
        for spec in valid:
            result.files.update(spec.files)
        return result
    finally:
        if cache.wrote:
            cache.evict()


def _look_up_check(cache: BuildCache, spec: _Spec, code: str, cwd: Path) -> None:
    from .load import display_path, read_migration_folder

    try:
        spec.raw = spec.path.read_bytes()
        resolved = spec.path.resolve()
        spec.key = Digest("check", code, display_path(spec.path, cwd, resolved), resolved, spec.raw).hex()
    except OSError:
        return  # load_spec reports it
    entry = cache.read("check", spec.key)
    if not _is_check_entry(entry):
        return
    if entry["migrations"] is not None:
        relative, recorded = entry["migrations"]
        spec.read = (relative, *read_migration_folder(spec.path, relative))
        if migrations_digest(spec.read) != recorded:
            return
    spec.problems = entry["problems"]
    spec.identity = entry["identity"]
    spec.release_key = Digest("release", spec.key, migrations_digest(spec.read)).hex()
    if spec.identity is None:  # the spec does not normalize: its problems are all there is
        spec.loaded = True


def _is_check_entry(entry) -> bool:
    from .pipeline import ReleaseIdentity

    return (isinstance(entry, dict) and set(entry) == {"problems", "identity", "migrations"}
            and _diagnostics(entry["problems"])
            and (entry["identity"] is None or isinstance(entry["identity"], ReleaseIdentity))
            and (entry["migrations"] is None or (isinstance(entry["migrations"], list) and len(entry["migrations"]) == 2
                                                 and all(isinstance(part, str) for part in entry["migrations"]))))


def _is_lint_entry(entry) -> bool:
    return (isinstance(entry, dict) and set(entry) == {"findings", "known", "final"}
            and _diagnostics(entry["findings"]) and isinstance(entry["known"], str) and _diagnostics(entry["final"]))


def _diagnostics(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, Diagnostic) for item in value)


def _inspect(item):
    from .pipeline import inspect_spec

    path, raw, read = item
    return inspect_spec(path, raw, read)


def _load(cache: BuildCache, specs: list, jobs) -> None:
    """Load, validate and normalize `specs` (from the bytes read for their key); store what a
    spec not found in the cache gave."""
    from .pipeline import _in_order, release_identity

    specs = [spec for spec in specs if not spec.loaded]
    for spec, (document, release, problems, read) in zip(specs, _in_order(_inspect, [(spec.path, spec.raw, spec.read)
                                                                                      for spec in specs], jobs)):
        spec.loaded = True
        spec.document, spec.release = document, release
        if spec.release_key is not None:  # found in the cache: the same result, already kept
            if release is None:
                raise RuntimeError(f"{spec.path}: the cached check of this spec says it normalizes; now it does not")
            continue
        spec.problems, spec.read = problems, read
        if release is not None:
            spec.identity = release_identity(release, document.locate(("metadata", "name")))
        if spec.key is not None:
            spec.release_key = Digest("release", spec.key, migrations_digest(read)).hex()
            recorded = None if read is None else [read[0], migrations_digest(read)]
            cache.write("check", spec.key, {"problems": problems, "identity": spec.identity, "migrations": recorded})


def _lint(cache: BuildCache, specs: list, settings, jobs):
    from .facts.dependencies import dependency_facts
    from .lint import LintReport, prepare_lint, release_findings, suppressed_in, suppression_codes

    run, failed = prepare_lint([], settings)
    if failed is not None:
        return failed
    run_digest = lint_digest(run)
    dependencies = dependency_facts([spec.identity for spec in specs])
    for spec in specs:
        spec.lint_key = Digest("lint", spec.release_key, run_digest,
                               json.dumps(dependencies[spec.identity.source], sort_keys=True)).hex()
        entry = cache.read("lint", spec.lint_key)
        if _is_lint_entry(entry):
            spec.lint = entry
            spec.findings = entry["findings"]
    _load(cache, [spec for spec in specs if spec.findings is None], jobs)
    for spec in specs:
        if spec.findings is None:
            spec.findings = release_findings(run, spec.release, spec.document, dependencies)
    if run.inline_ignores:
        known = suppression_codes(run.policies, [finding for spec in specs for finding in spec.findings])
        known_digest = Digest("known", *sorted(known)).hex()
        stale = [spec for spec in specs if spec.lint is None or spec.lint["known"] != known_digest]
        _load(cache, stale, jobs)
        for spec in specs:
            spec.final = spec.lint["final"] if spec.lint is not None and spec.lint["known"] == known_digest \
                else suppressed_in(spec.document, spec.findings, known, run.config)
    else:
        known_digest = "-"
        stale = [spec for spec in specs if spec.lint is None]
        for spec in specs:
            spec.final = spec.findings
    for spec in stale:
        cache.write("lint", spec.lint_key, {"findings": spec.findings, "known": known_digest, "final": spec.final})
    findings = [finding for spec in specs for finding in spec.final]
    findings.sort(key=Diagnostic.sort_key)
    return LintReport(findings=findings, policies=run.policies)


def _render(cache: BuildCache, specs: list, jobs) -> None:
    from .pipeline import _in_order, release_files

    for spec in specs:
        spec.files = cache.read_files(spec.release_key)
    missing = [spec for spec in specs if spec.files is None]
    _load(cache, missing, jobs)
    for spec, files in zip(missing, _in_order(release_files, [spec.release for spec in missing], jobs)):
        spec.files = files
        cache.write_files(spec.release_key, files)
