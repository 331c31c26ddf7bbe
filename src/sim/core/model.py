"""A compiled model: months as grid indices, arrays and distributions; no pydantic.

Every month is placed on one grid that starts at the earliest first simulated month of any
country (SPEC "Model semantics" 5) and ends at the horizon. Downstream code works in grid
indices: ``0`` is the grid's first month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.core.correlation import Correlation
from sim.core.distributions import Distribution
from sim.core.effects import BY_NAME
from sim.core.periods import Period

TARGET_ROUNDING = 1e-9  # far above double rounding over a horizon, far below a meaningful gap


class HistoryPoint(NamedTuple):
    """Trade observed over months ``first`` to ``last`` (absolute month indices of
    ``sim.core.periods``, not grid indices), in the file's unit."""

    first: int
    last: int
    value: float


@dataclass(frozen=True)
class CountryModel:
    """One country, with months as grid indices (negative for months before the grid)."""

    id: str
    label: str
    baseline: Distribution
    baseline_months: int
    midpoint: float  # grid index of the baseline period's midpoint
    first_simulated: int  # grid index of the month after the baseline period
    rate: Distribution
    volatility: Distribution
    noise: Distribution
    target: float
    window: Period  # the 12-month target window (absolute months)
    window_end: int  # grid index of the window's last month
    year_ends: tuple[int, ...]  # grid indices ending the yearly windows, first simulated year on
    route_shares: tuple[tuple[int, float], ...]  # (route index, share); empty: no routes
    baseline_source: str | None
    target_source: str | None
    # mean reversion (docs/model.md "Trend"): both or neither; None: the trend grows at `rate`
    long_run: Distribution | None = None  # growth rate the trend's growth decays toward
    half_life: Distribution | None = None  # years for the gap to long_run to halve
    # the judging history series, points dated after as_of left out (absolute months)
    history: tuple[HistoryPoint, ...] = ()
    statistic: str | None = None  # the name of the history series that judges the target
    # the share of open-road trade the baseline months saw under seasonal closures: the trend
    # starts from the observed run-rate divided by it (docs/model.md, rule 1)
    open_share: float = 1.0
    fitted: bool = False  # growth fitted from the history (the file gives none)

    @property
    def mean_reverting(self) -> bool:
        return self.long_run is not None

    def observed_months(self, window_end: int) -> int:
        """Months of the 12 ending at grid month ``window_end`` that are observed, not
        simulated: they count at the run-rate (SPEC 8)."""
        return max(0, min(12, self.first_simulated - (window_end - 11)))

    @property
    def simulated_window(self) -> slice:
        """The grid months of the target window that are simulated (not observed)."""
        return slice(max(self.window_end - 11, self.first_simulated), self.window_end + 1)

    @property
    def observed_in_window(self) -> int:
        return self.observed_months(self.window_end)

    @property
    def threshold(self) -> float:
        """The least window total that meets the target (SPEC 8: "at least"): the target less
        a relative ``TARGET_ROUNDING``, so that a total equal to the target but for rounding
        (12 months of 100/12, a level through exp and log) meets it."""
        return self.target * (1.0 - TARGET_ROUNDING)


@dataclass(frozen=True)
class RouteModel:
    name: str
    reroute: float
    open: np.ndarray  # (months,) 1.0 where open, 0.0 in its seasonal closed months

    closed_months: tuple[int, ...] = ()  # calendar months (1–12) of the seasonal closure
    description: str | None = None  # what the route is, and where its numbers come from

    @property
    def seasonal(self) -> bool:
        return bool(self.closed_months)


@dataclass(frozen=True)
class EventModel:
    """An event; ``start`` is in grid indices, ``countries`` are the country indices in scope."""

    name: str
    rate: Distribution | None  # recurring when set
    probability: Distribution
    start: tuple[int, int] | None  # one-off: first and last possible onset month (grid)
    duration: Distribution | None  # None: lasts to the end of the horizon
    effects: dict[str, Distribution]  # by effect name (sim.core.effects): those it has
    ramp: float
    routes: tuple[int, ...]
    countries: tuple[int, ...]
    description: str | None = None
    source: str | None = None  # where its numbers come from, as the file says

    @property
    def recurring(self) -> bool:
        return self.rate is not None

    def affects(self, country: int, model: Model) -> bool:
        """Whether the event can change this country's trade: an effect on its countries,
        or one on routes it trades over — or that carry trade an event adds to it (added
        trade moves with the availability of that event's routes, SPEC 7)."""
        used = {route for route, _ in model.countries[country].route_shares}
        for event in model.events:
            if "add" in event.effects and country in event.countries:
                used.update(event.routes)
        return any(
            bool(used.intersection(self.routes))
            if BY_NAME[name].on_routes
            else country in self.countries
            for name in self.effects
        )


@dataclass(frozen=True)
class Model:
    name: str
    unit: str
    fiscal_year_start: int
    grid_start: int  # absolute month of grid index 0
    months: int  # number of grid months, to the end of the horizon
    countries: tuple[CountryModel, ...]
    routes: tuple[RouteModel, ...]
    events: tuple[EventModel, ...]
    description: str | None = None
    # correlation.growth: countries whose growth inputs share a Gaussian copula (None: every
    # input from its own stream)
    correlation: Correlation | None = None
