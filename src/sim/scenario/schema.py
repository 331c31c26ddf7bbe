"""The scenario format (SPEC "Scenario file") as pydantic models, with every validation rule.

Validation needs facts from the whole file and its place, passed as pydantic validation
context: ``fiscal_year_start`` (to read fiscal years), the names of the file's ``routes`` and
``countries`` (to check references), ``as_of`` (the information date, a month index or None)
and ``folder`` (where history CSV files are read from). ``sim.scenario.load`` supplies them.

A country with a history may omit its baseline (the last history value known by ``as_of``)
and its growth (fitted by ``sim.calibration.fit``); a validated Country always has both.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim.core.distributions import (
    Distribution,
    DistributionError,
    Domain,
    check_in_domain,
    fixed,
    parse_uncertain,
    read_number,
)
from sim.core.effects import BY_NAME as EFFECT
from sim.core.effects import EFFECTS
from sim.core.effects import names_in_words as effect_names_in_words
from sim.core.model import HistoryPoint
from sim.core.periods import Period, PeriodError, month_name, parse_month, parse_period
from sim.defaults import DEFAULT_FISCAL_YEAR_START
from sim.errors import did_you_mean
from sim.scenario import history as reading
from sim.scenario.history import Where

if TYPE_CHECKING:
    from sim.calibration.fit import GrowthFit, Observation

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
SHARE_TOLERANCE = 1e-6
MAX_SIMULATED_YEARS = 100


# A rule's finding: (message, path below the object) and, optionally, where it points:
# "key" (the key at that path rather than its value) or a Position in another file.
Finding = tuple[str, tuple[str | int, ...]] | tuple[str, tuple[str | int, ...], Where]


def problem(message: str, *subpath: str | int, at_key: bool = False) -> PydanticCustomError:
    """A field's validation error in the user's words, optionally pointing below the field
    (at the key there, with ``at_key``, rather than at its value)."""
    context = {"message": message, "findings": [(message, subpath)], "at_key": at_key}
    return PydanticCustomError("scenario", "{message}", context)


def problems(
    found: list[Finding], nested: list[Any] | None = None, at_object: bool = True
) -> PydanticCustomError:
    """An object's rule violations, each (message, path below the object); one with an empty
    path is about the whole object and points at its name (at its value when not
    ``at_object``). ``nested`` carries field errors (pydantic's error dicts, located below the
    object) when both are reported together; ``found`` may then be empty."""
    context = {
        "message": found[0][0] if found else "problems below this field",
        "findings": found,
        "at_key": False,
        "object": at_object,
        "nested": nested or [],
    }
    return PydanticCustomError("scenario", "{message}", context)


def _error_dict(error: PydanticCustomError, location: tuple[str | int, ...], value: Any) -> Any:
    """A validator's error, raised outside pydantic, as the error dict pydantic would make."""
    return {
        "type": error.type,
        "loc": location,
        "msg": error.message(),
        "input": value,
        "ctx": error.context,
    }


Rules = Callable[[dict[str, Any], dict[str, Any]], list[Finding]]


def with_rules(rules: Rules, after: Callable[[Any], list[Finding]] | None = None) -> Any:
    """A model validator that checks ``rules(raw mapping, context)`` on the raw data alongside
    the fields' own validation, so that a bad field does not hide a broken rule: both kinds of
    problems are reported at once. Rules skip what they cannot read (the field errors say why).
    ``after(model)`` checks what only the validated model knows (values taken from a history).
    """

    def validate(cls: type, data: Any, handler: Any, info: ValidationInfo) -> Any:
        found = rules(data, info.context or {}) if isinstance(data, dict) else []
        try:
            model = handler(data)
        except ValidationError as error:
            if not found:
                raise
            raise problems(found, error.errors(include_url=False)) from None
        if found:
            raise problems(found)
        if after is not None and (late := after(model)):
            raise problems(late)
        return model

    # pydantic makes ``validate`` a classmethod itself (its first parameter is ``cls``), as
    # ``@model_validator`` over ``@classmethod`` would; given the bare function, the call
    # type-checks against pydantic's wrap-validator signature.
    return model_validator(mode="wrap")(validate)


def _present(raw: dict[str, Any], key: str) -> bool:
    return raw.get(key) is not None


def _period_of(raw: Any, key: str, context: dict[str, Any]) -> Period | None:
    """The period at ``raw[key]``, or None when it is missing or unreadable."""
    if not isinstance(raw, dict) or raw.get(key) is None:
        return None
    try:
        return parse_period(raw[key], context.get("fiscal_year_start", DEFAULT_FISCAL_YEAR_START))
    except PeriodError:
        return None


# --- field types ---------------------------------------------------------------------------

_UNCERTAIN_SCHEMA = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "description": "a percentage ('25%') or a 90% interval ('20% to 60%')"},
        {
            "type": "object",
            "description": "one family key: normal, lognormal, uniform, triangular, pert, choice",
            "minProperties": 1,
            "maxProperties": 1,
        },
    ]
}


_UNCERTAIN_JSON = WithJsonSchema(_UNCERTAIN_SCHEMA)


def _uncertain(domain: Domain, percent: str | None = None) -> PlainValidator:
    """The validator of an uncertain value in ``domain`` (a number, a percentage, an
    interval or a distribution). ``percent`` marks a percentage field and says what a
    percentage of it means (``"{} a year"``): a bare number of magnitude 1 or more is then an
    error (the percentage rule, ``sim.core.distributions.check_percentages``)."""

    def validate(value: object) -> Distribution:
        try:
            return parse_uncertain(value, domain, percent)
        except DistributionError as error:
            raise problem(error.message, *error.subpath, at_key=error.at_key) from None

    return PlainValidator(validate)


def _percentage_json(lowest: dict[str, float]) -> WithJsonSchema:
    """The schema of a percentage field: a bare number stays below 1 in magnitude (the
    percentage rule), so that an editor flags `rate: 30` as `sim validate` does."""
    bare = {
        "type": "number",
        **lowest,
        "exclusiveMaximum": 1,
        "description": "a fraction of one: 0.3 is 30%; write 150% for more",
    }
    return WithJsonSchema({"anyOf": [bare, *_UNCERTAIN_SCHEMA["anyOf"][1:]]})


# The percentage fields: growth rates (a trend's, a long-run one, an event's level and growth),
# volatility and noise. Fractions are percentages too; their domain ends at 100% already.
_GROWTH_JSON = _percentage_json({"exclusiveMinimum": -1})
_SPREAD_JSON = _percentage_json({"minimum": 0})
GrowthRate = Annotated[Distribution, _uncertain(Domain.GROWTH, "{} a year"), _GROWTH_JSON]
LevelChange = Annotated[
    Distribution, _uncertain(Domain.GROWTH, "a change of {} in trade"), _GROWTH_JSON
]
Volatility = Annotated[
    Distribution, _uncertain(Domain.NONNEGATIVE, "a volatility of {} a year"), _SPREAD_JSON
]
Noise = Annotated[
    Distribution, _uncertain(Domain.NONNEGATIVE, "month-to-month noise of {}"), _SPREAD_JSON
]
Positive = Annotated[Distribution, _uncertain(Domain.POSITIVE), _UNCERTAIN_JSON]
Fraction = Annotated[Distribution, _uncertain(Domain.FRACTION), _UNCERTAIN_JSON]


_FIXED_NUMBER_JSON = WithJsonSchema({"type": ["number", "string"]})


def _fixed_number(domain: Domain) -> PlainValidator:
    """The validator of one fixed number in ``domain`` (no interval, no distribution)."""

    def validate(value: object) -> float:
        if isinstance(value, str) and " to " in value:
            raise problem("this field takes one fixed value, not an interval")
        try:
            number = read_number(value)
            check_in_domain(number, domain)
        except DistributionError as error:
            raise problem(error.message) from None
        return number

    return PlainValidator(validate)


PositiveNumber = Annotated[float, _fixed_number(Domain.POSITIVE), _FIXED_NUMBER_JSON]
NonNegativeNumber = Annotated[float, _fixed_number(Domain.NONNEGATIVE), _FIXED_NUMBER_JSON]
FractionNumber = Annotated[float, _fixed_number(Domain.FRACTION), _FIXED_NUMBER_JSON]


def _period(value: object, info: ValidationInfo) -> Period:
    start = (info.context or {}).get("fiscal_year_start", DEFAULT_FISCAL_YEAR_START)
    try:
        return parse_period(value, start)
    except PeriodError as error:
        raise problem(str(error)) from None


PeriodField = Annotated[
    Period,
    PlainValidator(_period),
    WithJsonSchema(
        {
            "type": ["string", "integer"],
            "description": "YYYY, YYYY-YY or FYYYYY-YY (fiscal year), YYYY-MM, or YYYY-MM/YYYY-MM",
            "examples": [2028, "2027-28", "2025-10", "2025-01/2025-07"],
        }
    ),
]


def _month(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        raise problem(
            f"{value} is a year; as_of is a month: write {value}-12 for the end of {value}"
        )
    if not isinstance(value, str):
        raise problem("expected a month, YYYY-MM, e.g. 2018-12")
    try:
        return parse_month(value)
    except PeriodError as error:
        raise problem(str(error)) from None


Month = Annotated[
    int,
    PlainValidator(_month),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "a month, YYYY-MM"}
    ),
]


def _raise_found(found: list[reading.Found], at_object: bool = False) -> None:
    if found:
        raise problems(
            [(m, p, w) if w is not None else (m, p) for m, p, w in found], at_object=at_object
        )


def _history_values(value: object, info: ValidationInfo) -> tuple[HistoryPoint, ...]:
    if not isinstance(value, dict):
        raise problem("expected a mapping of period: value, e.g. {2015: 27.5, 2016: 39.8}")
    points, found = reading.read_values(
        value, (info.context or {}).get("fiscal_year_start", DEFAULT_FISCAL_YEAR_START)
    )
    _raise_found(found, at_object=True)
    return points


HistoryValues = Annotated[
    tuple[HistoryPoint, ...],
    PlainValidator(_history_values),
    WithJsonSchema(
        {
            "type": "object",
            "description": "period: value, oldest first (SPEC period forms; gaps allowed)",
            "additionalProperties": {"type": ["number", "string"]},
            "minProperties": 1,
            "examples": [{"2015": 27.5, "2016": 39.8, "2017": 36.2}],
        }
    ),
]


@dataclass(frozen=True)
class HistoryFile:
    """A history series read from a CSV file: its path as written and its points."""

    path: str
    points: tuple[HistoryPoint, ...]


def _history_file(value: object, info: ValidationInfo) -> HistoryFile:
    if not isinstance(value, str) or not value.strip():
        raise problem("expected the path of a CSV file, e.g. data/uzbekistan.csv")
    context = info.context or {}
    path = Path(context.get("folder", ".")) / value.strip()
    shown = str(path)
    points, found = reading.read_csv(
        path, shown, context.get("fiscal_year_start", DEFAULT_FISCAL_YEAR_START)
    )
    _raise_found(found)
    return HistoryFile(value, points)


CsvFile = Annotated[
    HistoryFile,
    PlainValidator(_history_file),
    WithJsonSchema(
        {
            "type": "string",
            "description": "a CSV file with columns period,value, read from the scenario "
            "file's folder",
            "examples": ["data/uzbekistan.csv"],
        }
    ),
]


def _reference(kind: str, singular: str) -> PlainValidator:
    """The validator of a name that must be one of the file's ``routes`` or ``countries``."""

    def validate(value: object, info: ValidationInfo) -> str:
        if not isinstance(value, str):
            raise problem(f"expected the name of one of the file's {kind}")
        known = sorted((info.context or {}).get(kind, ()))
        if value not in known:
            hint = did_you_mean(value, known)
            shown = [n if re.fullmatch(r"[\w-]+", n) else repr(n) for n in known]
            listing = ", ".join(shown) if shown else "none are defined"
            raise problem(f"unknown {singular} {value!r}{hint}; the file's {kind}: {listing}")
        return value

    return PlainValidator(validate)


_NAME_JSON = WithJsonSchema({"type": "string"})
RouteName = Annotated[str, _reference("routes", "route"), _NAME_JSON]
CountryName = Annotated[str, _reference("countries", "country"), _NAME_JSON]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


# --- the models ----------------------------------------------------------------------------


class Baseline(_Strict):
    """Trade observed over a period: the starting point of every path."""

    value: Positive = Field(
        description="Turnover over `period` (uncertain, positive).", examples=[90, "85 to 140"]
    )
    period: PeriodField = Field(
        description="The period the value was observed over.",
        examples=["2025-01/2025-07", 2024, "FY2024-25"],
    )
    source: str | None = Field(
        None, description="Where the figure comes from.", examples=["Eurasianet, 13 Dec 2025"]
    )


class Target(_Strict):
    """The announced goal: turnover over 12 months ending at the end of `by`."""

    value: PositiveNumber = Field(
        description="Target turnover over the 12-month window (fixed, positive).",
        examples=[1000, 200],
    )
    by: PeriodField = Field(
        description="Deadline; the window is the 12 months ending with it.",
        examples=[2028, "2027-28", "2027-06"],
    )
    source: str | None = Field(
        None,
        description="Who announced the target, and when.",
        examples=['officials, "in the near future" (Dec 2025)'],
    )
    statistic: str | None = Field(
        None,
        description="The history series (by its statistic name) that judges the target; "
        "required when the country's history has several series.",
        examples=["Kazakh customs"],
    )


class Growth(_Strict):
    """How the trend and the randomness around it are described."""

    rate: GrowthRate = Field(
        description="Trend annual growth of the median path (growth rate); with long_run, "
        "its growth at the baseline's midpoint.",
        examples=["20% to 60%", 0.25, {"normal": {"mean": 0.3, "sd": 0.1}}],
    )
    long_run: GrowthRate | None = Field(
        None,
        description="Mean reversion: the annual growth rate that the trend's growth decays "
        "toward, from rate (growth rate; give half_life with it).",
        examples=["-2% to 12%", "5%"],
    )
    half_life: Positive | None = Field(
        None,
        description="Mean reversion: years for the gap between the trend's growth and "
        "long_run to halve (positive; give long_run with it).",
        examples=["1 to 5", 3],
    )
    volatility: Volatility = Field(
        fixed(0.0, Domain.NONNEGATIVE),
        description="Annualised sd of persistent log shocks (positive or 0).",
        json_schema_extra={"default": 0, "examples": ["25%", "15% to 35%"]},
    )
    noise: Noise = Field(
        fixed(0.0, Domain.NONNEGATIVE),
        description="Sd of transitory month-to-month log noise (positive or 0).",
        json_schema_extra={"default": 0, "examples": ["10%"]},
    )
    fit: StrictBool = Field(
        False,
        description="`fit: true` (alone): the whole block is fitted from the country's "
        "history, as `sim fit` prints it; the same as omitting growth.",
        examples=[True],
    )

    _rules = with_rules(lambda raw, context: _growth_rules(raw))


def _growth_rules(raw: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    for given, missing in (("long_run", "half_life"), ("half_life", "long_run")):
        if _present(raw, given) and not _present(raw, missing):
            found.append(
                (
                    f"is required with {given}: mean reversion needs both long_run and half_life",
                    (missing,),
                )
            )
    return found


class Series(_Strict):
    """One statistic's observed trade, oldest first: values written here or a CSV file."""

    statistic: str | None = Field(
        None,
        description="The statistic's name (required in a list of series; unique).",
        examples=["Kazakh customs", "State Bank of Pakistan"],
    )
    source: str | None = Field(
        None, description="Where the figures come from.", examples=["Uzbek statistics"]
    )
    values: HistoryValues | None = Field(
        None, description="Observed trade by period, oldest first, in the file's unit."
    )
    file: CsvFile | None = Field(None, description="Instead of values: a CSV file.")

    _rules = with_rules(lambda raw, context: _series_rules(raw))

    @property
    def points(self) -> tuple[HistoryPoint, ...]:
        """Every point of the series, as written (``Country.history_points`` leaves out those
        dated after as_of)."""
        if self.values is not None:
            return self.values
        return self.file.points if self.file is not None else ()


def _series_rules(raw: dict[str, Any]) -> list[Finding]:
    if _present(raw, "values") and _present(raw, "file"):
        return [("give values or file, not both", ("file",))]
    if not _present(raw, "values") and not _present(raw, "file"):
        return [("a history series needs values (period: value) or file (a CSV file)", ())]
    return []


def _history(value: object, context: dict[str, Any]) -> Series | list[Series]:
    """A country's history: one series (a mapping) or a list of named series."""
    if isinstance(value, Series) or (
        isinstance(value, list) and value and all(isinstance(s, Series) for s in value)
    ):
        return value  # validated already: a Country validates its history first
    if isinstance(value, dict):
        try:
            return Series.model_validate(value, context=context)
        except ValidationError as error:
            raise problems([], error.errors(include_url=False)) from None
    if not isinstance(value, list):
        raise problem(
            "expected a series (source, values or file) or a list of series, each with a "
            "statistic name" + (", but the field is empty" if value is None else "")
        )
    if not value:
        raise problem("needs at least one series")
    found: list[Finding] = []
    nested: list[Any] = []
    series = []
    names: list[str] = []
    for i, item in enumerate(value):
        try:
            series.append(Series.model_validate(item, context=context))
        except ValidationError as error:
            nested += [{**e, "loc": (i, *e["loc"])} for e in error.errors(include_url=False)]
        if not isinstance(item, dict):
            continue
        name = item.get("statistic")
        if name is None:
            found.append(("is required in a list of series: name each one", (i, "statistic")))
        elif isinstance(name, str) and name in names:
            found.append(
                (f"{name!r} names an earlier series too; names must differ", (i, "statistic"))
            )
        if isinstance(name, str):
            names.append(name)
    if found or nested:
        raise problems(found, nested)
    return series


def _judging(series: tuple[Series, ...], statistic: object) -> Series | None:
    """The series that judges the target: the one named by ``statistic``, else the only one."""
    if statistic is None:
        return series[0] if len(series) == 1 else None
    return next((s for s in series if s.statistic == statistic), None)


class Outcome(_Strict):
    """What happened: trade over a period (read by backtests only, never by a run)."""

    value: PositiveNumber = Field(
        description="Observed turnover over `period` (fixed, positive).", examples=[403.9]
    )
    period: PeriodField = Field(description="The period it was observed over.", examples=[2024])
    source: str | None = Field(
        None, description="Where the figure comes from.", examples=["Uzbek statistics"]
    )


def _optional_with_history(schema: dict[str, Any]) -> None:
    """In the JSON schema: baseline and growth may come from the history."""
    schema["required"] = [n for n in schema.get("required", []) if n not in ("baseline", "growth")]


class Country(_Strict):
    """One partner country's trade: baseline, target, growth and the routes it uses, and the
    trade observed before (history) and after (outcome)."""

    model_config = ConfigDict(json_schema_extra=_optional_with_history)

    label: str | None = Field(
        None, description="Display name (default: the id).", examples=["Kazakhstan"]
    )
    history: Series | list[Series] | None = Field(
        None,
        description="Observed trade, oldest first: one series, or a list of series each "
        "with a statistic name. Points dated after as_of are ignored.",
        examples=[
            {"source": "Uzbek statistics", "values": {"2015": 27.5, "2016": 39.8, "2017": 36.2}},
            {"source": "Uzbek statistics", "file": "data/uzbekistan.csv"},
        ],
    )
    baseline: Baseline = Field(
        description="Trade observed over a period (with a history, default: its last value "
        "known by as_of).",
        examples=[{"value": "85 to 140", "period": "2025-01/2025-07"}],
    )
    target: Target = Field(
        description="The announced target and its deadline.",
        examples=[{"value": 1000, "by": 2027}],
    )
    growth: Growth = Field(
        description="Trend growth and randomness (with a history, default: fitted from it, "
        "as `sim fit` prints it).",
        examples=[
            {"rate": "0% to 80%", "volatility": "25%", "noise": "15%"},
            {"rate": "20% to 60%", "long_run": "0% to 10%", "half_life": "1 to 5"},
            {"fit": True},
        ],
    )
    routes: dict[RouteName, FractionNumber] | None = Field(
        None,
        description="Shares of this country's trade by route; must sum to 1.",
        examples=[{"afghan_transit": 0.6, "china_kkh": 0.4}],
    )
    outcome: Outcome | None = Field(
        None,
        description="What happened by the deadline: read by backtests only, never by a run.",
        examples=[{"value": 403.9, "period": 2024}],
    )

    _as_of: int | None = PrivateAttr(None)
    _baseline_from_history: bool = PrivateAttr(False)
    _growth_fit: Any = PrivateAttr(None)

    @field_validator("history", mode="wrap")
    @classmethod
    def _read_history(cls, value: Any, handler: Any, info: ValidationInfo) -> Any:
        return _history(value, info.context or {})

    @model_validator(mode="wrap")
    @classmethod
    def _resolve(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        """Check the rules on the raw data, read the history, fill the baseline and growth
        from it where the file leaves them out, then validate the fields; every problem at
        once."""
        if not isinstance(data, dict):
            return handler(data)
        context = info.context or {}
        found = _country_rules(data, context)
        resolved = _Resolution(dict(data), context)
        resolved.run()
        try:
            model = handler(resolved.data)
            nested: list[Any] = []
        except ValidationError as error:
            model = None
            nested = [
                e
                for e in error.errors(include_url=False)
                if not (e["type"] == "missing" and e["loc"] in resolved.excused)
            ]
        nested = resolved.nested + nested
        found += resolved.found
        if found or nested or model is None:
            raise problems(found, nested)
        model._as_of = context.get("as_of")
        model._baseline_from_history = resolved.baseline_from_history
        model._growth_fit = resolved.growth_fit
        return model

    @property
    def series(self) -> tuple[Series, ...]:
        """The history's series (none without a history)."""
        if self.history is None:
            return ()
        return (self.history,) if isinstance(self.history, Series) else tuple(self.history)

    @property
    def judging_series(self) -> Series | None:
        """The history series that judges the target (None without a history)."""
        return _judging(self.series, self.target.statistic)

    @property
    def statistic(self) -> str | None:
        """The name of the statistic that judges the target, when the history names it."""
        judging = self.judging_series
        return judging.statistic if judging is not None else None

    @property
    def as_of(self) -> int | None:
        """The file's information date (a month index), None when it has none."""
        return self._as_of

    @property
    def history_points(self) -> tuple[HistoryPoint, ...]:
        """The judging series' points dated by as_of (ending at or before it)."""
        judging = self.judging_series
        return reading.until(judging.points, self._as_of) if judging is not None else ()

    def observations(self, as_of: int | None = None) -> list[Observation]:
        """``history_points`` as ``sim.calibration.fit`` takes them; with ``as_of`` (a month
        index), only those ending by it too (the file's as_of always applies)."""
        from sim.calibration.fit import Observation

        points = reading.until(self.history_points, as_of)
        return [Observation(p.first, p.last, p.value) for p in points]

    @property
    def baseline_from_history(self) -> bool:
        """Whether the baseline is the history's last value (the file gives none)."""
        return self._baseline_from_history

    @property
    def growth_fit(self) -> GrowthFit | None:
        """The fit behind the growth block when it was fitted (its evidence in words)."""
        return self._growth_fit


class _Resolution:
    """A country's raw data made whole before its fields are validated: the history read
    once, and the baseline and growth taken from it where the file leaves them out.

    ``found`` and ``nested`` collect problems; ``excused`` holds fields whose absence is
    explained by another problem (their "is required" is not reported).
    """

    def __init__(self, data: dict[str, Any], context: dict[str, Any]) -> None:
        self.data = data
        self.context = context
        self.found: list[Finding] = []
        self.nested: list[Any] = []
        self.excused: set[tuple[str, ...]] = set()
        self.baseline_from_history = False
        self.growth_fit: Any = None

    def run(self) -> None:
        data = self.data
        has_history = "history" in data
        series = self._series()
        wants_baseline = "baseline" not in data
        wants_growth = "growth" not in data
        growth = data.get("growth")
        if isinstance(growth, dict) and growth.get("fit") is True:
            del data["growth"]  # the fitted block takes its place
            self.excused.add(("growth",))
            wants_growth = self._fit_asked(growth, has_history)
        if not has_history:
            return
        if wants_baseline:
            self.excused.add(("baseline",))
        if wants_growth:
            self.excused.add(("growth",))
        judging = _judging(series, _statistic(data)) if series else None
        if judging is None or not (wants_baseline or wants_growth):
            return  # when wanted, the history's or the statistic's problems say why
        as_of = self.context.get("as_of")
        points = reading.until(judging.points, as_of)
        if not points:
            needs = [n for n, w in (("baseline", wants_baseline), ("growth", wants_growth)) if w]
            what, pronoun = " and ".join(needs), "them" if len(needs) > 1 else "it"
            self.found.append(
                (
                    f"every value of the history ends after as_of ({month_name(as_of or 0)}), "
                    f"so the {what} cannot come from it; give {pronoun} in the file",
                    ("history",),
                )
            )
            return
        if wants_baseline:
            self._baseline(points[-1], judging)
        if wants_growth:
            self._fit(points, as_of)

    def _fit_asked(self, growth: dict[str, Any], has_history: bool) -> bool:
        """Whether ``growth: {fit: true}`` can be fitted; if not, why."""
        if len(growth) > 1:
            others = ", ".join(k for k in growth if k != "fit")
            message = f"fit: true fits the whole growth block; remove {others}, or fit"
        elif not has_history:
            message = "fit: true fits growth to the country's history, but it has none"
        else:
            return True
        self.found.append((message, ("growth", "fit")))
        return False

    def _series(self) -> tuple[Series, ...] | None:
        """The history, validated once (None when absent or broken)."""
        if "history" not in self.data:
            return None
        raw = self.data["history"]
        try:
            history = _history(raw, self.context)
        except PydanticCustomError as error:
            self.nested.append(_error_dict(error, ("history",), raw))
            del self.data["history"]
            return None
        self.data["history"] = history
        return (history,) if isinstance(history, Series) else tuple(history)

    def _baseline(self, last: HistoryPoint, judging: Series) -> None:
        period = Period(last.first, last.last)
        self.data["baseline"] = Baseline.model_construct(  # valid already: not read again
            value=fixed(last.value, Domain.POSITIVE), period=period, source=judging.source
        )
        self.baseline_from_history = True
        deadline = _period_of(self.data.get("target"), "by", self.context)
        if deadline is not None and deadline.last < period.last:
            self.found.append(
                (
                    f"the deadline ends in {month_name(deadline.last)}, before the baseline "
                    f"period ends ({month_name(period.last)}, the history's last value)",
                    ("target", "by"),
                )
            )

    def _fit(self, points: tuple[HistoryPoint, ...], as_of: int | None) -> None:
        from sim.calibration import fit

        observations = [fit.Observation(p.first, p.last, p.value) for p in points]
        try:
            result = fit.fit_growth(observations, as_of)
        except (ValueError, ArithmeticError) as error:
            self.found.append((f"growth cannot be fitted from this history: {error}", ("history",)))
            return
        try:
            growth = Growth.model_validate(result.block, context=self.context)
        except ValidationError as error:
            details = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                for e in error.errors(include_url=False)
            )
            self.found.append((f"the fitted growth block is not valid ({details})", ("history",)))
            return
        self.data["growth"] = growth
        self.growth_fit = result


def _statistic(data: dict[str, Any]) -> object:
    target = data.get("target")
    return target.get("statistic") if isinstance(target, dict) else None


def _country_rules(raw: dict[str, Any], context: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    period = _period_of(raw.get("baseline"), "period", context)
    deadline = _period_of(raw.get("target"), "by", context)
    if period is not None and deadline is not None and deadline.last < period.last:
        found.append(
            (
                f"the deadline ends in {month_name(deadline.last)}, before the "
                f"baseline period ends ({month_name(period.last)})",
                ("target", "by"),
            )
        )
    as_of = context.get("as_of")
    if period is not None and as_of is not None and period.last > as_of:
        found.append(
            (
                f"the baseline period ends in {month_name(period.last)}, after as_of "
                f"({month_name(as_of)}); data dated later are ignored",
                ("baseline", "period"),
            )
        )
    found += _statistic_rules(raw)
    shares = raw.get("routes")
    if isinstance(shares, dict) and shares:
        try:
            total = sum(read_number(share) for share in shares.values())
        except DistributionError:
            total = 1.0  # an unreadable share has its own error
        if abs(total - 1.0) > SHARE_TOLERANCE:
            found.append((f"route shares must sum to 1, not {total:g}", ("routes",)))
    return found


def _statistic_rules(raw: dict[str, Any]) -> list[Finding]:
    """``target.statistic`` must name one of the history's series; with several, it must be
    given."""
    history = raw.get("history")
    items = [history] if isinstance(history, dict) else history if isinstance(history, list) else []
    names = list(
        dict.fromkeys(
            s["statistic"]
            for s in items
            if isinstance(s, dict) and isinstance(s.get("statistic"), str)
        )
    )
    name = _statistic(raw)
    at = ("target", "statistic")
    if isinstance(name, str):
        if "history" not in raw:
            return [("names a history series, but the country has no history", at)]
        if name not in names and isinstance(history, dict | list):
            known = (
                f"the history's statistics: {', '.join(names)}"
                if names
                else "the history's series has no statistic name"
            )
            return [(f"unknown statistic {name!r}{did_you_mean(name, names)}; {known}", at)]
    elif name is None and isinstance(history, list) and len(history) > 1:
        listing = ", ".join(names)
        message = (
            f"is required: the history has {len(history)} series; name the one that judges "
            f"the target ({listing})"
        )
        return [(message, at)]
    return []


class Route(_Strict):
    """A corridor that countries' trade uses."""

    description: str | None = Field(
        None,
        description="What the route is.",
        examples=["Karakoram Highway via the Khunjerab Pass"],
    )
    reroute: FractionNumber = Field(
        0.0,
        description="Share of trade displaced from this route that moves to the country's "
        "other routes (fraction, fixed).",
        examples=["30%", 0.5],
    )
    closed_months: list[Annotated[StrictInt, Field(ge=1, le=12)]] = Field(
        default_factory=list,
        description="Months (1–12) the route is closed every year.",
        examples=[[12, 1, 2, 3]],
    )


class Event(_Strict):
    """A shock or structural change: recurring (with `rate`) or one-off (with `start`)."""

    description: str | None = Field(
        None, description="What the event is.", examples=["Torkham/Chaman closures"]
    )
    source: str | None = Field(
        None, description="Where its numbers come from.", examples=["2023–2025 closures"]
    )
    routes: list[RouteName] = Field(
        default_factory=list, description="Routes it acts on.", examples=[["afghan_transit"]]
    )
    countries: list[CountryName] = Field(
        default_factory=list,
        description="Countries its level/growth/add effects act on (default all).",
        examples=[["uzbekistan", "kazakhstan"]],
    )
    rate: Positive | None = Field(
        None, description="Recurring: expected onsets per year.", examples=["1.5 to 4", 2]
    )
    start: PeriodField | None = Field(
        None,
        description="One-off: onset month, or a range with the onset uniform in it.",
        examples=["2025-10", "2031-01/2035-12"],
    )
    probability: Fraction | None = Field(
        None, description="One-off: chance it happens (default 1).", examples=["20%"]
    )
    duration: Positive | None = Field(
        None,
        description="Months, drawn per onset; omitted means to the end of the horizon.",
        examples=["0.2 to 4", 24],
    )
    # the effects: one field each, as sim.core.effects.EFFECTS lists them (a test checks)
    severity: Fraction | None = Field(
        None,
        description=EFFECT["severity"].description,
        examples=["60% to 100%", 1],
    )
    level: LevelChange | None = Field(
        None,
        description=EFFECT["level"].description,
        examples=["+30% to +100%", "-20%"],
    )
    growth: GrowthRate | None = Field(
        None,
        description=EFFECT["growth"].description,
        examples=["+5%"],
    )
    add: Positive | None = Field(
        None,
        description=EFFECT["add"].description,
        examples=["50 to 150", 120],
    )
    ramp: NonNegativeNumber = Field(
        0.0, description="Months to phase a level or add effect in.", examples=[12]
    )

    _rules = with_rules(lambda raw, context: _event_rules(raw))


def _event_rules(raw: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    if _present(raw, "rate") and _present(raw, "start"):
        found.append(("an event is recurring (rate) or one-off (start), not both", ("start",)))
    if not _present(raw, "rate") and not _present(raw, "start"):
        found.append(("an event needs either rate (recurring) or start (one-off)", ()))
    if _present(raw, "probability") and _present(raw, "rate"):
        found.append(
            (
                "probability is for one-off events; a recurring event's frequency is its rate",
                ("probability",),
            )
        )
    if not any(_present(raw, effect.name) for effect in EFFECTS):
        found.append((f"an event needs an effect: {effect_names_in_words()}", ()))
    for effect in EFFECTS:
        if effect.on_routes and _present(raw, effect.name) and not raw.get("routes"):
            found.append(
                (f"{effect.name} acts on routes, but this event names no routes", (effect.name,))
            )
    for kind in ("routes", "countries"):
        names = raw.get(kind)
        if isinstance(names, list):
            for i, name in enumerate(names):
                if isinstance(name, str) and name in names[:i]:
                    found.append((f"{name!r} is named twice", (kind, i)))
    return found


def _correlation_value(value: object) -> float:
    """A correlation: a plain number between -1 and 1 (not a percentage, not uncertain)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = f", not {value!r}" if isinstance(value, str) else ""
        raise problem(f"a correlation is a plain number between -1 and 1, e.g. 0.5{shown}")
    if not -1 <= value <= 1:
        raise problem(f"{value:g} is not a correlation: it must lie between -1 and 1")
    return float(value)


CorrelationNumber = Annotated[
    float,
    PlainValidator(_correlation_value),
    WithJsonSchema({"type": "number", "minimum": -1, "maximum": 1}),
]


class Correlations(_Strict):
    """Correlation between countries' uncertain inputs, drawn through a Gaussian copula that
    keeps each input's own distribution (docs/model.md, "Correlated growth")."""

    growth: dict[CountryName, dict[CountryName, CorrelationNumber]] = Field(
        default_factory=dict,
        description="Correlation between countries' trend growth (growth.rate, and "
        "growth.long_run with mean reversion), as pairs: each pair once, values in [-1, 1], "
        "pairs not given are 0. Together they must make a positive semi-definite matrix.",
        examples=[{"kazakhstan": {"uzbekistan": 0.4, "kyrgyzstan": 0.4}}],
    )
    source: str | None = Field(
        None,
        description="Where the correlations come from (data, or judgement and why).",
        examples=["judgement: too few overlapping years to estimate"],
    )

    _rules = with_rules(lambda raw, context: _correlation_rules(raw, context))


def _correlation_rules(raw: dict[str, Any], context: dict[str, Any]) -> list[Finding]:
    """Each pair once and between two countries; all pairs together a correlation matrix
    (checked on the pairs that read, when the others have no problem of their own)."""
    from sim.core import correlation

    growth = raw.get("growth")
    if not isinstance(growth, dict):
        return []
    found: list[Finding] = []
    seen: dict[frozenset[str], str] = {}
    pairs: dict[str, dict[str, float]] = {}
    readable = True
    known = set(context.get("countries", ()))
    for a, inner in growth.items():
        if not isinstance(inner, dict):
            readable = False
            continue
        for b, value in inner.items():
            where = ("growth", a, b)
            if a == b:
                message = f"{a}'s correlation with itself is 1; name other countries here"
                found.append((message, where, "key"))
                continue
            pair = frozenset((a, b))
            if pair in seen:
                message = f"the pair {a}–{b} is given twice (also as {seen[pair]}); give it once"
                found.append((message, where, "key"))
                continue
            seen[pair] = f"correlation.growth.{a}.{b}"
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not (ok and -1 <= value <= 1 and a in known and b in known):
                readable = False
                continue
            pairs.setdefault(a, {})[b] = float(value)
    if found or not readable:
        return found
    names = correlation.group(sorted(known), pairs)  # the order does not change the answer
    matrix = correlation.correlation_matrix(names, pairs)
    if not correlation.is_correlation_matrix(matrix):
        why = correlation.conflict(names, matrix)
        smallest = correlation.smallest_eigenvalue(matrix)
        message = (
            "these correlations cannot all hold at once: the matrix they make is not positive "
            f"semi-definite (its smallest eigenvalue is {smallest:.3g})"
            + (f"; {why}" if why else "; make the largest ones smaller")
        )
        found.append((message, ("growth",)))
    return found


DOTTED_PATH = re.compile(r"[A-Za-z][\w-]*(\.[A-Za-z0-9_-]+)*")  # horizon, countries.kz.label


class VariantSpec(BaseModel):
    """A what-if: a description and overrides, each a dotted field path and its new value."""

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        json_schema_extra={
            "additionalProperties": {"description": "New value of the field (null drops it)."},
            "examples": [
                {
                    "description": "Growth as in 2025",
                    "countries.kazakhstan.growth.rate": "60% to 150%",
                    "events.trans_afghan_railway": None,
                }
            ],
        },
    )

    description: str | None = Field(None, description="What the variant asks.")

    _rules = with_rules(lambda raw, context: _variant_rules(raw))


def _variant_rules(raw: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    for key in raw:
        if key != "description" and not DOTTED_PATH.fullmatch(str(key)):
            found.append(
                (
                    f"{key!r} is not a field path; write one like countries.kazakhstan.growth.rate",
                    (key,),
                )
            )
    return found


class Scenario(_Strict):
    """A scenario file: countries with baselines and targets, routes and events."""

    name: str = Field(
        description="What the scenario is about.",
        examples=["Kazakhstan–Pakistan turnover to $1 billion a year"],
    )
    description: str | None = Field(
        None,
        description="Why it exists; what the numbers rest on.",
        examples=["Officials aim for $1B of annual trade in the near future..."],
    )
    unit: str = Field(
        "USD million",
        description="The unit of every money value in the file.",
        examples=["USD million"],
    )
    fiscal_year_start: Annotated[StrictInt, Field(ge=1, le=12)] = Field(
        DEFAULT_FISCAL_YEAR_START,
        description="Month (1–12) in which fiscal years begin.",
        examples=[7, 4],
    )
    horizon: PeriodField | None = Field(
        None,
        description="Simulate until its end (default: the latest deadline).",
        examples=[2032, "2030-31"],
    )
    as_of: Month | None = Field(
        None,
        description="The information date (a month): history dated later is ignored, and a "
        "baseline must end by it.",
        examples=["2018-12"],
    )
    seed: Annotated[StrictInt, Field(ge=0)] | None = Field(
        None, description="Default seed (the command line's --seed wins).", examples=[20251213]
    )
    paths: Annotated[StrictInt, Field(ge=1)] | None = Field(
        None, description="Default number of paths (--paths wins).", examples=[100000]
    )
    include: list[str] = Field(
        default_factory=list,
        description="Files whose routes and events this file uses, read in order: paths "
        "from this file's folder, ending in .yaml or .yml (docs/scenario-format.md, Includes).",
        examples=[["shared/corridors.yaml"]],
    )
    routes: dict[Name, Route] = Field(
        default_factory=dict,
        description="Corridors that countries' trade uses, by name.",
        examples=[{"china_kkh": {"closed_months": [12, 1, 2, 3], "reroute": "50%"}}],
    )
    countries: Annotated[dict[Name, Country], Field(min_length=1)] = Field(
        description="The partner countries, by id (at least one).",
        examples=[
            {
                "kazakhstan": {
                    "baseline": {"value": 90, "period": "2025-01/2025-07"},
                    "target": {"value": 1000, "by": 2028},
                    "growth": {"rate": "40% to 120%"},
                }
            }
        ],
    )
    events: dict[Name, Event] = Field(
        default_factory=dict,
        description="Shocks and structural changes, by name.",
        examples=[
            {
                "border_closure": {
                    "routes": ["afghan_transit"],
                    "rate": 2.5,
                    "duration": "0.2 to 4",
                    "severity": "60% to 100%",
                }
            }
        ],
    )

    correlation: Correlations | None = Field(
        None,
        description="Correlation between countries' trend growth (a Gaussian copula: each "
        "country keeps its own distribution); without it every country draws independently.",
        examples=[{"growth": {"kazakhstan": {"uzbekistan": 0.4}}, "source": "judgement"}],
    )

    variants: dict[Name, VariantSpec] = Field(
        default_factory=dict,
        description="What-ifs, by name: overrides of this file's fields (see sim compare).",
    )

    @field_validator("include")
    @classmethod
    def _included_already(cls, value: list[str]) -> list[str]:
        # Loading merges the included files and drops the list, so one that reaches here
        # was set by a variant or --set, after the files were read.
        if value:
            raise problem(
                "include is read when the file is loaded, before variants; a variant cannot "
                "change it"
            )
        return value

    _rules = with_rules(
        lambda raw, context: _horizon_rules(raw, context),
        after=lambda scenario: (
            _simulated_years(scenario)
            + _open_road(scenario)
            + _magnitudes(scenario)
            + _outcomes(scenario)
        ),
    )

    @property
    def horizon_end(self) -> int:
        """The last simulated month."""
        if self.horizon is not None:
            return self.horizon.last
        return max(c.target.by.last for c in self.countries.values())


def _horizon_rules(raw: dict[str, Any], context: dict[str, Any]) -> list[Finding]:
    countries = raw.get("countries")
    if not isinstance(countries, dict):
        return []
    deadlines = {
        name: by
        for name, country in countries.items()
        if isinstance(country, dict) and (by := _period_of(country.get("target"), "by", context))
    }
    ends = [
        period.last
        for country in countries.values()
        if isinstance(country, dict)
        and (period := _period_of(country.get("baseline"), "period", context))
    ]
    horizon = _period_of(raw, "horizon", context)
    found: list[Finding] = []
    if horizon is not None and deadlines:
        late = max(deadlines, key=lambda name: deadlines[name].last)
        if horizon.last < deadlines[late].last:
            found.append(
                (
                    f"the horizon ends in {month_name(horizon.last)}, before the deadline of "
                    f"{late} ({month_name(deadlines[late].last)})",
                    ("horizon",),
                )
            )
    end = (
        horizon.last
        if horizon is not None
        else max((d.last for d in deadlines.values()), default=None)
    )
    if end is not None and ends and end - min(ends) > MAX_SIMULATED_YEARS * 12:
        found.append(
            (
                f"this would simulate {(end - min(ends)) / 12:.0f} years; "
                f"sim simulates at most {MAX_SIMULATED_YEARS}",
                ("horizon",) if horizon is not None else ("countries",),
            )
        )
    return found


def _simulated_years(scenario: Scenario) -> list[Finding]:
    """The limit on simulated years, for baselines taken from a history (``_horizon_rules``
    checks those the file writes)."""
    start = min(c.baseline.period.last for c in scenario.countries.values())
    years = (scenario.horizon_end - start) / 12
    if years <= MAX_SIMULATED_YEARS:
        return []
    where = ("horizon",) if scenario.horizon is not None else ("countries",)
    message = f"this would simulate {years:.0f} years; sim simulates at most {MAX_SIMULATED_YEARS}"
    return [(message, where)]


# The magnitude rule (README, "Commands"): each country's trade stays between SMALLEST_TRADE
# and LARGEST_TRADE a year (in the file's unit) on every path but the rarest, so that no
# number overflows, underflows or turns into NaN. Every draw of a path (each uncertain input,
# the shocks and the noise, each onset's effect) is a standard normal z_i seen through its
# quantile function; the rule checks the most extreme trade over Σ z_i² ≤ EXTREME_RADIUS²,
# paths rarer than about 1 in a billion (with fewer draws, rarer still). Each input alone must
# also stay finite at the extremes the engine draws (uniforms in [2**-54, 1 - 2**-53],
# sim.engine.streams).
SMALLEST_TRADE = 1e-300
LARGEST_TRADE = 1e300
MOST_VOLATILE = 10.0  # volatility and noise of at most 1000% (their 95th percentile)
EXTREME_RADIUS = 8.0
_BUDGET_STEPS = 64  # EXTREME_RADIUS² shared out among the draws in this many steps
_EXTREME_U = (2.0**-54, 1.0 - 2.0**-53)
_RANGE_WORDS = "sim computes trade between 1e-300 and 1e300 a year"


def _magnitudes(scenario: Scenario) -> list[Finding]:
    """The magnitude rule: a finding for each country whose trade could leave the range sim
    computes in, naming the field that takes it out most."""
    found: list[Finding] = []
    grid_start = min(c.baseline.period.last + 1 for c in scenario.countries.values())
    grid_months = max(1, scenario.horizon_end - grid_start + 1)
    for cid, country in scenario.countries.items():
        found += [
            (message, where if where[0] == "events" else ("countries", cid, *where))
            for message, where in _country_magnitudes(scenario, cid, country, grid_months)
        ]
    return found


def _at(distribution: Distribution, z: Any) -> Any:
    """``distribution``'s values at standard normal scores ``z`` (its quantiles at Φ(z))."""
    import numpy as np

    from sim.core.special import ndtr

    return _quantiles(distribution, ndtr(np.asarray(z, dtype=float)))


def _unbounded(distribution: Distribution) -> bool:
    """Whether the most extreme value the engine can draw from ``distribution`` overflows."""
    import numpy as np

    values = _quantiles(distribution, np.array(_EXTREME_U))
    return not bool(np.all(np.isfinite(values)))


def _quantiles(distribution: Distribution, u: Any) -> Any:
    """``distribution.quantile(u)``, read-only: a file's variants repeat most of its
    distributions, and this check asks for the same probabilities of each, so each is worked
    out once (``_cached_quantiles``)."""
    import numpy as np

    u = np.ascontiguousarray(u, dtype=float)
    try:
        return _cached_quantiles(distribution, u.tobytes()).reshape(u.shape)
    except TypeError:  # parameters that cannot be a key
        with np.errstate(all="ignore"):
            return distribution.quantile(u)


@functools.lru_cache(maxsize=1024)
def _cached_quantiles(distribution: Distribution, u: bytes) -> Any:
    import numpy as np

    with np.errstate(all="ignore"):
        values = distribution.quantile(np.frombuffer(u))
    values.flags.writeable = False
    return values


def _country_magnitudes(
    scenario: Scenario, cid: str, country: Country, grid_months: int
) -> list[tuple[str, tuple[str | int, ...]]]:
    import math

    import numpy as np

    growth = country.growth
    inputs: dict[tuple[str | int, ...], Distribution | None] = {
        ("baseline", "value"): country.baseline.value,
        **{("growth", name): getattr(growth, name) for name in _GROWTH_INPUTS},
    }
    for name, event in _events_of(scenario, cid):
        inputs |= {("events", name, field): getattr(event, field) for field in _EVENT_INPUTS}
    for where, distribution in inputs.items():
        if distribution is not None and _unbounded(distribution):
            return [("its most extreme draws overflow; narrow the range", where)]
    period = country.baseline.period
    months = period.last - period.first + 1
    median = country.baseline.value.median() * 12.0 / months
    target = country.target.value
    deadline = (country.target.by.last - (period.first + period.last) / 2) / 12.0
    if not SMALLEST_TRADE <= median <= LARGEST_TRADE:
        message = f"a yearly run-rate of {median:.3g}: {_RANGE_WORDS}"
        return [(message.replace("inf:", "infinity:"), ("baseline", "value"))]
    ratio = target / median
    if not (SMALLEST_TRADE <= target <= LARGEST_TRADE and ratio >= SMALLEST_TRADE):
        message = f"{target:.3g} against a baseline of {median:.3g} a year: {_RANGE_WORDS}"
        return [(message + ", and a target within a factor of 1e300 of the baseline", _TARGET)]
    # (a deadline at the baseline's own month judges observed trade: nothing grows)
    if deadline > 0 and math.log(ratio) > math.log(LARGEST_TRADE) * deadline:
        message = (
            f"{target:.3g} against a baseline of {median:.3g} a year would need trade to grow "
            "by a factor above 1e300 a year; sim cannot compute that"
        )
        return [(message, _TARGET)]
    for name in ("volatility", "noise"):
        p95 = float(getattr(growth, name).quantile(0.95))
        if not p95 <= MOST_VOLATILE:
            message = f"{p95:.0%} a year is more than sim takes: at most {MOST_VOLATILE:.0%}"
            return [(f"{message} (at its 95th percentile)", ("growth", name))]
    first = (period.last + 1 - (period.first + period.last) / 2) / 12.0  # first simulated
    end = (scenario.horizon_end - (period.first + period.last) / 2) / 12.0
    if end < first:
        return []
    z = np.sqrt(np.linspace(0.0, EXTREME_RADIUS**2, _BUDGET_STEPS + 1))  # budget k: z = √k
    with np.errstate(all="ignore"):
        terms = _log_trade_terms(scenario, cid, country, months, z, first, end, grid_months)
        top = sum(up[0] for up, _ in terms.values()) + _most(list(terms.values()), 0)
        bottom = sum(down[0] for _, down in terms.values()) - _most(list(terms.values()), 1)
    if math.log(SMALLEST_TRADE) <= bottom and top <= math.log(LARGEST_TRADE):
        return []
    high = not top <= math.log(LARGEST_TRADE)
    side = 0 if high else 1
    where = max(terms, key=lambda k: abs(terms[k][side][-1]))  # the part that goes furthest
    whose = f"{cid}'s trade" if where[0] == "events" else "trade"
    message = (
        f"{whose} could go {'above 1e300' if high else 'below 1e-300'} a year by "
        f"{month_name(scenario.horizon_end)} on the most extreme paths (rarer than 1 in a "
        f"billion); {_RANGE_WORDS} (narrow the ranges or shorten the horizon)"
    )
    return [(message, where)]


_TARGET = ("target", "value")
_GROWTH_INPUTS = ("rate", "long_run", "half_life", "volatility", "noise")
_EVENT_INPUTS = ("rate", "probability", "duration", "severity", "level", "growth")


def _events_of(scenario: Scenario, cid: str) -> list[tuple[str, Event]]:
    return [(n, e) for n, e in scenario.events.items() if not e.countries or cid in e.countries]


def _log_trade_terms(
    scenario: Scenario,
    cid: str,
    country: Country,
    months: int,
    z: Any,
    first: float,
    end: float,
    grid_months: int,
) -> dict[tuple[str | int, ...], tuple[Any, Any]]:
    """The parts of a country's log yearly trade, each as (highest, lowest) values for the
    budgets z² of its draws: the baseline's run-rate, the trend, shocks, noise, events."""
    import numpy as np

    growth = country.growth
    run_rate = np.log(_at(country.baseline.value, z) * 12.0 / months)
    lowest_rate = np.log(_at(country.baseline.value, -z) * 12.0 / months)
    slopes = [growth.rate] + ([growth.long_run] if growth.long_run is not None else [])
    trend_up = np.max([_trend(_at(r, z), first, end, True) for r in slopes], axis=0)
    trend_down = np.min([_trend(_at(r, -z), first, end, False) for r in slopes], axis=0)
    terms: dict[tuple[str | int, ...], tuple[Any, Any]] = {
        ("baseline", "value"): (run_rate, lowest_rate),
        ("growth", "rate"): (trend_up, trend_down),
    }
    for name, span in (("volatility", np.sqrt(max(end - first, 0.0))), ("noise", 1.0)):
        swing = _product(_at(getattr(growth, name), z), z) * span
        terms[("growth", name)] = (swing, -swing)
    for name, event in _events_of(scenario, cid):
        stacked = _overlapping_onsets(event, grid_months)
        for effect, span in (("level", 1.0), ("growth", end)):
            change = getattr(event, effect)
            if change is None:
                continue
            each = z / np.sqrt(stacked)  # the budget shared by its onsets' draws
            up = stacked * span * np.log1p(_at(change, each))
            down = stacked * span * np.log1p(_at(change, -each))
            terms[("events", name, effect)] = (np.maximum(up, 0.0), np.minimum(down, 0.0))
    return terms


def _trend(rate: Any, first: float, end: float, highest: bool) -> Any:
    """The trend's log change from the baseline's midpoint at its highest (or lowest) over
    the simulated years, ``first`` to ``end``, for growth rates ``rate``."""
    import numpy as np

    slope = np.log1p(np.maximum(rate, -1.0))
    pick = np.maximum if highest else np.minimum
    return pick(slope * first, slope * end)


def _splits(budgets: int) -> tuple[Any, Any, Any]:
    """Every split of a budget k < ``budgets`` into j and k − j, as (k, j) arrays: j, k − j
    (0 where j > k) and whether j ≤ k. A max over a row is a max over the splits of k."""
    import numpy as np

    k, j = np.indices((budgets, budgets))
    return j, np.where(j <= k, k - j, 0), j <= k


def _product(scale: Any, z: Any) -> Any:
    """The largest ``scale`` × normal score when both draws share the budget z²: for each
    budget k, max over j ≤ k of scale(√j) · √(k − j)."""
    import numpy as np

    j, rest, split = _splits(len(z))
    return np.where(split, scale[j] * z[rest], -np.inf).max(axis=1)


def _most(terms: list[tuple[Any, Any]], side: int) -> float:
    """The largest total change of the terms' values (side 0: up, 1: down) from their
    medians, when their draws share the budget EXTREME_RADIUS² (max-plus over budgets)."""
    import numpy as np

    sign = 1.0 if side == 0 else -1.0
    j, rest, split = _splits(_BUDGET_STEPS + 1)
    total = np.zeros(_BUDGET_STEPS + 1)
    for term in terms:
        change = sign * (term[side] - term[side][0])
        total = np.where(split, total[j] + change[rest], -np.inf).max(axis=1)
    return float(total[-1])


def _overlapping_onsets(event: Event, grid_months: int) -> int:
    """How many onsets of ``event`` can be active at once: one for a one-off event; for a
    recurring one (at most one onset a month), as many as months its longest duration spans."""
    import math

    if event.rate is None:
        return 1
    if event.duration is None:
        return grid_months
    longest = float(event.duration.quantile(_EXTREME_U[1]))
    return min(grid_months, math.ceil(longest) + 1) if math.isfinite(longest) else grid_months


def _outcomes(scenario: Scenario) -> list[Finding]:
    """An outcome must come after what the forecast knows: after the baseline period, and
    after ``as_of`` (else a backtest's forecast would see its own answer)."""
    found: list[Finding] = []
    for cid, country in scenario.countries.items():
        outcome = country.outcome
        if outcome is None:
            continue
        where = ("countries", cid, "outcome", "period")
        known = scenario.as_of
        if known is not None and outcome.period.last <= known:
            found.append(
                (
                    f"the outcome ({outcome.period}) is dated by as_of ({month_name(known)}): "
                    "a forecast made then would know it; backtest an outcome after as_of",
                    where,
                )
            )
        elif outcome.period.last <= country.baseline.period.last:
            found.append(
                (
                    f"the outcome ({outcome.period}) ends by the end of the baseline period "
                    f"({country.baseline.period}): there is nothing left to forecast",
                    where,
                )
            )
    return found


def _open_road(scenario: Scenario) -> list[Finding]:
    """A baseline observed only in months its routes' seasonal closures shut shows no open-road
    trade to start the trend from (docs/model.md, rule 1)."""
    from sim.core.routes import seasonal_open_share

    index = {name: i for i, name in enumerate(scenario.routes)}
    reroute = tuple(route.reroute for route in scenario.routes.values())
    closed = tuple(tuple(route.closed_months) for route in scenario.routes.values())
    found: list[Finding] = []
    for cid, country in scenario.countries.items():
        shares = tuple((index[r], s) for r, s in (country.routes or {}).items() if r in index)
        period = country.baseline.period
        months = range(period.first, period.last + 1)
        if shares and seasonal_open_share(shares, reroute, closed, months) <= 0:
            found.append(
                (
                    f"every month of the baseline period ({period}) falls in its routes' "
                    "seasonal closures, so it shows no open-road trade to grow from; choose a "
                    "period with open months",
                    ("countries", cid, "baseline", "period"),
                )
            )
    return found


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, generated from the models above."""
    schema = Scenario.model_json_schema()
    growth = schema["$defs"]["Country"]["properties"]["growth"]
    fit_alone = {
        "type": "object",
        "properties": {"fit": {"const": True, "description": "Fit growth from the history."}},
        "required": ["fit"],
        "additionalProperties": False,
    }
    growth["anyOf"] = [{"$ref": growth.pop("$ref")}, fit_alone]  # `growth: {fit: true}`
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sim scenario"
    return schema
