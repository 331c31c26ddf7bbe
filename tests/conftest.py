"""Shared helpers: writing scenario files and running them through the engine."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from sim.core.model import Model
from sim.engine.outcomes import Outcomes
from sim.engine.run import simulate
from sim.scenario.compile import compile_scenario
from sim.scenario.load import load_scenario

VALID = """\
name: ok
countries:
  kz:
    baseline: {value: 90, period: 2025-01/2025-07}
    target: {value: 1000, by: 2028}
    growth: {rate: 40% to 120%}
"""


def write(folder: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def model_of(folder: Path, text: str) -> Model:
    return compile_scenario(load_scenario(write(folder, text)))


def run(folder: Path, text: str, paths: int = 20_000, seed: int = 1) -> Outcomes:
    return simulate(model_of(folder, text), paths, seed)


@pytest.fixture
def scenario_file(tmp_path: Path):
    """``scenario_file(text)`` writes a dedented scenario into tmp_path and returns its path."""

    def make(text: str, name: str = "scenario.yaml") -> Path:
        return write(tmp_path, text, name)

    return make


# Outputs record when they were made, to the minute; a fixed date (the reproducible-builds
# convention that sim follows) keeps outputs of one test comparable across a minute's turn.
# test_provenance checks the date without it.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1796083200")  # 2026-12-01 00:00 UTC
