"""Fixtures of the job tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.glue.job_runs import day_folder

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture
def landing(tmp_path) -> Path:
    """A landing folder with the sample airports file and an empty folder for job_runs.DAY."""
    root = tmp_path / "landing"
    (root / "dim").mkdir(parents=True)
    shutil.copy(SAMPLE / "dim" / "airports.csv", root / "dim" / "airports.csv")
    day_folder(root).mkdir(parents=True)
    return root
