"""The AWS golden examples: each platform and style is there, and the oracle accepts them
(cfn-lint with zero errors, the AppSpec schema, botocore for task definitions, shellcheck)."""

from __future__ import annotations


import pytest

from conftest import ROOT
import oracle_support

GOLDEN = {  # release folder -> files that show the platform and style
    "production/payments-api": ("aws/cloudformation.yaml", "aws/appspec.yaml", "aws/taskdef.json", "aws/deploy.sh"),
    "production/catalog-edge": ("aws/cloudformation.yaml", "aws/appspec.yaml", "aws/taskdef.json"),
    "production/notifications": ("aws/cloudformation.yaml", "aws/deploy.sh"),
    "production/thumbnails": ("aws/template.yaml", "aws/deploy.sh"),
    "production/webhooks": ("aws/cloudformation.yaml", "aws/appspec.yaml", "aws/deploy.sh"),
    "production/ledger-batch": ("aws/bundle/appspec.yml", "aws/bundle/scripts/validate-service.sh",
                                "aws/cloudformation.yaml"),
    "production/reports": ("aws/bundle/appspec.yml", "aws/deployment-group.sh", "aws/cloudformation.yaml"),
}


def test_every_aws_golden_example_is_there():
    for folder, files in GOLDEN.items():
        for name in files:
            assert (ROOT / "golden" / folder / name).is_file(), f"{folder}/{name}"


@pytest.mark.skipif(oracle_support.SKIP, reason=oracle_support.SKIP_REASON)
def test_the_oracle_accepts_the_aws_golden_output():
    result = oracle_support.oracle_check([ROOT / "golden" / folder for folder in GOLDEN])
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout + result.stderr
