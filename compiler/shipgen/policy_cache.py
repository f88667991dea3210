"""Compiled policy bundles, so that a lint run does not recompile the same Rego: the bundle of
the built-in policies shipped with shipgen, and a cache of the bundles of users' policies.

Compiling two dozen policies with regopy (rego-cpp) takes 40-60 ms; loading the same bundle
back from rego-cpp's binary bundle format takes about 1 ms. The cache changes no result: a
bundle is only ever used for exactly the policies, query and regopy it was compiled from.

- Key: a BLAKE2b digest of everything a bundle is compiled from: this file's format version,
  the rego-cpp version and the size and modification time of regopy's shared library, the
  query, and the name and text of every module, in order. A policy edited, added or removed,
  another `--namespace`, or another regopy gives another key.
- File: `<key>.<digest of the file's bytes>.rbb`, written to a temporary file and renamed into
  place, so a reader never sees half a file. Its bytes are checked against that digest before
  rego-cpp reads them (rego-cpp crashes on a damaged bundle): a damaged file is never loaded;
  the policies are compiled again and the file replaced.
- Only bundles that compiled are stored: syntax errors are found, and reported, every time.
- Shipped: `policies/compiled/` holds the bundle of the built-in policies (written by
  `tools/policy_bundle.py`; tests/test_policy_bundle.py fails while it is stale), under a key
  that names the engine by regopy's version alone (the library's path and time differ on every
  machine). It is used when no cache folder is set and no user policy is loaded; a bundle whose
  key does not match the policies read, the query and the regopy installed is never used: the
  policies are compiled, as before.
- Where: `$SHIPGEN_CACHE_DIR/rego-bundles`, only when that variable is set (shipgen writes nothing
  outside the output directory unless asked; a pre-commit hook or CI job opts in); the 16 most
  recently used bundles are kept (about 90 KB each). `SHIPGEN_NO_CACHE=1` turns it, and the shipped bundle, off;
  deleting the folder is always safe. A cache that cannot be read or written is silently not used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FORMAT = "shipgen-rego-bundle/1"
KEEP = 16
SUFFIX = ".rbb"
SHIPPED = "compiled"  # the shipped bundle's folder, in the built-in policies' folder


def _blake2b():
    # CPython's built-in module: `hashlib` would first load OpenSSL, ~5 ms of start-up
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - other Python implementations
        from hashlib import blake2b
    return blake2b


def turned_off(environment=None) -> bool:
    """SHIPGEN_NO_CACHE is set: every run compiles its policies."""
    environment = os.environ if environment is None else environment
    return environment.get("SHIPGEN_NO_CACHE", "") not in ("", "0")


def cache_dir(environment=None) -> Path | None:
    """The folder bundles are kept in, or None when the cache is off: shipgen writes nothing outside
    the output directory unless asked, so the cache is used only where SHIPGEN_CACHE_DIR names it."""
    environment = os.environ if environment is None else environment
    if turned_off(environment) or not environment.get("SHIPGEN_CACHE_DIR"):
        return None
    return Path(environment["SHIPGEN_CACHE_DIR"]) / "rego-bundles"


def shipped_dir() -> Path:
    from .resources import data_dir

    return data_dir("policies") / SHIPPED


def engine_identity() -> str:
    """The rego-cpp version and the identity of the library file regopy loaded."""
    import regopy
    from regopy import rego_shared

    library = getattr(rego_shared.rego, "_name", "") or ""
    try:
        stat = os.stat(library)
        identity = f"{library}|{stat.st_size}|{stat.st_mtime_ns}"
    except OSError:
        identity = library
    return f"{regopy.__version__}|{identity}"


def bundle_key(query: str, modules, engine: str | None = None) -> str:
    """The key of the bundle compiled from `modules` ((name, text) pairs, in the order they are
    added) for `query` by `engine` (default: `engine_identity()`)."""
    digest = _blake2b()(digest_size=20)
    for part in (FORMAT, engine_identity() if engine is None else engine, query):
        _add(digest, part)
    for name, text in modules:
        _add(digest, name)
        _add(digest, text)
    return digest.hexdigest()


def shipped_key(query: str, modules) -> str:
    """The key of a shipped bundle: the engine named by regopy's version and the byte order."""
    import regopy

    return bundle_key(query, modules, f"regopy {regopy.__version__} {sys.byteorder}")


def load_shipped_bundle(interpreter, query: str, modules):
    """The shipped bundle of the built-in `modules` (named by their file names) for `query`, or None."""
    return load_bundle(interpreter, shipped_key(query, modules), shipped_dir(), writable=False)


def _add(digest, text: str) -> None:
    data = text.encode("utf-8")
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)


def _content_digest(data: bytes) -> str:
    return _blake2b()(data, digest_size=20).hexdigest()


def load_bundle(interpreter, key: str, folder: Path | None, writable: bool = True):
    """The bundle for `key` in `folder`, loaded into `interpreter`, or None. In a `writable`
    folder (the cache) a damaged file is removed and a used one marked as recently used."""
    if folder is None:
        return None
    from regopy import BundleFormat, RegoError

    try:
        names = [name for name in os.listdir(folder) if name.startswith(key + ".") and name.endswith(SUFFIX)]
    except OSError:
        return None
    for name in sorted(names):
        path = folder / name
        expected = name[len(key) + 1:-len(SUFFIX)]
        try:
            if _content_digest(path.read_bytes()) != expected:
                if writable:
                    path.unlink()  # damaged: a run that compiles writes it again
                continue
            bundle = interpreter.load_bundle(str(path), BundleFormat.Binary)
        except (OSError, RegoError):
            continue
        if writable:
            try:
                os.utime(path)  # most recently used: kept longest
            except OSError:
                pass
        return bundle
    return None


def store_bundle(interpreter, bundle, key: str, folder: Path | None) -> None:
    """Keep `bundle` under `key`; any failure leaves the cache as it was."""
    if folder is None:
        return
    from regopy import BundleFormat, RegoError

    temporary = folder / f".{key}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        interpreter.save_bundle(str(temporary), bundle, BundleFormat.Binary)
        data = temporary.read_bytes()
        os.replace(temporary, folder / f"{key}.{_content_digest(data)}{SUFFIX}")
        _evict(folder)
    except (OSError, RegoError):
        pass
    finally:
        try:
            temporary.unlink()
        except OSError:
            pass


def _evict(folder: Path) -> None:
    """Remove all but the KEEP most recently used bundles, and temporary files of killed runs."""
    import time

    bundles, stale = [], []
    for name in os.listdir(folder):
        try:
            modified = (folder / name).stat().st_mtime_ns
        except OSError:
            continue
        if name.endswith(SUFFIX):
            bundles.append((modified, name))
        elif name.endswith(".tmp") and modified < time.time_ns() - 3600 * 10**9:
            stale.append(name)
    for name in [name for _modified, name in sorted(bundles, reverse=True)[KEEP:]] + stale:
        try:
            (folder / name).unlink()
        except OSError:
            pass
