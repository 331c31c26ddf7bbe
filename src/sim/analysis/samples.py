"""Per-path samples: every drawn uncertain input, named by its field path, beside each path's
outcome, for scatter plots and one's own sensitivity analysis.

Inputs are not stored during a run: each is a pure function of the seed, the chunk and the
component's stream (``sim.engine.streams``), so they are drawn again here, chunk by chunk,
exactly as the run drew them.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.explain import COUNTRY_FIELDS
from sim.core.model import Model
from sim.engine.events import draw_onsets, event_stream, path_parameter
from sim.engine.outcomes import Outcomes
from sim.engine.rules import Draws
from sim.engine.streams import CHUNK


def path_inputs(model: Model, outcomes: Outcomes) -> dict[str, np.ndarray]:
    """Each uncertain per-path input of ``model`` as drawn in ``outcomes``' run, by field path;
    per event, the number of onsets of each path over the horizon."""
    paths, seed, antithetic = outcomes.paths, outcomes.seed, outcomes.antithetic
    columns: dict[str, np.ndarray] = {}
    for start in range(0, paths, CHUNK):
        chunk, valid = start // CHUNK, min(CHUNK, paths - start)
        draws = Draws(seed, chunk, antithetic, model.correlation)  # correlated growth too
        for country in model.countries:
            for name, field in COUNTRY_FIELDS.items():
                distribution = getattr(country, name, None)
                if distribution is None or distribution.is_fixed:
                    continue
                key = f"countries.{country.id}.{field}"
                column = columns.setdefault(key, np.empty(paths))
                column[start : start + valid] = draws.values(country, name)[:valid]
        for event in model.events:
            drawn_name = "rate" if event.rate is not None else "probability"
            distribution = getattr(event, drawn_name)
            if not distribution.is_fixed:
                rng = event_stream(event, seed, chunk)
                column = columns.setdefault(f"events.{event.name}.{drawn_name}", np.empty(paths))
                column[start : start + valid] = path_parameter(event, rng, CHUNK, antithetic)[
                    :valid
                ]
            onsets = draw_onsets(
                event, seed, chunk, CHUNK, model.months, antithetic, model.grid_start
            )
            counts = np.bincount(onsets.path, minlength=CHUNK)[:valid]
            column = columns.setdefault(f"events.{event.name}.onsets", np.empty(paths, np.int32))
            column[start : start + valid] = counts
    return columns


def first_year_reached(model: Model, outcomes: Outcomes, index: int) -> np.ndarray:
    """Per path, the calendar year whose deadline-month window first met the country's target
    (0 when none did up to the horizon); needs a run that kept its yearly windows."""
    country, outcome = model.countries[index], outcomes.countries[index]
    if outcome.yearly is None:
        raise ValueError("the run did not keep its yearly windows")
    met = outcome.yearly >= country.threshold
    years = np.array([(model.grid_start + end) // 12 for end in country.year_ends])
    first = np.argmax(met, axis=0)
    return np.where(met.any(axis=0), years[first], 0)
