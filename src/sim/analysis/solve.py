"""What would it take: the value of one input that makes P(target) equal a chosen probability.

For the target itself the answer comes from one run: the window turnover that the chosen share
of paths reaches (a second run at that target gives its P(target) as `sim run` would). For an
uncertain input the whole distribution is shifted on its natural scale
(``Distribution.shifted``) and the shift found by bracketing and bisection. Every trial uses
the same random numbers, so P(shift) is a deterministic step function of the shift — monotone
for the inputs that push trade one way (a growth rate, a baseline, an event's duration or
severity), though an input like volatility can move it either way — and the answer is the
same for a given seed. Where P jumps past the probability asked for (fixed inputs, no
volatility), the answer is the value at which it first reaches it, and the jump is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.analysis.estimate import proportion_interval
from sim.analysis.explain import Input, model_inputs, with_country, with_input
from sim.core.model import Model
from sim.core.periods import Period
from sim.defaults import DEFAULT_FISCAL_YEAR_START, DEFAULT_METHOD, Method
from sim.engine.outcomes import Outcomes
from sim.errors import SolveError

Run = Callable[[Model], Outcomes]

MAX_TRIALS = 40


@dataclass(frozen=True)
class Solution:
    country: str
    field: str  # as the file names it
    probability: float  # asked for
    achieved: float  # P(target) at the answer
    ci_low: float
    ci_high: float
    value: float  # the answer: the target, or the shifted input's median
    before: float  # the target, or the input's median, as the file has it
    shift: float  # 0 for the target; else the shift on the input's natural scale
    trials: int
    jump: tuple[float, float] | None = None  # P(target) jumps from a to b at the answer
    method: Method = DEFAULT_METHOD
    label: str = ""  # the country's label, as tables show it
    window: Period | None = None  # the 12 months whose trade is judged
    fiscal_year_start: int = DEFAULT_FISCAL_YEAR_START  # names a fiscal window


def field_path(country: str, field: str) -> str:
    """The full path of ``field``: ``growth.rate`` is the country's own, else as written."""
    if field == "target" or field.startswith(("countries.", "events.")):
        return field
    return f"countries.{country}.{field}"


def solve(model: Model, country: str, probability: float, field: str, run: Run) -> Solution:
    """The value of ``field`` that makes ``country``'s P(target) equal ``probability``."""
    ids = [c.id for c in model.countries]
    if country not in ids:
        raise SolveError(f"no country {country!r} in the scenario; it has {', '.join(ids)}")
    if not 0 < probability < 1:
        raise SolveError("the probability must be between 0 and 1 (exclusive)")
    index = ids.index(country)
    path = field_path(country, field)
    if path == "target":
        return _solve_target(model, index, probability, run)
    item = _input(model, path)
    return _solve_shift(model, index, probability, item, run)


def _input(model: Model, path: str) -> Input:
    inputs = model_inputs(model)
    for item in inputs:
        if item.path == path:
            return item
    known = ", ".join(sorted(item.path for item in inputs))
    raise SolveError(f"{path!r} is not an input of the scenario; try target or one of: {known}")


def _solve_target(model: Model, index: int, probability: float, run: Run) -> Solution:
    outcomes = run(model)
    totals = np.sort(outcomes.countries[index].window_total)[::-1]
    hits = max(1, math.ceil(probability * len(totals)))
    # The largest target at least that share of paths meets; a run at that target gives
    # P(target) exactly as `sim run` would (totals a hair below it, within the rounding
    # allowance of "at least", meet it too).
    value = float(totals[hits - 1])
    checked = run(with_country(model, index, target=value))
    met = checked.countries[index].met
    low, high = proportion_interval(met, checked.antithetic)
    country = model.countries[index]
    return Solution(
        country.id,
        "target",
        probability,
        int(np.count_nonzero(met)) / len(met),
        low,
        high,
        value,
        country.target,
        0.0,
        2,
        method=outcomes.method,
        label=country.label,
        window=country.window,
        fiscal_year_start=model.fiscal_year_start,
    )


def _solve_shift(model: Model, index: int, probability: float, item: Input, run: Run) -> Solution:
    trials: dict[float, tuple[int, int, tuple[float, float]]] = {}  # shift -> hits, paths, CI
    methods = set()

    def share(shift: float) -> float:
        if shift not in trials:
            moved = with_input(model, item, item.distribution.shifted(shift))
            outcomes = run(moved)
            methods.add(outcomes.method)
            met = outcomes.countries[index].met
            interval = proportion_interval(met, outcomes.antithetic)
            trials[shift] = (int(np.count_nonzero(met)), len(met), interval)
        hits, paths, _ = trials[shift]
        return hits / paths

    low, high = _bracket(share, probability, item.path)
    # Keep one end that reaches the probability and one that does not, and close in.
    meets, misses = (high, low) if share(high) >= probability else (low, high)
    answer, jump = meets, None
    for _ in range(MAX_TRIALS):
        middle = (meets + misses) / 2
        achieved = share(middle)
        paths = trials[middle][1]
        if abs(achieved - probability) <= 0.5 * math.sqrt(probability * (1 - probability) / paths):
            answer = middle
            break
        if achieved >= probability:
            meets = middle
        else:
            misses = middle
        answer = meets
        if abs(meets - misses) < 1e-9:  # P(target) jumps here: no value gives it exactly
            jump = (share(misses), share(meets))
            break
    hits, paths, (ci_low, ci_high) = trials[answer]
    (method,) = methods
    country = model.countries[index]
    return Solution(
        country.id,
        item.path,
        probability,
        hits / paths,
        ci_low,
        ci_high,
        item.distribution.shifted(answer).median(),
        item.distribution.median(),
        answer,
        len(trials),
        jump,
        method,
        country.label,
        country.window,
        model.fiscal_year_start,
    )


def _bracket(share: Callable[[float], float], probability: float, path: str) -> tuple[float, float]:
    """Shifts on either side of the one that gives ``probability``."""
    for width in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0):
        below, above = share(-width), share(width)
        if min(below, above) <= probability <= max(below, above):
            return -width, width
    raise SolveError(
        f"no shift of {path} reaches P(target) = {probability:.4g}: over the widest shifts tried "
        f"it stays between {min(below, above):.4g} and {max(below, above):.4g}"
    )
