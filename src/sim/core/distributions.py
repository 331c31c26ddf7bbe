"""Uncertain numbers: reading the forms of SPEC "Distributions" and drawing from them.

Per-path inputs are drawn by the quantile function applied to uniform numbers, so that a draw
is a pure function of one uniform per value. That keeps random streams aligned when a
distribution changes (common random numbers) and makes "hold this input at its 10th percentile"
a matter of passing 0.1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum

import numpy as np

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


FAMILY_PARAMETERS: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"),
    "choice": ("values", "weights"),
}
_OPTIONAL_PARAMETERS = {"weights"}

FORMS_HINT = (
    "write a number (0.25), a percentage ('25%'), a 90% interval ('20% to 60%') "
    "or a mapping such as {normal: {mean: 0.3, sd: 0.1}}"
)

_PERCENT = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_INTERVAL = re.compile(r"^(.+?)\s+to\s+(.+)$", re.IGNORECASE)
_UNITS = re.compile(r"[$€£]|million|billion|\bbn\b|\d\s*[mMbBkK]\b")

# Clip bounds for draws of explicit families (SPEC: "draws outside its domain are clipped").
_GROWTH_FLOOR = -0.99
_POSITIVE_FLOOR = float(np.finfo(float).tiny)


@dataclass(frozen=True)
class Distribution:
    """One uncertain number: a family, its parameters, its domain and how the user wrote it.

    Families: ``fixed (value)``, ``normal (mean, sd)``, ``lognormal (median, sigma)``,
    ``log_growth (mu, s)`` (a growth rate whose ln(1 + r) is normal), ``uniform (low, high)``,
    ``triangular`` and ``pert (low, mode, high)``, ``choice (values..., weights...)``.
    """

    family: str
    params: tuple[float, ...]
    domain: Domain
    text: str
    clip: bool = True
    shift: float = 0.0  # see ``shifted``

    @property
    def is_fixed(self) -> bool:
        return self.family == "fixed"

    def quantile(self, u: np.ndarray | float) -> np.ndarray:
        """The values at cumulative probabilities ``u`` (in (0, 1))."""
        u = np.asarray(u, dtype=float)
        values = self._shifted(_QUANTILES[self.family](self.params, u))
        return self._clipped(values) if self.clip else values

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
            from scipy.special import expit, logit

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
    return Distribution("fixed", (float(value),), domain, text or _format(value, domain), False)


def _ndtri(u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(u)


def _q_fixed(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    return np.full(u.shape, p[0])


def _q_normal(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    return p[0] + p[1] * _ndtri(u)


def _q_lognormal(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    return p[0] * np.exp(p[1] * _ndtri(u))


def _q_log_growth(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    return np.expm1(p[0] + p[1] * _ndtri(u))


def _q_uniform(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    return p[0] + (p[1] - p[0]) * u


def _q_triangular(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    low, mode, high = p
    width = high - low
    split = (mode - low) / width
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1.0 - u) * width * (high - mode))
    return np.where(u < split, left, right)


def _q_pert(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    from scipy.special import betaincinv

    low, mode, high = p
    width = high - low
    alpha = 1.0 + 4.0 * (mode - low) / width
    beta = 1.0 + 4.0 * (high - mode) / width
    return low + width * betaincinv(alpha, beta, u)


def _q_choice(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    n = len(p) // 2
    values, weights = np.array(p[:n]), np.array(p[n:])
    cumulative = np.cumsum(weights) / weights.sum()
    index = np.searchsorted(cumulative, u, side="right")
    return values[np.minimum(index, n - 1)]


_QUANTILES = {
    "fixed": _q_fixed,
    "normal": _q_normal,
    "lognormal": _q_lognormal,
    "log_growth": _q_log_growth,
    "uniform": _q_uniform,
    "triangular": _q_triangular,
    "pert": _q_pert,
    "choice": _q_choice,
}


# --- reading the forms ---------------------------------------------------------------------


def _format(value: float, domain: Domain) -> str:
    if domain in (Domain.GROWTH, Domain.FRACTION):
        return f"{value * 100:g}%"
    return f"{value:g}"


def read_number(value: object, subpath: tuple[str | int, ...] = ()) -> float:
    """A plain number or a percentage string (``"25%"`` is 0.25), finite."""
    if isinstance(value, bool):
        raise DistributionError(f"expected a number, not {str(value).lower()}", subpath)
    if isinstance(value, int | float):
        number = float(value)
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
    if domain is Domain.GROWTH:
        a, b = math.log1p(low), math.log1p(high)
        return Distribution("log_growth", ((a + b) / 2, (b - a) / (2 * Z95)), domain, text, False)
    if domain is Domain.FRACTION:
        return Distribution("normal", ((low + high) / 2, (high - low) / (2 * Z95)), domain, text)
    a, b = math.log(low), math.log(high)
    return Distribution("lognormal", (math.exp((a + b) / 2), (b - a) / (2 * Z95)), domain, text)


def _family(mapping: Mapping, domain: Domain) -> Distribution:
    if len(mapping) != 1:
        names = ", ".join(FAMILY_PARAMETERS)
        raise DistributionError(f"a distribution mapping needs exactly one family key: {names}")
    ((family, params),) = mapping.items()
    if family not in FAMILY_PARAMETERS:
        hint = did_you_mean(str(family), FAMILY_PARAMETERS)
        names = ", ".join(FAMILY_PARAMETERS)
        raise DistributionError(f"unknown distribution {family!r}{hint}; use one of {names}")
    expected = FAMILY_PARAMETERS[family]
    if not isinstance(params, Mapping):
        raise DistributionError(f"{family} needs a mapping of {', '.join(expected)}", (family,))
    for key in params:
        if key not in expected:
            hint = did_you_mean(str(key), expected)
            raise DistributionError(
                f"unknown parameter {key!r} for {family}{hint}; it takes {', '.join(expected)}",
                (family, key),
                at_key=True,
            )
    for key in expected:
        if key not in params and key not in _OPTIONAL_PARAMETERS:
            raise DistributionError(f"{family} needs {key!r}", (family,))
    text = f"{family} " + ", ".join(f"{k} {params[k]}" for k in expected if k in params)
    if family == "choice":
        return _choice(params, domain, text)
    values = tuple(read_number(params[k], (family, k)) for k in expected)
    _check_family(family, values, domain)
    return Distribution(family, values, domain, text)


def _check_family(family: str, values: tuple[float, ...], domain: Domain) -> None:
    if family == "normal" and values[1] < 0:
        raise DistributionError("sd must be 0 or more", (family, "sd"))
    if family == "lognormal":
        if values[0] <= 0:
            raise DistributionError("median must be above 0", (family, "median"))
        if values[1] < 0:
            raise DistributionError("sigma must be 0 or more", (family, "sigma"))
    if family == "uniform" and values[1] < values[0]:
        raise DistributionError("high must not be below low", (family, "high"))
    if family in ("triangular", "pert"):
        low, mode, high = values
        if not low < high:
            raise DistributionError("high must be above low", (family, "high"))
        if not low <= mode <= high:
            raise DistributionError("mode must lie between low and high", (family, "mode"))


def _choice(params: Mapping, domain: Domain, text: str) -> Distribution:
    values = params["values"]
    if not isinstance(values, list) or not values:
        raise DistributionError("values must be a non-empty list", ("choice", "values"))
    numbers = [read_number(v, ("choice", "values", i)) for i, v in enumerate(values)]
    for i, number in enumerate(numbers):
        check_in_domain(number, domain, "each value", ("choice", "values", i))
    weights = params.get("weights")
    if weights is None:
        weight_numbers = [1.0] * len(numbers)
    else:
        if not isinstance(weights, list) or len(weights) != len(numbers):
            raise DistributionError(
                f"weights must be a list of {len(numbers)} numbers, one per value",
                ("choice", "weights"),
            )
        weight_numbers = [read_number(w, ("choice", "weights", i)) for i, w in enumerate(weights)]
        if any(w < 0 for w in weight_numbers) or sum(weight_numbers) <= 0:
            raise DistributionError(
                "weights must be 0 or more and not all 0", ("choice", "weights")
            )
    # Sorted by value, so that the quantile function is monotone.
    pairs = sorted(zip(numbers, weight_numbers, strict=True))
    return Distribution(
        "choice", tuple(v for v, _ in pairs) + tuple(w for _, w in pairs), domain, text
    )


def parse_uncertain(value: object, domain: Domain) -> Distribution:
    """Read any form of SPEC's uncertain numbers for a quantity in ``domain``."""
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
