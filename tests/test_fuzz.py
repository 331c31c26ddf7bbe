"""Fuzzing the loader: every input is a valid scenario or the project's own ScenarioError.

A bounded number of examples run in CI; set SIM_FUZZ_EXAMPLES for more, e.g.
``SIM_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.summarise import summarise
from sim.engine.run import simulate
from sim.errors import ScenarioError
from sim.scenario.compile import compile_scenario
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario

EXAMPLES = int(os.environ.get("SIM_FUZZ_EXAMPLES", "300"))
SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["20% to 60%", "2025-10", "2027-28", "0 to 1", "-100%", "yes", "1_000"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)


def outcome_of(path: Path) -> Scenario | None:
    """Load; a ScenarioError is an acceptable answer, any other exception fails the test."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        assert error.problems and all(str(p).startswith(str(path)) for p in error.problems)
        assert all("\n" not in str(p) for p in error.problems)
        return None
    return scenario


@FUZZ
@given(text=st.text(max_size=400))
def test_random_text(tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    outcome_of(path)


@FUZZ
@given(document=documents)
def test_random_yaml_documents(tmp_path, document):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    outcome_of(path)


def _locations(data, here=()):
    yield here
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _locations(value, (*here, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _locations(value, (*here, i))


@st.composite
def mutated_scenarios(draw):
    data = yaml.safe_load(draw(st.sampled_from(SCENARIOS)).read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        locations = [loc for loc in _locations(data) if loc]
        location = draw(st.sampled_from(locations))
        parent = data
        for part in location[:-1]:
            parent = parent[part]
        key = location[-1]
        operation = draw(st.sampled_from(["delete", "replace", "rename"]))
        if operation == "delete":
            del parent[key]
        elif operation == "replace":
            parent[key] = draw(documents)
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = parent.pop(key)
    return data


@FUZZ
@given(data=mutated_scenarios())
def test_mutated_scenarios_load_or_fail_cleanly_and_run(tmp_path, data):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    scenario = outcome_of(path)
    if scenario is not None:  # what validates must also simulate
        model = compile_scenario(scenario)
        results = summarise(simulate(model, 50, 0), str(path)).results
        assert all(0 <= r.probability <= 1 for r in results)
