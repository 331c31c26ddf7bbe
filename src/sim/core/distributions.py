"""Uncertain numbers: reading the forms of SPEC "Distributions" and drawing from them.

Per-path inputs are drawn by the quantile function applied to uniform numbers, so that a draw
is a pure function of one uniform per value. That keeps random streams aligned when a
distribution changes (common random numbers) and makes "hold this input at its 10th percentile"
a matter of passing 0.1.

Every distribution family is one record in ``FAMILIES``: its parameters, quantile function,
parameter check, ``scipy.stats`` equivalent and wording. Reading, drawing and describing look
families up there, and ``tests/test_families.py`` runs one contract over every entry, so a new
family is one entry here plus its small subclass there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

import numpy as np

from sim.core.special import expit, logit, ndtri
from sim.errors import did_you_mean

Z95 = 1.6448536269514722  # standard normal 95th percentile: a 90% interval spans ±Z95 sd


class Domain(Enum):
    """What values a quantity may take; decides how an interval is read and how draws clip."""

    GROWTH = "growth rate"
    POSITIVE = "positive"
    NONNEGATIVE = "positive or 0"
    FRACTION = "fraction"


class DistributionError(ValueError):
    """An uncertain number the user wrote wrongly; ``subpath`` points inside a mapping form."""

    def __init__(
        self, message: str, subpath: tuple[str | int, ...] = (), at_key: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.subpath = subpath
        self.at_key = at_key  # the problem is the key at ``subpath``, not its value


FORMS_HINT = (
    "write a number (0.25), a percentage ('25%'), a 90% interval ('20% to 60%') "
    "or a mapping such as {normal: {mean: 0.3, sd: 0.1}}"
)

_PERCENT = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*%$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_INTERVAL = re.compile(r"^(.+?)\s+to\s+(.+)$", re.IGNORECASE)
_UNITS = re.compile(r"[$€£]|million|billion|\bbn\b|\d\s*[mMbBkK]\b")

# Clip bounds for draws of explicit families (SPEC: "draws outside its domain are clipped").
_GROWTH_FLOOR = -0.99
_POSITIVE_FLOOR = float(np.finfo(float).tiny)

Params = tuple[float, ...]
Flaw = tuple[str, str]  # (parameter, message): the first thing wrong with a family's parameters


@dataclass(frozen=True)
class Family:
    """One distribution family: what reading, drawing, describing and testing need of it.

    ``params`` of a ``Distribution`` of this family are the numbers of ``parameters`` in order
    (``choice`` holds its values, then as many weights).
    """

    name: str
    parameters: tuple[str, ...]  # names in the mapping form, in the order of ``params``
    quantile: Callable[[Params, np.ndarray], np.ndarray]
    check: Callable[[Params], Flaw | None]  # with the message the user sees
    scipy: Callable[[Params], Any]  # the same distribution as a frozen ``scipy.stats`` one
    written: bool = True  # a file may name it in the mapping form; else only forms reach it
    clip: bool = True  # draws are clipped to the quantity's domain (SPEC: explicit families)
    domains: frozenset[Domain] = frozenset(Domain)  # the quantities it can serve
    interval: Callable[[float, float], Params] | None = None  # params with these 5th/95th pcts
    interval_domains: frozenset[Domain] = frozenset()  # where "a to b" is read as this family
    optional: frozenset[str] = frozenset()  # parameters the mapping form may leave out
    reader: Callable[[Mapping[Any, Any], Domain], Params] | None = None  # non-number params
    # parameters not in the quantity's own unit (a log-scale sigma, weights): the percentage
    # rule (``check_percentages``) leaves them alone
    scale_free: frozenset[str] = frozenset()
    wording: Callable[[Mapping[Any, Any], Domain], str] | None = None  # see ``describe``

    def read(self, written: Mapping[Any, Any], domain: Domain) -> Params:
        """The parameters of the mapping form (keys already checked), checked."""
        if self.reader is not None:
            params = self.reader(written, domain)
        else:
            params = tuple(read_number(written[k], (self.name, k)) for k in self.parameters)
        if flaw := self.check(params):
            raise DistributionError(flaw[1], (self.name, flaw[0]))
        return params

    def describe(self, written: Mapping[Any, Any], domain: Domain) -> str:
        """How reports show a value of this family, from its parameters as the user wrote
        them: by default ``normal mean 30%, sd 10%``."""
        if self.wording is not None:
            return self.wording(written, domain)
        shown = ", ".join(f"{k} {written[k]}" for k in self.parameters if k in written)
        return f"{self.name} {shown}"


@dataclass(frozen=True)
class Distribution:
    """One uncertain number: a family (a name in ``FAMILIES``), its parameters, its domain and
    how the user wrote it."""

    family: str
    params: Params
    domain: Domain
    text: str
    shift: float = 0.0  # see ``shifted``

    @property
    def is_fixed(self) -> bool:
        return self.family == "fixed"

    @property
    def clip(self) -> bool:
        return FAMILIES[self.family].clip

    def quantile(self, u: np.ndarray | float) -> np.ndarray:
        """The values at cumulative probabilities ``u`` (in (0, 1))."""
        u = np.asarray(u, dtype=float)
        family = FAMILIES[self.family]
        values = self._shifted(family.quantile(self.params, u))
        return self._clipped(values) if family.clip else values

    def shifted(self, shift: float) -> Distribution:
        """The distribution moved by ``shift`` on its natural scale: ln(1 + r) for a growth
        rate, ln x (a scaling) for a positive quantity, the logit for a fraction. The same
        uniform numbers give the moved values, so runs at different shifts stay paired."""
        return replace(self, shift=self.shift + shift, text=f"{self.text} (shifted {shift:+.4g})")

    def _shifted(self, values: np.ndarray) -> np.ndarray:
        if self.shift == 0.0:
            return values
        if self.domain is Domain.GROWTH:
            return (1.0 + values) * math.exp(self.shift) - 1.0
        if self.domain is Domain.FRACTION:
            return expit(logit(np.clip(values, 0.0, 1.0)) + self.shift)
        return values * math.exp(self.shift)

    def median(self) -> float:
        return float(self.quantile(0.5))

    def _clipped(self, values: np.ndarray) -> np.ndarray:
        if self.domain is Domain.GROWTH:
            return np.maximum(values, _GROWTH_FLOOR)
        if self.domain is Domain.POSITIVE:
            return np.maximum(values, _POSITIVE_FLOOR)
        if self.domain is Domain.NONNEGATIVE:
            return np.maximum(values, 0.0)
        return np.clip(values, 0.0, 1.0)


def fixed(value: float, domain: Domain, text: str | None = None) -> Distribution:
    """A number the user wrote: used as written (SPEC clips only explicit families' draws, so a
    fixed growth rate of -99.5% stays -99.5%; out-of-domain numbers are errors when read)."""
    shown = text or FAMILIES["fixed"].describe({"value": value}, domain)
    return Distribution("fixed", (float(value),), domain, shown)


# --- the families ------------------------------------------------------------------------------


def _stats() -> Any:
    from scipy import stats  # slow to import; only tests and docs build references

    return stats


def _no_flaw(p: Params) -> Flaw | None:
    return None


def _at_least_zero(index: int, name: str) -> Callable[[Params], Flaw | None]:
    def check(p: Params) -> Flaw | None:
        return (name, f"{name} must be 0 or more") if p[index] < 0 else None

    return check


def _spread(low: float, high: float) -> float:
    """The sd of a normal whose 5th and 95th percentiles are ``low`` and ``high``."""
    return (high - low) / (2 * Z95)


# fixed (value): a number, the same on every path.


def _q_fixed(p: Params, u: np.ndarray) -> np.ndarray:
    return np.full(u.shape, p[0])


def _format(value: float, domain: Domain) -> str:
    if domain in (Domain.GROWTH, Domain.FRACTION):
        return f"{value * 100:g}%"
    return f"{value:g}"


# normal (mean, sd); on a fraction, "a to b" is this, clipped to [0, 1].


def _q_normal(p: Params, u: np.ndarray) -> np.ndarray:
    return p[0] + p[1] * ndtri(u)


def _interval_normal(low: float, high: float) -> Params:
    return ((low + high) / 2, _spread(low, high))


# lognormal (median, sigma of the log); on a positive quantity, "a to b" is this.


def _q_lognormal(p: Params, u: np.ndarray) -> np.ndarray:
    return p[0] * np.exp(p[1] * ndtri(u))


def _check_lognormal(p: Params) -> Flaw | None:
    if p[0] <= 0:
        return ("median", "median must be above 0")
    return _at_least_zero(1, "sigma")(p)


def _interval_lognormal(low: float, high: float) -> Params:
    a, b = math.log(low), math.log(high)
    return (math.exp((a + b) / 2), _spread(a, b))


# log_growth (mu, s): a growth rate r whose ln(1 + r) is normal; on a growth rate, "a to b".


def _q_log_growth(p: Params, u: np.ndarray) -> np.ndarray:
    return np.expm1(p[0] + p[1] * ndtri(u))


def _interval_log_growth(low: float, high: float) -> Params:
    a, b = math.log1p(low), math.log1p(high)
    return ((a + b) / 2, _spread(a, b))


# uniform (low, high).


def _q_uniform(p: Params, u: np.ndarray) -> np.ndarray:
    return p[0] + (p[1] - p[0]) * u


def _check_uniform(p: Params) -> Flaw | None:
    return ("high", "high must not be below low") if p[1] < p[0] else None


# triangular and pert (low, mode, high); pert is beta-PERT with λ = 4.


def _check_low_mode_high(p: Params) -> Flaw | None:
    low, mode, high = p
    if not low < high:
        return ("high", "high must be above low")
    if not low <= mode <= high:
        return ("mode", "mode must lie between low and high")
    return None


def _q_triangular(p: Params, u: np.ndarray) -> np.ndarray:
    low, mode, high = p
    width = high - low
    split = (mode - low) / width
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1.0 - u) * width * (high - mode))
    return np.where(u < split, left, right)


def _q_pert(p: Params, u: np.ndarray) -> np.ndarray:
    from scipy.special import betaincinv

    low, mode, high = p
    width = high - low
    alpha = 1.0 + 4.0 * (mode - low) / width
    beta = 1.0 + 4.0 * (high - mode) / width
    return low + width * betaincinv(alpha, beta, u)


# choice (values, weights): one of the values, with chances in proportion to the weights.


def _q_choice(p: Params, u: np.ndarray) -> np.ndarray:
    n = len(p) // 2
    values, weights = np.array(p[:n]), np.array(p[n:])
    cumulative = np.cumsum(weights) / weights.sum()
    index = np.searchsorted(cumulative, u, side="right")
    return values[np.minimum(index, n - 1)]


def _check_choice(p: Params) -> Flaw | None:
    weights = p[len(p) // 2 :]
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        return ("weights", "weights must be 0 or more and not all 0")
    return None


def _read_choice(written: Mapping[Any, Any], domain: Domain) -> Params:
    values = written["values"]
    if not isinstance(values, list) or not values:
        raise DistributionError("values must be a non-empty list", ("choice", "values"))
    numbers = [read_number(v, ("choice", "values", i)) for i, v in enumerate(values)]
    for i, number in enumerate(numbers):
        check_in_domain(number, domain, "each value", ("choice", "values", i))
    weights = written.get("weights")
    if weights is None:
        weight_numbers = [1.0] * len(numbers)
    else:
        if not isinstance(weights, list) or len(weights) != len(numbers):
            raise DistributionError(
                f"weights must be a list of {len(numbers)} numbers, one per value",
                ("choice", "weights"),
            )
        weight_numbers = [read_number(w, ("choice", "weights", i)) for i, w in enumerate(weights)]
    # Sorted by value, so that the quantile function is monotone.
    pairs = sorted(zip(numbers, weight_numbers, strict=True))
    return tuple(v for v, _ in pairs) + tuple(w for _, w in pairs)


def _discrete(values: Params, weights: Params) -> Any:
    """A scipy.stats discrete distribution on ``values`` (repeats merged) with these weights."""
    merged: dict[float, float] = {}
    for value, weight in zip(values, weights, strict=True):
        merged[value] = merged.get(value, 0.0) + weight
    chances = np.array(list(merged.values())) / sum(merged.values())
    return _stats().rv_discrete(values=(np.array(list(merged)), chances))()


def _choice_words(written: Mapping[Any, Any], domain: Domain) -> str:
    """``450 or 142.9 (chances 75% and 25%)``; ``1 or 2 (equally likely)``."""
    values = [v if isinstance(v, str) else _format(float(v), domain) for v in written["values"]]
    weights = [float(w) for w in written.get("weights") or [1.0] * len(values)]
    if len(weights) != len(values) or min(weights, default=0) < 0 or sum(weights) <= 0:
        return f"choice of {' or '.join(values)}"  # refused when read: said as written
    shares = [f"{w / sum(weights) * 100:.3g}%" for w in weights]
    said = " or ".join(values)
    if len(set(weights)) == 1:
        return f"{said} (equally likely)" if len(values) > 1 else said
    return f"{said} (chances {', '.join(shares[:-1])} and {shares[-1]})"


def _scipy_choice(p: Params) -> Any:
    n = len(p) // 2
    return _discrete(p[:n], p[n:])


def _scipy_triangular(p: Params) -> Any:
    low, mode, high = p
    return _stats().triang((mode - low) / (high - low), loc=low, scale=high - low)


def _scipy_pert(p: Params) -> Any:
    # Written out again, not shared with _q_pert, so the contract test compares two readings.
    low, mode, high = p
    shape = (mode - low) / (high - low)
    return _stats().beta(1 + 4 * shape, 1 + 4 * (1 - shape), loc=low, scale=high - low)


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        # The families a file may name, in the order messages list them.
        Family(
            "normal",
            ("mean", "sd"),
            _q_normal,
            _at_least_zero(1, "sd"),
            lambda p: _stats().norm(p[0], p[1]),
            interval=_interval_normal,
            interval_domains=frozenset({Domain.FRACTION}),
        ),
        Family(
            "lognormal",
            ("median", "sigma"),
            _q_lognormal,
            _check_lognormal,
            lambda p: _stats().lognorm(p[1], scale=p[0]),
            interval=_interval_lognormal,
            interval_domains=frozenset({Domain.POSITIVE, Domain.NONNEGATIVE}),
            scale_free=frozenset({"sigma"}),
        ),
        Family(
            "uniform",
            ("low", "high"),
            _q_uniform,
            _check_uniform,
            lambda p: _stats().uniform(p[0], p[1] - p[0]),
        ),
        Family(
            "triangular",
            ("low", "mode", "high"),
            _q_triangular,
            _check_low_mode_high,
            _scipy_triangular,
        ),
        Family("pert", ("low", "mode", "high"), _q_pert, _check_low_mode_high, _scipy_pert),
        Family(
            "choice",
            ("values", "weights"),
            _q_choice,
            _check_choice,
            _scipy_choice,
            optional=frozenset({"weights"}),
            reader=_read_choice,
            scale_free=frozenset({"weights"}),
            wording=_choice_words,
        ),
        # Families only the other forms reach: an interval on a growth rate, and a number.
        Family(
            "log_growth",
            ("mu", "s"),
            _q_log_growth,
            _at_least_zero(1, "s"),
            lambda p: _stats().lognorm(p[1], loc=-1.0, scale=math.exp(p[0])),
            written=False,
            clip=False,
            domains=frozenset({Domain.GROWTH}),
            interval=_interval_log_growth,
            interval_domains=frozenset({Domain.GROWTH}),
        ),
        Family(
            "fixed",
            ("value",),
            _q_fixed,
            _no_flaw,
            lambda p: _discrete(p, (1.0,)),
            written=False,
            clip=False,
            wording=lambda written, domain: _format(written["value"], domain),
        ),
    )
}

_WRITTEN = tuple(name for name, family in FAMILIES.items() if family.written)
# How "a to b" is read in each domain: the family's name and its parameters from the two ends.
_INTERVALS = {
    domain: (family.name, family.interval)
    for family in FAMILIES.values()
    if family.interval is not None
    for domain in family.interval_domains
}


# --- reading the forms ---------------------------------------------------------------------


def read_number(value: object, subpath: tuple[str | int, ...] = ()) -> float:
    """A plain number or a percentage string (``"25%"`` is 0.25), finite."""
    if isinstance(value, bool):
        raise DistributionError(f"expected a number, not {str(value).lower()}", subpath)
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits
            message = "expected a finite number; this one is too large"
            raise DistributionError(message, subpath) from None
    elif isinstance(value, str):
        text = value.strip()
        if match := _PERCENT.match(text):
            number = float(match[1]) / 100.0
        elif _NUMBER.match(text):
            number = float(text)
        elif text.lower().lstrip("+-") in ("inf", ".inf", "infinity", "nan", ".nan"):
            raise DistributionError(f"{value!r} is not a finite number", subpath)
        elif re.fullmatch(r"[+-]?\d{1,3}([,_]\d{3})+(\.\d*)?", text):
            plain = re.sub(r"[,_]", "", text)
            raise DistributionError(
                f"{value!r}: write numbers without separators, e.g. {plain}", subpath
            )
        elif _UNITS.search(text):
            raise DistributionError(
                f"{value!r} has a unit in it; write a plain number in the file's unit "
                "(the top-level `unit`, USD million by default), e.g. 90",
                subpath,
            )
        else:
            raise DistributionError(f"{value!r} is not a number or a percentage", subpath)
    else:
        raise DistributionError("expected a number or a percentage", subpath)
    if not math.isfinite(number):
        raise DistributionError("expected a finite number", subpath)
    return number


def check_in_domain(
    number: float, domain: Domain, what: str = "", subpath: tuple[str | int, ...] = ()
) -> None:
    """Raise DistributionError unless ``number`` lies in ``domain``."""
    rule = {
        Domain.GROWTH: ("must be above -100% (a growth rate)", number > -1.0),
        Domain.POSITIVE: ("must be above 0", number > 0.0),
        Domain.NONNEGATIVE: ("must be 0 or more", number >= 0.0),
        Domain.FRACTION: ("must be between 0% and 100%", 0.0 <= number <= 1.0),
    }
    message, ok = rule[domain]
    if not ok:
        raise DistributionError(f"{what} {message}" if what else message, subpath)


def _interval(text: str, low_text: str, high_text: str, domain: Domain) -> Distribution:
    try:
        low, high = read_number(low_text), read_number(high_text)
    except DistributionError:
        raise DistributionError(
            f"{text!r}: both ends of an interval must be numbers or percentages, "
            "e.g. '20% to 60%' or '1 to 4'"
        ) from None
    if high < low:
        raise DistributionError(f"{text!r}: the first end must not be larger than the second")
    if domain in (Domain.POSITIVE, Domain.NONNEGATIVE) and low <= 0.0:
        raise DistributionError(
            f"{text!r}: an interval for a positive quantity is read as a lognormal, so both "
            "ends must be above 0; for a range that starts at 0 write "
            f"{{uniform: {{low: 0, high: {high:g}}}}} or "
            f"{{triangular: {{low: 0, mode: ..., high: {high:g}}}}}"
        )
    check_in_domain(low, domain, f"{text!r}: the first end")
    check_in_domain(high, domain, f"{text!r}: the second end")
    name, params = _INTERVALS[domain]
    return Distribution(name, params(low, high), domain, text)


def _family(mapping: Mapping[Any, Any], domain: Domain) -> Distribution:
    names = ", ".join(_WRITTEN)
    if len(mapping) != 1:
        raise DistributionError(f"a distribution mapping needs exactly one family key: {names}")
    ((name, written),) = mapping.items()
    if name not in _WRITTEN:
        hint = did_you_mean(str(name), _WRITTEN)
        raise DistributionError(f"unknown distribution {name!r}{hint}; use one of {names}")
    family = FAMILIES[name]
    expected = family.parameters
    if not isinstance(written, Mapping):
        raise DistributionError(f"{name} needs a mapping of {', '.join(expected)}", (name,))
    for key in written:
        if key not in expected:
            hint = did_you_mean(str(key), expected)
            raise DistributionError(
                f"unknown parameter {key!r} for {name}{hint}; it takes {', '.join(expected)}",
                (name, key),
                at_key=True,
            )
    for key in expected:
        if key not in written and key not in family.optional:
            raise DistributionError(f"{name} needs {key!r}", (name,))
    text = family.describe(written, domain)
    return Distribution(name, family.read(written, domain), domain, text)


def parse_uncertain(value: object, domain: Domain, percent: str | None = None) -> Distribution:
    """Read any form of SPEC's uncertain numbers for a quantity in ``domain``.

    ``percent`` marks a percentage field (a growth rate, a volatility, noise) and says what a
    percentage of it means, ``{}`` standing for the percentage (``"{} a year"``): its bare
    numbers then follow the percentage rule (``check_percentages``).
    """
    if percent is not None:
        check_percentages(value, domain, percent)
    if isinstance(value, Mapping):
        return _family(value, domain)
    if isinstance(value, str) and (match := _INTERVAL.match(value.strip())):
        return _interval(value.strip(), match[1], match[2], domain)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            number = read_number(value)
        except DistributionError as error:
            generic = error.message.endswith("is not a number or a percentage")
            raise DistributionError(
                f"{error.message}; {FORMS_HINT}" if generic else error.message
            ) from None
        check_in_domain(number, domain)
        return fixed(number, domain, value if isinstance(value, str) else None)
    raise DistributionError(f"expected an uncertain number: {FORMS_HINT}")


# --- the percentage rule ---------------------------------------------------------------------
#
# One rule for every percentage field (docs/scenario-format.md, "Percentages"): a bare number
# is a fraction of one, so 0.3 is 30%, and it must lie between -1 and 1. A bare 30 in a growth
# rate is read as +3000% a year; that is almost always "30%" without its sign, and a run would
# print it as a near-certain success. So a bare number of magnitude 1 or more is an error that
# says how to write what was meant; a percentage string ("3000%") is explicit and stays allowed.
# Fractions (severity, probability, reroute, route shares) keep the rule by their domain, which
# already ends at 1 (100%).


def _bare(value: object) -> float | None:
    """The number ``value`` is when written without a percent sign; None for anything else."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str) and _NUMBER.match(value.strip()):
            number = float(value.strip())
        else:
            return None
    except OverflowError:  # an integer too long for a float: reading says so
        return None
    return number if math.isfinite(number) else None


def _trapped(number: float | None, domain: Domain) -> bool:
    """Whether a bare number breaks the rule (a negative volatility is its domain's error)."""
    if number is None:
        return False
    return abs(number) >= 1.0 if domain is Domain.GROWTH else number >= 1.0


def _as_percent(number: float, signed: bool) -> str:
    return f"{number * 100:+.10g}%" if signed else f"{number * 100:.10g}%"


def _in_domain(number: float, domain: Domain) -> bool:
    try:
        check_in_domain(number, domain)
    except DistributionError:
        return False
    return True


_ONES = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
)
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _in_words(text: str) -> str:
    """A whole number below 100 in words (``30``: thirty, ``-5``: minus five); else as written."""
    sign, digits = ("minus ", text[1:]) if text.startswith("-") else ("", text.lstrip("+"))
    if not digits.isdigit() or int(digits) >= 100:
        return text
    number = int(digits)
    if number < 20:
        return sign + _ONES[number]
    tens, ones = divmod(number, 10)
    return sign + _TENS[tens - 2] + (f"-{_ONES[ones]}" if ones else "")


def _trap_message(
    written: str, meant: str, fix: str, words: str, literal: str | None, quoted: bool
) -> str:
    shown = repr(written) if quoted else written
    fix, literal = (repr(fix), repr(literal)) if quoted else (fix, literal)
    said = " to ".join(_in_words(word) for word in words.split(" to "))
    message = f"{shown} would mean {meant}; write {fix} for {said} percent"
    return message + (f" (or {literal} if you mean it)" if literal else "")


def check_percentages(value: object, domain: Domain, meaning: str) -> None:
    """Raise DistributionError when a percentage field holds a bare number of magnitude 1 or
    more: as a plain number, an end of an interval or a family's parameter. ``meaning`` says
    what a percentage of the field means (``"{} a year"``). What is not a number here is left
    for reading to judge."""
    signed = domain is Domain.GROWTH
    if isinstance(value, Mapping):
        _check_family(value, domain)
    elif isinstance(value, str) and (match := _INTERVAL.match(value.strip())):
        ends = (match[1].strip(), match[2].strip())
        bare = [_bare(end) for end in ends]
        if not any(_trapped(number, domain) for number in bare):
            return
        try:
            numbers = [read_number(end) for end in ends]
        except DistributionError:
            return
        fix = " to ".join(e + "%" if b is not None else e for e, b in zip(ends, bare, strict=True))
        meant = " to ".join(_as_percent(n, signed) for n in numbers)
        raise DistributionError(
            _trap_message(
                value.strip(),
                meaning.format(meant),
                fix,
                " to ".join(e.rstrip("%").strip() for e in ends),
                " to ".join(_as_percent(n, False) for n in numbers)
                if all(_in_domain(n, domain) for n in numbers)
                else None,
                quoted=True,
            )
        )
    else:
        number = _bare(value)
        if number is None or not _trapped(number, domain):
            return
        written = str(value).strip()
        raise DistributionError(
            _trap_message(
                written,
                meaning.format(_as_percent(number, signed)),
                f"{written}%",
                written,
                _as_percent(number, False) if _in_domain(number, domain) else None,
                quoted=False,
            )
        )


def _check_family(mapping: Mapping[Any, Any], domain: Domain) -> None:
    """The rule on a family's parameters in the quantity's unit (not a sigma or weights)."""
    if len(mapping) != 1:
        return
    ((name, written),) = mapping.items()
    family = FAMILIES.get(name) if isinstance(name, str) else None
    if family is None or not family.written or not isinstance(written, Mapping):
        return
    for key, item in written.items():
        if key not in family.parameters or key in family.scale_free:
            continue
        items = list(enumerate(item)) if isinstance(item, list) else [(None, item)]
        for index, each in items:
            number = _bare(each)
            if number is None or not _trapped(number, domain):
                continue
            shown = str(each).strip()
            subpath = (name, key) if index is None else (name, key, index)
            raise DistributionError(
                _trap_message(
                    shown,
                    _as_percent(number, False),
                    f"{shown}%",
                    shown,
                    _as_percent(number, False),
                    quoted=False,
                ),
                subpath,
            )
