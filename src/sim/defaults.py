"""Every default and every choice of sim, stated once."""

from __future__ import annotations

from typing import Literal, get_args

Method = Literal["antithetic", "plain", "importance"]
Format = Literal["table", "markdown", "csv", "json"]

METHODS: tuple[Method, ...] = get_args(Method)
SAMPLING_METHODS: tuple[Method, ...] = ("antithetic", "plain")  # what analyses other than
# run take: importance sampling's weighted estimates serve run (sim.engine.tilt)
FORMATS: tuple[Format, ...] = get_args(Format)

DEFAULT_PATHS = 100_000
DEFAULT_SEED = 0
DEFAULT_METHOD: Method = "antithetic"
DEFAULT_FISCAL_YEAR_START = 7  # July: Pakistan's fiscal year
DEFAULT_MAX_PATHS = 100_000_000  # where a run to a precision stops regardless
PLOT_PATHS = DEFAULT_PATHS  # a chart shows P(target): with run's paths and seed, run's figure
PLOT_YEARS_PAST = 2  # a chart's fan runs this many years past the latest deadline (or to the
# horizon, if later)
BACKTEST_PATHS = 20_000  # per forecast: its Monte Carlo error (±0.7 points) is far below what
# one past target can tell

# A run estimated to take longer or to hold more is refused unless forced.
MAX_SECONDS = 3600.0
MAX_MEMORY = 8 * 1024**3
