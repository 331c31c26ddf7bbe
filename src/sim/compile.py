"""From a validated Scenario to a Model: month indices, arrays and distributions, no pydantic.

Every month is placed on one grid that starts at the earliest first simulated month of any
country (SPEC "Model semantics" 5) and ends at the horizon. Downstream code works in grid
indices: ``0`` is the grid's first month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.distributions import Distribution, Domain, fixed
from sim.periods import Period, month_of_year, window_ending
from sim.scenario import Scenario

TARGET_ROUNDING = 1e-9  # far above double rounding over a horizon, far below a meaningful gap


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

    def observed_months(self, window_end: int) -> int:
        """Months of the 12 ending at grid month ``window_end`` that are observed, not
        simulated: they count at the run-rate (SPEC 8)."""
        return max(0, min(12, self.first_simulated - (window_end - 11)))

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
    severity: Distribution | None
    level: Distribution | None
    growth: Distribution | None
    ramp: float
    routes: tuple[int, ...]
    countries: tuple[int, ...]
    description: str | None = None

    @property
    def recurring(self) -> bool:
        return self.rate is not None

    def affects(self, country: int, model: Model) -> bool:
        """Whether the event can change this country's trade."""
        if (self.level is not None or self.growth is not None) and country in self.countries:
            return True
        used = {route for route, _ in model.countries[country].route_shares}
        return self.severity is not None and bool(used.intersection(self.routes))


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


def _year_ends(window_end: int, first_simulated: int, months: int) -> tuple[int, ...]:
    """Ends of the 12-month windows ending in the deadline's month of each year, from the first
    simulated year to the horizon (only windows holding at least one simulated month)."""
    first_year_end = window_end - 12 * ((window_end - first_simulated) // 12)
    return tuple(range(first_year_end, months, 12))


def compile_scenario(scenario: Scenario) -> Model:
    """The Model of a validated scenario."""
    grid_start = min(c.baseline.period.last for c in scenario.countries.values()) + 1
    months = scenario.horizon_end - grid_start + 1
    route_index = {name: i for i, name in enumerate(scenario.routes)}
    country_index = {name: i for i, name in enumerate(scenario.countries)}

    countries = []
    for cid, country in scenario.countries.items():
        period = country.baseline.period
        window = window_ending(country.target.by.last)
        shares = tuple((route_index[r], s) for r, s in (country.routes or {}).items())
        first_simulated = period.last + 1 - grid_start
        countries.append(
            CountryModel(
                id=cid,
                label=country.label or cid,
                baseline=country.baseline.value,
                baseline_months=period.months,
                midpoint=period.midpoint - grid_start,
                first_simulated=first_simulated,
                rate=country.growth.rate,
                volatility=country.growth.volatility,
                noise=country.growth.noise,
                target=country.target.value,
                window=window,
                window_end=window.last - grid_start,
                year_ends=_year_ends(window.last - grid_start, first_simulated, months),
                route_shares=shares,
                baseline_source=country.baseline.source,
                target_source=country.target.source,
            )
        )

    calendar = np.array([month_of_year(grid_start + t) for t in range(months)])
    routes = tuple(
        RouteModel(
            name=name,
            reroute=route.reroute,
            open=np.where(np.isin(calendar, route.closed_months), 0.0, 1.0),
            closed_months=tuple(sorted(set(route.closed_months))),
        )
        for name, route in scenario.routes.items()
    )

    events = tuple(
        EventModel(
            name=name,
            rate=event.rate,
            probability=event.probability or fixed(1.0, Domain.FRACTION),
            start=(
                (event.start.first - grid_start, event.start.last - grid_start)
                if event.start is not None
                else None
            ),
            duration=event.duration,
            severity=event.severity,
            level=event.level,
            growth=event.growth,
            ramp=event.ramp,
            routes=tuple(route_index[r] for r in event.routes),
            countries=tuple(country_index[c] for c in event.countries)
            or tuple(range(len(countries))),
            description=event.description,
        )
        for name, event in scenario.events.items()
    )
    return Model(
        name=scenario.name,
        unit=scenario.unit,
        fiscal_year_start=scenario.fiscal_year_start,
        grid_start=grid_start,
        months=months,
        countries=tuple(countries),
        routes=routes,
        events=events,
        description=scenario.description,
    )
