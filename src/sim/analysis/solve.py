"""What would it take: the value of one input that makes P(target) equal a chosen probability.

For the target itself the answer comes from one run: the window turnover that the chosen share
of paths reaches (a second run at that target gives its P(target) as `sim run` would). For an
uncertain input the whole distribution is shifted on its natural scale
(``Distribution.shifted``) until P(target) is as asked. Every trial uses the same random
numbers, so P(shift) is a deterministic step function of the shift — monotone for the inputs
that push trade one way (a growth rate, a baseline, an event's duration or severity), though
an input like volatility can move it either way — and the answer is the same for a given seed.

The root is sought on the probit scale, z(shift) = Φ⁻¹((hits + ½)/(paths + 1)): when the
input is normal on its natural scale and the rest of the model adds about normal noise,
P(shift) = Φ(a + b·shift), so z is a straight line and secant steps land almost on the root
(the ½ keeps z finite when no path, or every path, meets the target). From the file as
written, a step (or, with a slope known, a secant step) and secant steps — growing
geometrically where P is flat — until two trials straddle the probability; then the secant
through the two trials nearest it while that falls inside the bracket, else an Illinois step
(regula falsi that halves the weight of an end kept twice), with a bisection when four
steps have not halved the bracket. A long run first searches on its first whole chunks of paths, the
*scout* (the same draws, about a sixteenth of them), so that its full-length trials start
beside the answer with the curve's slope known: two passes over all the paths, typically,
against 9 to 17 runs for the bracketing and bisection this replaced. Given ``passes``, the
first pass tries the scout's root and a shift to either side of it at once (replayed on the
same paths: ``sim.engine.replay``), where the long run's root mostly lies.

The answer is a trial whose P(target) is within half a standard error of the probability
(the standard error at the effective paths of antithetic pairs, and never finer than one
path's share), or, where P jumps past it (many paths cross at once: fixed inputs, no
volatility), the value at which it first reaches it, with the jump reported.

Its Monte Carlo precision (``value_low``, ``value_high``) inverts P's 95% interval through
the paired curve. The paths are common to every trial, so near the answer the estimated
curve is the true one moved up or down by the estimate's error: the true root lies where the
estimated curve crosses P's interval mirrored about p. The curve is read there as a straight
line on the probit scale through the answer, with the slope of a secant to the nearest trial
of the same paths that at least ``MIN_SWITCHED`` paths tell apart (the paths a secant counts
are its noise: 100 give a slope within about 10%; the scout's curve stands in when the long
run has none). To first order this is the delta method, shift ± 1.96·se/slope, but it keeps
the asymmetry of P's (Wilson) interval and is centred on the root the curve gives rather
than on the trial; and, unlike inverting P's interval by more trials at its two ends, it
costs no run. For the target the sorted window totals are the paired curve itself, known at
every path, so the interval is read from them exactly. tests/test_solve_fast.py checks the
coverage against a closed form. It is Monte Carlo precision only, not uncertainty about the
world.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import pairwise
from statistics import NormalDist

import numpy as np

from sim.analysis.estimate import effective_paths, proportion_interval
from sim.analysis.explain import Input, input_change, model_inputs, with_country, with_input
from sim.core.model import Model
from sim.core.periods import Period
from sim.defaults import DEFAULT_FISCAL_YEAR_START, DEFAULT_METHOD, Method
from sim.engine.outcomes import Outcomes
from sim.engine.replay import Change
from sim.engine.streams import CHUNK
from sim.errors import SolveError

_NORMAL = NormalDist()  # the probit of a scalar share: no need to import scipy.special


def ndtri(share: float) -> float:
    """Φ⁻¹(share), the standard normal quantile (0 < share < 1)."""
    return _NORMAL.inv_cdf(share)


Run = Callable[[Model], Outcomes]
# One pass over all the paths: a run of the model, and per change, per country, which paths
# meet the target in its variant (``sim.engine.replay.replay``)
Pass = Callable[[Model, list[Change]], tuple[Outcomes, list[list[np.ndarray]]]]

MAX_TRIALS = 40  # on one set of paths
EXPECTED_RUNS = 3  # full-length runs a solve usually costs, scout included (progress, estimates)
FIRST_STEP = 0.25  # the second trial's distance from the first on the natural scale, untold
WIDEST = 16.0  # no shift beyond this on the natural scale (a factor of e¹⁶ ≈ 9·10⁶)
GROWTH = 8.0  # a secant step is at most this many times the distance between its trials
SCOUT_SHARE = 16  # the scout runs about 1/16 of the paths ...
SCOUT_FEWEST = 4  # ... and only when the run has at least 4 times the scout's paths
MIN_SWITCHED = 100  # paths a slope's secant must tell apart (its error is about 1/√this)
INSURANCE = 2.0  # the long run's first pass tries shifts this many scout errors to each side
JUMP = 1e-9  # shifts closer than this are the same: P jumps between them


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
    trials: int  # passes over all the paths: runs, or a pass of several shifts
    jump: tuple[float, float] | None = None  # P(target) jumps from a to b at the answer
    method: Method = DEFAULT_METHOD
    label: str = ""  # the country's label, as tables show it
    window: Period | None = None  # the 12 months whose trade is judged
    fiscal_year_start: int = DEFAULT_FISCAL_YEAR_START  # names a fiscal window
    # The answer's 95% Monte Carlo precision (None: P does not move with the input)
    value_low: float | None = None
    value_high: float | None = None
    shift_low: float | None = None
    shift_high: float | None = None
    scout_trials: int = 0  # runs of the scout's paths, the first ``scout_paths`` of the run
    scout_paths: int = 0
    paths: int = 0  # of each full run, and its seed: what produced the answer
    seed: int = 0
    sha256: str = ""  # of the scenario file's text


def field_path(country: str, field: str) -> str:
    """The full path of ``field``: ``growth.rate`` is the country's own, else as written."""
    if field == "target" or field.startswith(("countries.", "events.")):
        return field
    return f"countries.{country}.{field}"


def scout_paths(paths: int) -> int | None:
    """The paths the scout runs before a solve of ``paths`` paths: whole chunks (so they are
    the run's first paths, drawn alike), or None when the run is too short to gain by it."""
    scout = CHUNK * max(1, round(paths / SCOUT_SHARE / CHUNK))
    return scout if SCOUT_FEWEST * scout <= paths else None


def solve(
    model: Model,
    country: str,
    probability: float,
    field: str,
    run: Run,
    scout: Run | None = None,
    passes: Pass | None = None,
) -> Solution:
    """The value of ``field`` that makes ``country``'s P(target) equal ``probability``.

    ``run`` simulates all the paths; ``scout``, when given, the first few of them (see
    ``scout_paths``) with the same seed, to find the neighbourhood of the answer cheaply;
    ``passes``, when given, works out several shifts in one pass over all the paths (the
    long run's first pass then tries the scout's root and a shift to either side of it)."""
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
    return _solve_shift(model, index, probability, item, run, scout, passes)


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
    paths = len(totals)
    hits = max(1, math.ceil(probability * paths))
    # The largest target at least that share of paths meets; a run at that target gives
    # P(target) exactly as `sim run` would (totals a hair below it, within the rounding
    # allowance of "at least", meet it too).
    value = float(totals[hits - 1])
    checked = run(with_country(model, index, target=value))
    met = checked.countries[index].met
    achieved = int(np.count_nonzero(met)) / len(met)
    low, high = proportion_interval(met, checked.antithetic)

    # The sorted totals are the paired curve P(target) against the target, known at every
    # path: the targets whose share is P's interval mirrored about p bound the answer.
    def target_at(share: float) -> float:
        return float(totals[min(paths, max(1, math.ceil(share * paths))) - 1])

    country = model.countries[index]
    return Solution(
        country.id,
        "target",
        probability,
        achieved,
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
        value_low=min(value, target_at(probability + (achieved - low))),
        value_high=max(value, target_at(probability - (high - achieved))),
        shift_low=0.0,
        shift_high=0.0,
    )


# --- shifting an input ---------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    """P(target) at one shift, on one set of paths."""

    shift: float
    hits: int
    paths: int
    effective: float  # the independent paths the estimate is worth (antithetic pairs)
    interval: tuple[float, float]  # its 95% Monte Carlo interval

    @property
    def share(self) -> float:
        return self.hits / self.paths

    @property
    def z(self) -> float:
        return probit(self.share, self.paths)


def probit(share: float, paths: int) -> float:
    """Φ⁻¹ of a share of ``paths``, kept finite: (hits + ½)/(paths + 1)."""
    return float(ndtri((share * paths + 0.5) / (paths + 1)))


@dataclass
class Curve:
    """P(target) against the shift of one input, on one set of paths (common random
    numbers): the trials run so far. With ``passes``, ``several`` works out several shifts
    in one pass over the paths."""

    model: Model
    country: int
    item: Input
    run: Run
    passes: Pass | None = None
    trials: dict[float, Trial] = field(default_factory=dict)
    methods: set[Method] = field(default_factory=set)
    sweeps: int = 0  # passes over the paths so far: runs, or passes of several trials

    def __call__(self, shift: float) -> Trial:
        if shift not in self.trials:
            outcomes = self.run(self._moved(shift))
            self.sweeps += 1
            self._add(shift, outcomes.countries[self.country].met, outcomes)
        return self.trials[shift]

    def several(self, shifts: list[float]) -> list[Trial]:
        """The trials at ``shifts``: those not yet run in one pass over the paths, a run at
        the first and the others replayed on its paths (``sim.engine.replay``: each the
        flags a run of its own gives), or one run each without ``passes``."""
        new = [shift for shift in dict.fromkeys(shifts) if shift not in self.trials]
        if self.passes is None or len(new) < 2:
            return [self(shift) for shift in shifts]
        first, *others = new
        scope = input_change(self.model, self.item)
        changes = [replace(scope, model=self._moved(shift)) for shift in others]
        outcomes, flags = self.passes(self._moved(first), changes)
        self.sweeps += 1
        self._add(first, outcomes.countries[self.country].met, outcomes)
        for shift, met in zip(others, flags, strict=True):
            self._add(shift, met[self.country], outcomes)
        return [self.trials[shift] for shift in shifts]

    def _moved(self, shift: float) -> Model:
        return with_input(self.model, self.item, self.item.distribution.shifted(shift))

    def _add(self, shift: float, met: np.ndarray, outcomes: Outcomes) -> None:
        self.methods.add(outcomes.method)
        self.trials[shift] = Trial(
            shift,
            int(np.count_nonzero(met)),
            len(met),
            effective_paths(met, outcomes.antithetic),
            proportion_interval(met, outcomes.antithetic),
        )


@dataclass(frozen=True)
class Found:
    """Where a search stopped: a trial close enough, or the two sides of a jump."""

    answer: Trial
    below: Trial | None = None  # with a jump: the trial just short of it


Close = Callable[[Trial], bool]


@dataclass(frozen=True)
class Lead:
    """Where the long run's search starts: its first shifts, the slope dz/dshift to step
    with from the first (None: unknown) and the size of a step."""

    first: tuple[float, ...] = (0.0,)
    slope: float | None = None
    step: float = FIRST_STEP
    answer: Trial | None = None  # the scout's


def _solve_shift(
    model: Model,
    index: int,
    probability: float,
    item: Input,
    run: Run,
    scout: Run | None,
    passes: Pass | None = None,
) -> Solution:
    def close(trial: Trial) -> bool:
        """Within half a standard error of the probability, or one path's share."""
        se = math.sqrt(probability * (1 - probability) / trial.effective)
        return abs(trial.share - probability) <= max(se / 2, 1 / trial.paths)

    lead = Lead()
    scouted = None if scout is None else Curve(model, index, item, scout)
    if scouted is not None:
        lead = _scout(scouted, probability, close)
    curve = Curve(model, index, item, run, passes)
    if passes is not None and lead.slope and lead.answer is not None and len(lead.first) == 1:
        found = _insured(curve, probability, close, lead)
    else:
        found = _search(curve, probability, close, lead.first, lead.slope, lead.step)
    answer = found.answer
    if found.below is not None:
        bounds: tuple[float, float] | None = (
            min(found.below.shift, answer.shift),
            max(found.below.shift, answer.shift),
        )
    else:
        bounds = _precision(curve, answer, probability, scouted, lead)
    (method,) = curve.methods
    country = model.countries[index]
    distribution = item.distribution
    return Solution(
        country.id,
        item.path,
        probability,
        answer.share,
        *answer.interval,
        distribution.shifted(answer.shift).median(),
        distribution.median(),
        answer.shift,
        curve.sweeps,
        None if found.below is None else (found.below.share, answer.share),
        method,
        country.label,
        country.window,
        model.fiscal_year_start,
        value_low=None if bounds is None else distribution.shifted(bounds[0]).median(),
        value_high=None if bounds is None else distribution.shifted(bounds[1]).median(),
        shift_low=None if bounds is None else bounds[0],
        shift_high=None if bounds is None else bounds[1],
        scout_trials=0 if scouted is None else scouted.sweeps,
        scout_paths=0 if lead.answer is None else lead.answer.paths,
    )


def _scout(scouted: Curve, probability: float, close: Close) -> Lead:
    """The scout's search, and where it leaves the long run: at the root its curve gives
    (the secant from its answer), with its slope — or at both sides of a jump."""
    seen = _search(scouted, probability, close, (0.0,), None, FIRST_STEP)
    answer = seen.answer
    if seen.below is not None:
        return Lead((answer.shift, seen.below.shift), None, FIRST_STEP, answer)
    other = _partner(scouted, answer)
    if other is None:
        return Lead((answer.shift,), None, FIRST_STEP, answer)
    apart = answer.shift - other.shift
    slope = (answer.z - other.z) / apart
    moved = (float(ndtri(probability)) - answer.z) / slope
    start = _clamp(answer.shift + math.copysign(min(abs(moved), GROWTH * abs(apart)), moved))
    return Lead((start,), slope, max(abs(apart) / 2, JUMP), answer)


def _insured(curve: Curve, probability: float, close: Close, lead: Lead) -> Found:
    """The long run's search from the scout's root, its first pass trying that root and a
    shift to either side, ``INSURANCE`` of the scout's standard errors away on the scout's
    slope: the long run's root, which the scout finds only to its own precision, then
    mostly lies between two of them, where one secant step closes in."""
    (start,) = lead.first
    assert lead.answer is not None and lead.slope
    scout = lead.answer
    se = math.sqrt(probability * (1 - probability) / scout.effective)
    spread = INSURANCE * se / _NORMAL.pdf(_NORMAL.inv_cdf(probability)) / abs(lead.slope)
    spread = max(spread, JUMP)
    tried = curve.several([start, _clamp(start - spread), _clamp(start + spread)])
    near = [trial for trial in tried if close(trial)]
    if near:
        return Found(min(near, key=lambda trial: abs(trial.share - probability)))
    return _search(curve, probability, close, (), None, lead.step)


def _precision(
    curve: Curve, answer: Trial, probability: float, scouted: Curve | None, lead: Lead
) -> tuple[float, float] | None:
    """The shifts between which the true root lies at 95%; None when P does not move.

    The slope is the long run's own secant where at least ``MIN_SWITCHED`` paths tell its
    ends apart, else whichever of it and the scout's tells more paths apart (the two curves
    have one shape: the same input moves the same kind of paths)."""
    secants = [_slope(curve, answer)]
    if scouted is not None and lead.answer is not None:
        secants.append(_slope(scouted, lead.answer))
    if not any(secants):  # the answer came first: one more trial gives the curve's slope
        curve(_clamp(answer.shift + lead.step))
        secants = [_slope(curve, answer)]
    known = [s for s in secants if s is not None]
    best = max(known, key=lambda s: s[1], default=None)
    if known and known[0][1] >= MIN_SWITCHED:
        best = known[0]
    return None if best is None else _bounds(answer, probability, best[0])


def _search(
    curve: Curve,
    probability: float,
    close: Close,
    first: tuple[float, ...],
    slope: float | None,
    step: float,
) -> Found:
    """Trials from the shifts ``first`` (then, with a known ``slope``, the secant from the
    first of them) until one is ``close`` to ``probability`` or two straddle it, then Illinois
    steps between the nearest two that straddle it."""
    goal = float(ndtri(probability))
    for shift in first:
        trial = curve(shift)
        if close(trial):
            return Found(trial)
    if len(first) == 1:
        trial = curve(first[0])
        moved = (goal - trial.z) / slope if slope else step
        moved = math.copysign(min(max(abs(moved), JUMP), GROWTH * step), moved)
        nearer = curve(_clamp(trial.shift + moved))
        if close(nearer):
            return Found(nearer)
    while (pair := _straddle(curve, probability)) is None:
        wider = _outward(curve, goal, step)
        if wider is None or len(curve.trials) >= MAX_TRIALS:
            shares = [t.share for t in curve.trials.values()]
            shifts = sorted(curve.trials)
            raise SolveError(
                f"no shift of {curve.item.path} reaches P(target) = {probability:.4g}: over the "
                f"shifts tried ({shifts[0]:+.4g} to {shifts[-1]:+.4g} on its natural scale) it "
                f"stays between {min(shares):.4g} and {max(shares):.4g}"
            )
        trial = curve(wider)
        if close(trial):
            return Found(trial)
    return _illinois(curve, probability, close, *pair)


def _clamp(shift: float) -> float:
    return min(WIDEST, max(-WIDEST, shift))


def _straddle(curve: Curve, probability: float) -> tuple[Trial, Trial] | None:
    """Two trials next to each other in shift, one that meets the probability and one that
    does not — the pair around the trial nearest to it — or None."""
    trials = [curve.trials[s] for s in sorted(curve.trials)]
    pairs = [
        (a, b) for a, b in pairwise(trials) if (a.share >= probability) != (b.share >= probability)
    ]
    if not pairs:
        return None
    a, b = min(pairs, key=lambda p: min(abs(t.share - probability) for t in p))
    return (a, b) if a.share >= probability else (b, a)


def _outward(curve: Curve, goal: float, step: float) -> float | None:
    """The next shift to try when no two trials straddle the probability: the secant through
    the two trials nearest to it (on the probit scale) where they differ, going at most
    ``GROWTH`` times as far as they are apart; else, where P is flat, geometrically wider on
    the side tried less. None when that lies beyond the widest shift already tried."""
    shifts = sorted(curve.trials)
    shift = _secant(curve, goal, GROWTH)
    if shift is not None and not shifts[0] <= shift <= shifts[-1]:
        return shift
    # Flat (or a secant that turns back): widen around the first trial, on the side explored
    # less, twice as far as any trial yet.
    origin = next(iter(curve.trials))
    left, right = origin - shifts[0], shifts[-1] - origin
    width = 2 * max(left, right, step / 2)
    sides = [origin - width, origin + width] if right > left else [origin + width, origin - width]
    return next((s for s in map(_clamp, sides) if s not in curve.trials), None)


def _secant(curve: Curve, goal: float, growth: float = math.inf) -> float | None:
    """Where the secant through the two trials nearest ``goal`` (on the probit scale) reaches
    it, going at most ``growth`` times as far from the nearer as they are apart; None when
    no two trials differ."""
    trials = sorted(curve.trials.values(), key=lambda t: abs(t.z - goal))
    best = trials[0]
    other = next((t for t in trials[1:] if t.z != best.z), None)
    if other is None:
        return None
    apart = best.shift - other.shift
    moved = (goal - best.z) * apart / (best.z - other.z)
    return _clamp(best.shift + math.copysign(min(abs(moved), growth * abs(apart)), moved))


def _illinois(curve: Curve, probability: float, close: Close, meets: Trial, misses: Trial) -> Found:
    """Illinois steps between a trial that meets the probability and one that does not."""
    goal = float(ndtri(probability))
    tiny = 1e-12  # keeps each end on its side when the ½ in the probit blurs it
    f_meets, f_misses = max(meets.z - goal, tiny), min(misses.z - goal, -tiny)
    replaced = ""
    widths = [abs(meets.shift - misses.shift)]
    while len(curve.trials) < MAX_TRIALS:
        width = abs(meets.shift - misses.shift)
        if width < JUMP:  # P(target) jumps here: no value gives it exactly
            return Found(meets, misses)
        # the secant through the two trials nearest the probability where it falls inside the
        # bracket (it closes in faster near the root), else the Illinois point
        shift = _secant(curve, goal)
        low, high = sorted((meets.shift, misses.shift))
        if shift is None or not low < shift < high:
            shift = meets.shift - f_meets * (meets.shift - misses.shift) / (f_meets - f_misses)
        inside = min(abs(shift - meets.shift), abs(shift - misses.shift))
        # bisect when the steps stall: the bracket did not halve over the last four (Illinois
        # alone closes in from both sides, but a step function can hold it), or the point is
        # lost in rounding at an end
        if (len(widths) >= 5 and widths[-1] > widths[-5] / 2) or inside < width * 1e-6:
            shift = (meets.shift + misses.shift) / 2
        trial = curve(shift)
        if close(trial):
            return Found(trial)
        if trial.share >= probability:
            meets, f_meets = trial, max(trial.z - goal, tiny)
            if replaced == "meets":
                f_misses /= 2
            replaced = "meets"
        else:
            misses, f_misses = trial, min(trial.z - goal, -tiny)
            if replaced == "misses":
                f_meets /= 2
            replaced = "misses"
        widths.append(abs(meets.shift - misses.shift))
    return Found(meets)


def _slope(curve: Curve, answer: Trial) -> tuple[float, int] | None:
    """dz/dshift at ``answer`` (see ``_partner``) and how many paths its secant tells apart;
    None when no trial differs from it."""
    other = _partner(curve, answer)
    if other is None:
        return None
    return (answer.z - other.z) / (answer.shift - other.shift), abs(answer.hits - other.hits)


def _partner(curve: Curve, answer: Trial) -> Trial | None:
    """The trial whose secant to ``answer`` gives the slope there: the nearest at least
    ``MIN_SWITCHED`` paths away from it, else the one most paths away."""
    others = [t for t in curve.trials.values() if t.hits != answer.hits]
    if not others:
        return None
    enough = [t for t in others if abs(t.hits - answer.hits) >= MIN_SWITCHED]
    if enough:
        return min(enough, key=lambda t: abs(t.shift - answer.shift))
    return max(others, key=lambda t: abs(t.hits - answer.hits))


def _bounds(answer: Trial, probability: float, slope: float) -> tuple[float, float]:
    """The shifts between which the true root lies at 95% (see the module's docstring)."""
    low, high = answer.interval
    levels = (probability - (high - answer.share), probability + (answer.share - low))
    shifts = [
        answer.shift + (probit(min(1.0, max(0.0, level)), answer.paths) - answer.z) / slope
        for level in levels
    ]
    return min(shifts), max(shifts)
