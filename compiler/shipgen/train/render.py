"""The train's artifacts, paths relative to OUT: RELEASE-TRAIN.md, the GitHub Actions workflow
and the GitLab CI pipeline."""

from __future__ import annotations

from ..artifacts import MARKDOWN, YAML, Artifact
from .gitlab import gitlab_ci
from .plan import Train
from .report import markdown
from .workflow import workflow


def train_artifacts(train: Train) -> list:
    """RELEASE-TRAIN.md, the GitHub Actions workflow and the GitLab CI pipeline (paths relative to OUT)."""
    return [Artifact("RELEASE-TRAIN.md", markdown(train), MARKDOWN),
            Artifact(".github/workflows/release-train.yaml", workflow(train), YAML),
            Artifact(".gitlab-ci.yml", gitlab_ci(train), YAML)]
