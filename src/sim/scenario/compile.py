"""From a validated Scenario to a Model (``sim.core.model``): periods become grid indices,
uncertain numbers become distributions."""

from __future__ import annotations

import numpy as np

from sim.core import correlation
from sim.core.distributions import Domain, fixed
from sim.core.effects import EFFECTS
from sim.core.model import CountryModel, EventModel, Model, RouteModel
from sim.core.periods import month_of_year, window_ending
from sim.core.routes import seasonal_open_share
from sim.scenario.schema import Scenario


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

    reroute = tuple(route.reroute for route in scenario.routes.values())
    closed = tuple(tuple(route.closed_months) for route in scenario.routes.values())
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
                open_share=seasonal_open_share(
                    shares, reroute, closed, range(period.first, period.last + 1)
                ),
                midpoint=period.midpoint - grid_start,
                first_simulated=first_simulated,
                rate=country.growth.rate,
                long_run=country.growth.long_run,
                half_life=country.growth.half_life,
                volatility=country.growth.volatility,
                noise=country.growth.noise,
                target=country.target.value,
                window=window,
                window_end=window.last - grid_start,
                year_ends=_year_ends(window.last - grid_start, first_simulated, months),
                route_shares=shares,
                baseline_source=country.baseline.source,
                target_source=country.target.source,
                history=country.history_points,
                statistic=country.statistic,
                fitted=country.growth_fit is not None,
            )
        )

    calendar = np.array([month_of_year(grid_start + t) for t in range(months)])
    routes = tuple(
        RouteModel(
            name=name,
            reroute=route.reroute,
            open=np.where(np.isin(calendar, route.closed_months), 0.0, 1.0),
            closed_months=tuple(sorted(set(route.closed_months))),
            description=route.description,
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
            effects={
                effect.name: drawn
                for effect in EFFECTS
                if (drawn := getattr(event, effect.name)) is not None
            },
            ramp=event.ramp,
            routes=tuple(route_index[r] for r in event.routes),
            countries=tuple(country_index[c] for c in event.countries)
            or tuple(range(len(countries))),
            description=event.description,
            source=event.source,
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
        correlation=_correlation(scenario),
    )


def _correlation(scenario: Scenario) -> correlation.Correlation | None:
    """The file's ``correlation.growth`` as a matrix over the countries it names (None when
    it names none: every input then draws from its own stream, as without the section)."""
    if scenario.correlation is None:
        return None
    pairs = scenario.correlation.growth
    countries = correlation.group(list(scenario.countries), pairs)
    if not countries:
        return None
    matrix = correlation.correlation_matrix(countries, pairs)
    return correlation.Correlation(
        tuple(countries), matrix, correlation.factor(matrix), scenario.correlation.source
    )
