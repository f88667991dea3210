"""Where the data files shipped with shipgen live: schemas, templates, policies.

An installed wheel carries them inside the package (`shipgen/data/...`, put there by the
build backend); a source checkout keeps them at the repository's top level.
"""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `schemas`, `templates` or `policies`, wherever this copy of shipgen keeps it."""
    installed = _PACKAGE_DIR / "data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent.parent / name


def release_schema_path() -> Path:
    return data_dir("schemas") / "release-v1alpha1.schema.json"
