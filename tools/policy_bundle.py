"""Write `policies/compiled/<key>.<digest>.rbb`: the built-in policies compiled by regopy into
rego-cpp's binary bundle, so that a lint run loads them (about 1 ms) instead of compiling them
(40-60 ms). The wheel ships the folder with the policies.

    python tools/policy_bundle.py          rewrite the bundle
    python tools/policy_bundle.py --check  exit 1 if it is missing or stale (the tests say so too)

The key (`policy_cache.shipped_key`) is a digest of the query, every built-in policy's file name
and text, and regopy's version: lint uses the bundle only while all of them are what it reads,
so a policy edited without running this script is still enforced (compiled, as before), only
slower. A bundle whose bytes do not match the digest in its name is never loaded.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"


def expected_name() -> tuple[str, list, str]:
    """The bundle's key, the built-in modules ((file name, text), in order) and the query."""
    sys.path.insert(0, str(ROOT / "compiler"))
    from shipgen.policy import PolicySet, policy_info
    from shipgen.policy_cache import shipped_key

    modules, infos = [], {}
    for path in sorted(POLICIES.glob("*.rego")):
        text = path.read_text(encoding="utf-8")
        info, problem = policy_info(text, path.name, True, None)
        if problem or info is None:
            raise SystemExit(f"{path}: {problem.message if problem else 'no METADATA block'}")
        modules.append((path.name, text))
        infos[info.package] = info
    query = PolicySet(None, infos).query()
    return shipped_key(query, modules), modules, query


def current_files() -> list:
    folder = POLICIES / "compiled"
    return sorted(folder.glob("*.rbb")) if folder.is_dir() else []


def write_bundle() -> Path:
    from regopy import BundleFormat, Interpreter, LogLevel

    from shipgen.policy_cache import _content_digest

    key, modules, query = expected_name()
    interpreter = Interpreter()
    interpreter.log_level = LogLevel.NONE
    for name, text in modules:
        interpreter.add_module(name, text)
    bundle = interpreter.build(query)
    folder = POLICIES / "compiled"
    folder.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        temporary = Path(scratch) / "bundle.rbb"
        interpreter.save_bundle(str(temporary), bundle, BundleFormat.Binary)
        data = temporary.read_bytes()
    target = folder / f"{key}.{_content_digest(data)}.rbb"
    for old in current_files():
        if old != target:
            os.remove(old)
    target.write_bytes(data)
    return target


def main() -> int:
    if sys.argv[1:] == ["--check"]:
        key = expected_name()[0]
        if [path.name.split(".")[0] for path in current_files()] != [key]:
            print("policies/compiled/ is stale: run python tools/policy_bundle.py", file=sys.stderr)
            return 1
        return 0
    print(f"wrote {write_bundle().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
