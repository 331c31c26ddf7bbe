"""The scenario format (SPEC "Scenario file") as pydantic models, with every validation rule.

Validation needs three facts from the whole file, passed as pydantic validation context:
``fiscal_year_start`` (to read fiscal years), and the names of the file's ``routes`` and
``countries`` (to check references). ``sim.scenario.load`` supplies them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictInt,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
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
from sim.core.periods import Period, PeriodError, month_name, parse_period
from sim.errors import did_you_mean

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
SHARE_TOLERANCE = 1e-6
MAX_SIMULATED_YEARS = 100


Finding = tuple[str, tuple[str | int, ...]]


def problem(message: str, *subpath: str | int, at_key: bool = False) -> PydanticCustomError:
    """A field's validation error in the user's words, optionally pointing below the field
    (at the key there, with ``at_key``, rather than at its value)."""
    context = {"message": message, "findings": [(message, subpath)], "at_key": at_key}
    return PydanticCustomError("scenario", "{message}", context)


def problems(found: list[Finding], nested: list[Any] | None = None) -> PydanticCustomError:
    """An object's rule violations, each (message, path below the object); one with an empty
    path is about the whole object and points at its name. ``nested`` carries the object's
    field errors (pydantic's error dicts) when both are reported together."""
    context = {
        "message": found[0][0],
        "findings": found,
        "at_key": False,
        "object": True,
        "nested": nested or [],
    }
    return PydanticCustomError("scenario", "{message}", context)


Rules = Callable[[dict[str, Any], dict[str, Any]], list[Finding]]


def with_rules(rules: Rules) -> Any:
    """A model validator that checks ``rules(raw mapping, context)`` on the raw data alongside
    the fields' own validation, so that a bad field does not hide a broken rule: both kinds of
    problems are reported at once. Rules skip what they cannot read (the field errors say why).
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
        return model

    return model_validator(mode="wrap")(classmethod(validate))


def _present(raw: dict[str, Any], key: str) -> bool:
    return raw.get(key) is not None


def _period_of(raw: Any, key: str, context: dict[str, Any]) -> Period | None:
    """The period at ``raw[key]``, or None when it is missing or unreadable."""
    if not isinstance(raw, dict) or raw.get(key) is None:
        return None
    try:
        return parse_period(raw[key], context.get("fiscal_year_start", 7))
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


def _uncertain(domain: Domain) -> Any:
    def validate(value: object) -> Distribution:
        try:
            return parse_uncertain(value, domain)
        except DistributionError as error:
            raise problem(error.message, *error.subpath, at_key=error.at_key) from None

    return Annotated[Distribution, PlainValidator(validate), WithJsonSchema(_UNCERTAIN_SCHEMA)]


GrowthRate = _uncertain(Domain.GROWTH)
Positive = _uncertain(Domain.POSITIVE)
NonNegative = _uncertain(Domain.NONNEGATIVE)
Fraction = _uncertain(Domain.FRACTION)


def _fixed_number(domain: Domain) -> Any:
    def validate(value: object) -> float:
        if isinstance(value, str) and " to " in value:
            raise problem("this field takes one fixed value, not an interval")
        try:
            number = read_number(value)
            check_in_domain(number, domain)
        except DistributionError as error:
            raise problem(error.message) from None
        return number

    return Annotated[
        float, PlainValidator(validate), WithJsonSchema({"type": ["number", "string"]})
    ]


PositiveNumber = _fixed_number(Domain.POSITIVE)
NonNegativeNumber = _fixed_number(Domain.NONNEGATIVE)
FractionNumber = _fixed_number(Domain.FRACTION)


def _period(value: object, info: ValidationInfo) -> Period:
    start = (info.context or {}).get("fiscal_year_start", 7)
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


def _reference(kind: str, singular: str) -> Any:
    """A name that must be one of the file's ``routes`` or ``countries``."""

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

    return Annotated[str, PlainValidator(validate), WithJsonSchema({"type": "string"})]


RouteName = _reference("routes", "route")
CountryName = _reference("countries", "country")
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


class Growth(_Strict):
    """How the trend and the randomness around it are described."""

    rate: GrowthRate = Field(
        description="Trend annual growth of the median path (growth rate).",
        examples=["20% to 60%", 0.25, {"normal": {"mean": 0.3, "sd": 0.1}}],
    )
    volatility: NonNegative = Field(
        fixed(0.0, Domain.NONNEGATIVE),
        description="Annualised sd of persistent log shocks (positive or 0).",
        json_schema_extra={"default": 0, "examples": ["25%", "15% to 35%"]},
    )
    noise: NonNegative = Field(
        fixed(0.0, Domain.NONNEGATIVE),
        description="Sd of transitory month-to-month log noise (positive or 0).",
        json_schema_extra={"default": 0, "examples": ["10%"]},
    )


class Country(_Strict):
    """One partner country's trade: baseline, target, growth and the routes it uses."""

    label: str | None = Field(
        None, description="Display name (default: the id).", examples=["Kazakhstan"]
    )
    baseline: Baseline = Field(
        description="Trade observed over a period.",
        examples=[{"value": "85 to 140", "period": "2025-01/2025-07"}],
    )
    target: Target = Field(
        description="The announced target and its deadline.",
        examples=[{"value": 1000, "by": 2027}],
    )
    growth: Growth = Field(
        description="Trend growth and randomness.",
        examples=[{"rate": "0% to 80%", "volatility": "25%", "noise": "15%"}],
    )
    routes: dict[RouteName, FractionNumber] | None = Field(
        None,
        description="Shares of this country's trade by route; must sum to 1.",
        examples=[{"afghan_transit": 0.6, "china_kkh": 0.4}],
    )

    _rules = with_rules(lambda raw, context: _country_rules(raw, context))


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
    shares = raw.get("routes")
    if isinstance(shares, dict) and shares:
        try:
            total = sum(read_number(share) for share in shares.values())
        except DistributionError:
            total = 1.0  # an unreadable share has its own error
        if abs(total - 1.0) > SHARE_TOLERANCE:
            found.append((f"route shares must sum to 1, not {total:g}", ("routes",)))
    return found


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
        description="Countries its level/growth effects act on (default all).",
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
    severity: Fraction | None = Field(
        None,
        description="Fraction of the routes' trade lost while active.",
        examples=["60% to 100%", 1],
    )
    level: GrowthRate | None = Field(
        None,
        description="Multiplies trade by (1 + x) while active.",
        examples=["+30% to +100%", "-20%"],
    )
    growth: GrowthRate | None = Field(
        None,
        description="Multiplies the yearly growth factor by (1 + x) while active.",
        examples=["+5%"],
    )
    ramp: NonNegativeNumber = Field(
        0.0, description="Months to phase a level effect in.", examples=[12]
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
    if not any(_present(raw, effect) for effect in ("severity", "level", "growth")):
        found.append(("an event needs an effect: severity, level or growth", ()))
    if _present(raw, "severity") and not raw.get("routes"):
        found.append(("severity acts on routes, but this event names no routes", ("severity",)))
    for kind in ("routes", "countries"):
        names = raw.get(kind)
        if isinstance(names, list):
            for i, name in enumerate(names):
                if isinstance(name, str) and name in names[:i]:
                    found.append((f"{name!r} is named twice", (kind, i)))
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
        7, description="Month (1–12) in which fiscal years begin.", examples=[7, 4]
    )
    horizon: PeriodField | None = Field(
        None,
        description="Simulate until its end (default: the latest deadline).",
        examples=[2032, "2030-31"],
    )
    seed: Annotated[StrictInt, Field(ge=0)] | None = Field(
        None, description="Default seed (the command line's --seed wins).", examples=[20251213]
    )
    paths: Annotated[StrictInt, Field(ge=1)] | None = Field(
        None, description="Default number of paths (--paths wins).", examples=[100000]
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

    variants: dict[Name, VariantSpec] = Field(
        default_factory=dict,
        description="What-ifs, by name: overrides of this file's fields (see sim compare).",
    )

    _rules = with_rules(lambda raw, context: _horizon_rules(raw, context))

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


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, generated from the models above."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sim scenario"
    return schema
