"""What produced an output: the versions whose random numbers and arithmetic make its figures,
and when it was made.

Every format carries it (JSON's ``provenance`` object, CSV columns, a markdown line, the
chart's footer). The date is when the output was written, in UTC, to the minute; set
``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds convention) to fix it, so
that the same command gives byte-identical files.
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from functools import cache

from sim import __version__


@cache
def versions() -> dict[str, str]:
    """sim's version and those of Python, numpy and scipy (the same seed gives the same numbers
    only with the same versions: the lock file ``constraints.txt`` pins them)."""
    import numpy
    import scipy

    return {
        "sim": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }


def made() -> str:
    """When the output is made: ``2026-12-02T06:40Z`` (UTC, to the minute), or the time given
    by ``SOURCE_DATE_EPOCH``."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(fixed), UTC) if fixed.isdigit() else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def provenance() -> dict[str, str]:
    """The versions and the date, as JSON's ``provenance`` object."""
    return {**versions(), "date": made()}


# the CSV columns every CSV of sim ends with (the same values on every row)
COLUMNS = ("sim_version", "python_version", "numpy_version", "scipy_version", "made")


def csv_values() -> list[str]:
    """The values of ``COLUMNS``."""
    both = provenance()
    return [both["sim"], both["python"], both["numpy"], both["scipy"], both["date"]]


def line() -> str:
    """``sim 0.4.0 (Python 3.11.7, numpy 2.4.6, scipy 1.17.1) on 2026-12-02 06:40 UTC``: for a
    markdown report ("Made with ...") or a chart's footer."""
    both = provenance()
    date = both["date"].replace("T", " ").replace("Z", " UTC")
    return (
        f"sim {both['sim']} (Python {both['python']}, numpy {both['numpy']}, "
        f"scipy {both['scipy']}) on {date}"
    )
