"""The build cache (`shipgen build --cache-dir DIR`, compiler/shipgen/build_cache.py): a build from
the cache gives exactly what a build without it gives, whatever changed in between; every input a
release's result depends on invalidates it; a damaged entry is never trusted; nothing is written
outside OUT and the cache folder, and nothing at all is cached without the option."""

from __future__ import annotations

import datetime
import os
import shutil
import stat
import textwrap
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_SPEC, ROOT
from shipgen import build_cache, lint, pipeline
from shipgen.lint import LintSettings


def _outcome(result):
    report = result.lint
    return (list(result.files.items()), result.diagnostics, report.findings if report else None,
            report.problems if report else None, result.release_count)


def _cold_and_cached(arguments, folder, settings=LintSettings()):
    """The cached build's result, after checking it equals a build without the cache."""
    cold = pipeline.build(arguments, (), settings, 1)
    cached = build_cache.build(arguments, (), settings, 1, folder)
    assert _outcome(cached) == _outcome(cold)
    return cached


@pytest.fixture
def work(monkeypatch):
    """Counts of the work a build does: specs loaded, releases linted, releases rendered."""
    counts = {"load": 0, "lint": 0, "render": 0}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(pipeline, "inspect_spec", counting("load", pipeline.inspect_spec))
    monkeypatch.setattr(pipeline, "release_files", counting("render", pipeline.release_files))
    monkeypatch.setattr(lint, "release_findings", counting("lint", lint.release_findings))

    def taken():
        result = dict(counts)
        counts.update(load=0, lint=0, render=0)
        return result

    return taken


def _specs(folder: Path, texts: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")


def _spec(name: str, extra: str = "") -> str:
    return MINIMAL_SPEC.replace("name: web,", f"name: {name},") + extra


def _tree(folder: Path) -> dict:
    return {path.relative_to(folder).as_posix(): (path.read_bytes() if path.is_file() else None,
                                                   stat.S_IMODE(path.lstat().st_mode))
            for path in sorted(folder.rglob("*"))}


# ---------------------------------------------------------------------------- the same result


def test_a_cached_build_of_the_examples_writes_what_a_cold_build_writes(tmp_path, monkeypatch, run_shipgen):
    monkeypatch.chdir(ROOT)
    cold = run_shipgen("build", "examples", "-o", tmp_path / "cold")
    runs = [run_shipgen("build", "examples", "-o", tmp_path / "cached", "--cache-dir", tmp_path / "cache")
            for _ in range(2)]
    assert cold.exit_code == 0
    for run in runs:  # the first fills the cache, the second reads it
        assert (run.exit_code, run.output.replace(f"{tmp_path / 'cached'}", f"{tmp_path / 'cold'}")) == \
            (cold.exit_code, cold.output)
        assert _tree(tmp_path / "cached") == _tree(tmp_path / "cold")
    assert _tree(tmp_path / "cold") == _tree(ROOT / "golden")
    check = run_shipgen("build", "examples", "-o", ROOT / "golden", "--check", "--cache-dir", tmp_path / "cache")
    assert check.exit_code == 0, check.output


def test_a_build_from_the_cache_does_no_work_and_gives_the_same(tmp_path, monkeypatch, work):
    monkeypatch.chdir(ROOT)
    first = _cold_and_cached(["examples"], tmp_path / "cache")
    assert len(first.files) > 300
    assert work()["render"] > 30
    _cold_and_cached(["examples"], tmp_path / "cache")
    count = first.release_count
    assert work() == {"load": count, "lint": count, "render": count}  # the cold build's: none from the cache


def test_lint_errors_and_invalid_specs_come_from_the_cache_alike(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _specs(tmp_path / "specs", {"a.yaml": _spec("a", "strategy: {type: recreate}\n"),  # SG201, an error
                                "b.yaml": _spec("b"), "c.yaml": _spec("b"),  # SG006
                                "d.yaml": _spec("d").replace("port: 8080", "port: eighty")})
    for _ in range(2):
        result = _cold_and_cached(["specs"], tmp_path / "cache")
        assert {"SG006", "SG003"} & {d.code for d in result.diagnostics}
    (tmp_path / "specs" / "c.yaml").unlink()
    (tmp_path / "specs" / "d.yaml").unlink()
    for _ in range(2):
        result = _cold_and_cached(["specs"], tmp_path / "cache")
        assert "SG201" in {d.code for d in result.lint.findings} and not result.files


# ---------------------------------------------------------------------------- what invalidates


def test_a_changed_spec_is_built_again_and_only_it(tmp_path, monkeypatch, work):
    monkeypatch.chdir(tmp_path)
    _specs(tmp_path / "specs", {f"s{index}.yaml": _spec(f"s{index}") for index in range(4)})
    before = _cold_and_cached(["specs"], tmp_path / "cache")
    work()
    spec = tmp_path / "specs" / "s2.yaml"
    spec.write_text(spec.read_text().replace("web:1.0.0", "web:1.0.1"))
    after = _cold_and_cached(["specs"], tmp_path / "cache")
    assert after.files != before.files
    assert b"web:1.0.1" in after.files["production/s2/kubernetes/deployment.yaml"]
    # the cold build's 4, then: every spec loaded again (the release train reads every release), the
    # changed one linted and rendered
    assert work() == {"load": 4 + 4, "lint": 4 + 1, "render": 4 + 1}


def test_a_changed_migration_file_invalidates(tmp_path, monkeypatch, work):
    shutil.copytree(ROOT / "examples" / "orders", tmp_path / "orders")
    for dependency in ("checkout.yaml", "gcp-cloud-deploy-mesh.yaml"):  # the services orders depends on
        shutil.copy(ROOT / "examples" / dependency, tmp_path / dependency)
    monkeypatch.chdir(tmp_path)
    before = _cold_and_cached(["."], tmp_path / "cache")
    migration = tmp_path / "orders" / "db" / "migrations" / "V42__add_order_status.sql"
    migration.write_text(migration.read_text() + "CREATE INDEX customers_email ON customers (email);\n")
    after = _cold_and_cached(["."], tmp_path / "cache")
    assert "SG403" in {d.code for d in after.lint.findings} - {d.code for d in before.lint.findings}
    (tmp_path / "orders" / "db" / "migrations" / "V43__more.sql").write_text("SELECT 1;\n")  # a file added
    _cold_and_cached(["."], tmp_path / "cache")
    shutil.rmtree(tmp_path / "orders" / "db")  # the folder gone: SG005
    gone = _cold_and_cached(["."], tmp_path / "cache")
    assert "SG005" in {d.code for d in gone.diagnostics}


def test_the_lint_config_and_users_policies_invalidate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _specs(tmp_path / "specs", {"web.yaml": _spec("web")})
    plain = _cold_and_cached(["specs"], tmp_path / "cache")
    assert "SG506" in {d.code for d in plain.lint.findings}
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  severity: {SG506: 'off'}\n")
    quiet = _cold_and_cached(["specs"], tmp_path / "cache")
    assert "SG506" not in {d.code for d in quiet.lint.findings}
    (tmp_path / "policies").mkdir()
    policy = tmp_path / "policies" / "web.rego"
    policy.write_text('package main\nimport rego.v1\nwarn contains "web warned" if input.spec.metadata.name == "web"\n')
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  policy-dirs: [policies]\n")
    warned = _cold_and_cached(["specs"], tmp_path / "cache")
    assert "web warned" in {d.message for d in warned.lint.findings}
    policy.write_text(policy.read_text().replace("web warned", "web warned again"))
    again = _cold_and_cached(["specs"], tmp_path / "cache")
    assert "web warned again" in {d.message for d in again.lint.findings}


def test_a_dependency_s_spec_invalidates_the_release_that_depends_on_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _specs(tmp_path / "specs", {"web.yaml": _spec("web", "dependsOn: [api]\n"), "api.yaml": _spec("api")})
    known = _cold_and_cached(["specs"], tmp_path / "cache")
    assert "SG101" not in {d.code for d in known.lint.findings}
    api = tmp_path / "specs" / "api.yaml"
    api.write_text(api.read_text().replace("name: api,", "name: apis,"))  # web's dependency is now unknown
    unknown = _cold_and_cached(["specs"], tmp_path / "cache")  # the release train stops the build
    assert [d.file for d in unknown.diagnostics if d.code == "SG007"] == ["specs/web.yaml"] and not unknown.files
    api.write_text(_spec("api", "dependsOn: [web]\n"))  # a cycle through web
    cycle = _cold_and_cached(["specs"], tmp_path / "cache")
    assert {d.file for d in cycle.diagnostics if d.code == "SG008"} == {"specs/web.yaml", "specs/api.yaml"}
    api.write_text(_spec("api"))  # back as it was: the cached results serve again
    again = _cold_and_cached(["specs"], tmp_path / "cache")
    assert _outcome(again) == _outcome(known)


def test_the_release_train_from_the_cache_is_the_cold_build_s(tmp_path, monkeypatch, work):
    """RELEASE-TRAIN.md, the pipelines and the train's warnings (after the lint config and inline
    ignores) are those of a cold build, and follow a change of any spec."""
    monkeypatch.chdir(tmp_path)

    def release(name: str, environment: str, extra: str = "", comment: str = "") -> str:
        return comment + _spec(name, extra).replace("team: web-team}", f"team: web-team, environment: {environment}}}")

    _specs(tmp_path / "specs", {"web-staging.yaml": release("web", "staging"),
                                "web.yaml": release("web", "production", "dependsOn: [api]\n"),
                                "api.yaml": release("api", "production")})
    first = _cold_and_cached(["specs"], tmp_path / "cache")
    assert "RELEASE-TRAIN.md" in first.files and ".github/workflows/release-train.yaml" in first.files
    assert [d.file for d in first.lint.findings if d.code == "SG009"] == ["specs/api.yaml"]
    work()
    assert _outcome(_cold_and_cached(["specs"], tmp_path / "cache")) == _outcome(first)
    assert work()["render"] == 3  # the cold build renders 3 releases, the cached one none
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  disable: [unverified-promotion]\n")
    disabled = _cold_and_cached(["specs"], tmp_path / "cache")
    assert "SG009" not in {d.code for d in disabled.lint.findings}
    (tmp_path / ".shipgen.yaml").unlink()
    (tmp_path / "specs" / "api.yaml").write_text(release("api", "production",
                                                         comment="# shipgen: ignore-file[SG009] -- staged elsewhere\n"))
    ignored = _cold_and_cached(["specs"], tmp_path / "cache")
    assert "SG009" not in {d.code for d in ignored.lint.findings} and "SG092" not in {d.code for d in ignored.lint.findings}
    (tmp_path / "specs" / "web.yaml").write_text(release("web", "production"))  # no dependency: one wave
    one_wave = _cold_and_cached(["specs"], tmp_path / "cache")
    assert one_wave.files["RELEASE-TRAIN.md"] != first.files["RELEASE-TRAIN.md"]


def test_a_change_of_shipgen_s_code_invalidates_everything(tmp_path, monkeypatch, work):
    monkeypatch.chdir(tmp_path)
    _specs(tmp_path / "specs", {"web.yaml": _spec("web"), "api.yaml": _spec("api")})
    _cold_and_cached(["specs"], tmp_path / "cache")
    work()
    monkeypatch.setattr(build_cache, "code_digest", lambda: "another shipgen")
    _cold_and_cached(["specs"], tmp_path / "cache")
    assert work() == {"load": 4, "lint": 4, "render": 4}


def test_the_code_digest_reads_the_package_its_data_and_the_libraries(monkeypatch):
    read = []
    original = Path.read_bytes

    def recording(path):
        read.append(path.resolve())
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", recording)
    first = build_cache.code_digest()
    names = {path.relative_to(ROOT).as_posix() for path in read if ROOT in path.parents}
    assert {"compiler/shipgen/build_cache.py", "compiler/shipgen/targets/__init__.py",
            "schemas/release-v1alpha1.schema.json", "templates/runbook.md.j2",
            "policies/sg304_untested_rollback.rego"} <= names, sorted(names)[:20]
    monkeypatch.setattr(build_cache, "LIBRARIES", build_cache.LIBRARIES + ("no-such-library",))
    assert build_cache.code_digest() != first


def test_the_date_sg304_compares_with_invalidates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _specs(tmp_path / "specs", {"web.yaml": _spec("web", 'rollback: {lastTested: "2026-11-01"}\n')})
    fresh = _cold_and_cached(["specs"], tmp_path / "cache", LintSettings(today=datetime.date(2026, 11, 10)))
    assert "SG304" not in {d.code for d in fresh.lint.findings}
    stale = _cold_and_cached(["specs"], tmp_path / "cache", LintSettings(today=datetime.date(2027, 11, 10)))
    assert "SG304" in {d.code for d in stale.lint.findings}


def test_a_suppression_is_read_again_when_the_codes_it_may_name_change(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.rego").write_text('package main\nimport rego.v1\n'
                                                   'warn contains "api warned" if input.spec.metadata.name == "api"\n')
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  policy-dirs: [policies]\n")
    ignore = "# shipgen: ignore-file[main.warn] -- accepted\n"
    _specs(tmp_path / "specs", {"web.yaml": ignore + _spec("web"), "api.yaml": _spec("api")})
    named = _cold_and_cached(["specs"], tmp_path / "cache")  # main.warn is known: api's finding has it
    assert "SG093" not in {d.code for d in named.lint.findings}
    (tmp_path / "specs" / "api.yaml").write_text(_spec("apis"))  # no finding has main.warn any more
    unknown = _cold_and_cached(["specs"], tmp_path / "cache")
    assert [d.file for d in unknown.lint.findings if d.code == "SG093"] == ["specs/web.yaml"]


# ---------------------------------------------------------------------------- damage


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "forged"])
def test_a_damaged_entry_is_ignored(tmp_path, monkeypatch, damage):
    monkeypatch.chdir(ROOT)
    folder = tmp_path / "cache"
    _cold_and_cached(["examples/checkout.yaml", "examples/orders"], folder)
    entries = [path for path in folder.rglob("*") if path.is_file()]
    assert {path.parent.name for path in entries} == {"specs"} and len(entries) == 3  # two specs, the train
    for path in entries:
        data = path.read_bytes()
        if damage == "flip":
            data = data[:-3] + bytes([data[-3] ^ 0x20]) + data[-2:]
        elif damage == "truncate":
            data = data[: len(data) // 2]
        elif damage == "empty":
            data = b""
        else:  # a valid header and digest over a body that says something else
            text = data.split(b"\n", 3)[3].partition(b"\n")[0]
            body = b'{"d":[[{"t":[]},1]]}\n' if path == entries[0] else text + b"\n" + zlib.compress(b"x")
            key = path.name.encode()
            digest = build_cache._blake2b()(body, digest_size=24).hexdigest().encode()
            data = b"\n".join((build_cache.FORMAT.encode(), key, digest, body))
        path.write_bytes(data)
    _cold_and_cached(["examples/checkout.yaml", "examples/orders"], folder)
    _cold_and_cached(["examples/checkout.yaml", "examples/orders"], folder)  # the entries were written again


def test_the_codec_gives_back_equal_values_and_refuses_others():
    from shipgen.diagnostics import Diagnostic

    value = [Diagnostic("SG1", "n", "m", "f", 1, 2, "error", ("a", 0), 3, 4, "fix", {"anchor": ("f", 1)}),
             {"k": (1, [2.5, None, True])}, ()]
    assert build_cache.decode(build_cache.encode(value)) == value
    assert type(build_cache.decode(build_cache.encode(value))[0].spec_path) is tuple
    for bad in ([1, 2], {"x": 1}, {"n": ["os.system", []]}, {"n": ["Diagnostic", [1]]}, {"d": [[1]]}):
        with pytest.raises(ValueError):
            build_cache.decode(bad)


# ---------------------------------------------------------------------------- where it writes


def _everything(folder: Path) -> dict:
    return {path: (path.read_bytes() if path.is_file() else None) for path in folder.rglob("*")}


def test_nothing_is_written_outside_out_and_the_cache_and_nothing_cached_without_the_option(tmp_path, run_shipgen,
                                                                                             monkeypatch):
    monkeypatch.delenv("SHIPGEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("SHIPGEN_NO_CACHE", raising=False)
    work = tmp_path / "work"
    _specs(work / "specs", {"web.yaml": _spec("web"), "api.yaml": _spec("api")})
    before = _everything(tmp_path)
    assert run_shipgen("build", "specs", "-o", "out", cwd=work).exit_code == 0
    after = {path: data for path, data in _everything(tmp_path).items() if work / "out" not in [path, *path.parents]}
    assert after == before  # no cache without the option
    for _ in range(2):
        assert run_shipgen("build", "specs", "-o", "out2", "--cache-dir", tmp_path / "cache", cwd=work).exit_code == 0
    written = {path for path in set(_everything(tmp_path)) - set(before)
               if not ({work / "out", work / "out2", tmp_path / "cache"} & {path, *path.parents})}
    assert written == set()
    assert _tree(work / "out") == _tree(work / "out2")
    assert any((tmp_path / "cache" / "specs").iterdir())


def test_shipgen_cache_dir_turns_it_on_and_shipgen_no_cache_off(tmp_path, run_shipgen, monkeypatch):
    _specs(tmp_path / "specs", {"web.yaml": _spec("web")})
    monkeypatch.setenv("SHIPGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SHIPGEN_NO_CACHE", "1")
    assert run_shipgen("build", "specs", "-o", "out", cwd=tmp_path).exit_code == 0
    assert not (tmp_path / "cache" / "builds").exists()
    monkeypatch.delenv("SHIPGEN_NO_CACHE")
    assert run_shipgen("build", "specs", "-o", "out", cwd=tmp_path).exit_code == 0
    assert any((tmp_path / "cache" / "builds" / "specs").iterdir())


def test_a_cache_folder_inside_out_is_refused(tmp_path, run_shipgen):
    _specs(tmp_path / "specs", {"web.yaml": _spec("web")})
    result = run_shipgen("build", "specs", "-o", "out", "--cache-dir", "out/cache", cwd=tmp_path)
    assert result.exit_code == 2 and "must not contain each other" in result.output
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- the output folder


def test_edits_in_out_are_undone_as_by_a_cold_build(tmp_path, run_shipgen):
    _specs(tmp_path / "specs", {"web.yaml": _spec("web"), "api.yaml": _spec("api")})
    assert run_shipgen("build", "specs", "-o", "cold", cwd=tmp_path).exit_code == 0
    cache = tmp_path / "cache"
    assert run_shipgen("build", "specs", "-o", "out", "--cache-dir", cache, cwd=tmp_path).exit_code == 0
    out = tmp_path / "out"
    deployment = out / "production/web/kubernetes/deployment.yaml"
    edits = [lambda: deployment.write_text(deployment.read_text() + "# edited\n"),
             lambda: (out / "production/web/kubernetes/extra.yaml").write_text("x: 1\n"),
             lambda: (out / "production/api/empty").mkdir(),
             lambda: os.chmod(out / "production/api/RUNBOOK.md", 0o600),
             lambda: (out / ".shipgen-output").write_text("edited\n"),
             lambda: (out / "production/api/RUNBOOK.md").unlink(),
             lambda: shutil.rmtree(out / "production/web")]
    for edit in edits:
        edit()
        assert _tree(out) != _tree(tmp_path / "cold")
        check = run_shipgen("build", "specs", "-o", "out", "--check", cwd=tmp_path)
        cached_check = run_shipgen("build", "specs", "-o", "out", "--check", "--cache-dir", cache, cwd=tmp_path)
        assert (cached_check.exit_code, cached_check.output) == (check.exit_code, check.output)
        assert run_shipgen("build", "specs", "-o", "out", "--cache-dir", cache, cwd=tmp_path).exit_code == 0
        assert _tree(out) == _tree(tmp_path / "cold")
    os.link(out / "production/web/RUNBOOK.md", tmp_path / "linked.md")  # a file linked from elsewhere
    assert run_shipgen("build", "specs", "-o", "out", "--cache-dir", cache, cwd=tmp_path).exit_code == 0
    (tmp_path / "linked.md").write_text("edited elsewhere\n")
    assert _tree(out) == _tree(tmp_path / "cold")
    spec = tmp_path / "specs" / "api.yaml"
    spec.write_text(spec.read_text() + "strategy: {type: recreate}\n")  # SG201: the build fails
    assert run_shipgen("build", "specs", "-o", "out", "--cache-dir", cache, cwd=tmp_path).exit_code == 1
    assert _tree(out) == _tree(tmp_path / "cold")  # a failed build writes nothing


def test_a_failed_swap_puts_the_previous_output_back(tmp_path, monkeypatch):
    from shipgen import write

    files = {"a/x/one.yaml": b"1\n", "a/y/two.yaml": b"2\n", "b/z/three.sh": b"3\n"}
    out = tmp_path / "out"
    assert write.write_tree(out, files) == []
    before = _tree(out)
    renames = []
    original = os.rename

    def failing(source, target):
        renames.append(target)
        if len(renames) == 3:  # after the old tree went away and one kept folder moved
            raise OSError("disk full")
        return original(source, target)

    monkeypatch.setattr(os, "rename", failing)
    problems = write.write_tree(out, {**files, "a/y/two.yaml": b"two\n"}, reuse=True)
    assert problems and "disk full" in problems[0].message
    monkeypatch.setattr(os, "rename", original)
    assert _tree(out) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["image", "port", "remove", "restore"])),
                      min_size=1, max_size=6))
def test_any_sequence_of_edits_builds_as_without_the_cache(tmp_path_factory, edits):
    """Property: after any sequence of spec edits, the cached build equals the cold build."""
    root = tmp_path_factory.mktemp("edits")
    previous = os.getcwd()
    os.chdir(root)
    try:
        originals = {f"s{index}.yaml": _spec(f"s{index}") for index in range(4)}
        _specs(root / "specs", originals)
        for index, edit in edits:
            path = root / "specs" / f"s{index}.yaml"
            if edit == "remove":
                if path.exists() and len(list((root / "specs").iterdir())) > 1:
                    path.unlink()
            elif edit == "restore":
                path.write_text(originals[path.name])
            elif path.exists():
                text = path.read_text()
                path.write_text(text.replace("web:1.0.0", "web:1.0.1") if edit == "image"
                                else text.replace("port: 8080", "port: 8081"))
            _cold_and_cached(["specs"], root / "cache")
    finally:
        os.chdir(previous)
