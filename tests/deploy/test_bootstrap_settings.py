"""`make bootstrap` without a region or credentials: one line saying what to set, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.stages import PROJECT


def run_bootstrap(home: Path, **aws: str) -> subprocess.CompletedProcess[str]:
    # Nothing of the caller's AWS setup: no AWS_* variables, and a HOME without ~/.aws.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", **aws}
    return subprocess.run([sys.executable, "-m", "deploy.bootstrap", "--stage", "dev"], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_no_region_says_to_set_one(tmp_path: Path) -> None:
    line = assert_one_line_refusal(run_bootstrap(tmp_path))
    assert "AWS_REGION" in line and "AWS_DEFAULT_REGION" in line


@pytest.mark.parametrize("region", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_no_credentials_says_how_to_give_them(tmp_path: Path, region: str) -> None:
    line = assert_one_line_refusal(run_bootstrap(tmp_path, **{region: "eu-west-1"}))
    assert "credentials" in line and "AWS_PROFILE" in line and "AWS_ACCESS_KEY_ID" in line


def test_a_profile_that_does_not_exist_is_one_line_too(tmp_path: Path) -> None:
    line = assert_one_line_refusal(run_bootstrap(tmp_path, AWS_REGION="eu-west-1", AWS_PROFILE="nowhere"))
    assert "nowhere" in line and "AWS_PROFILE" in line
