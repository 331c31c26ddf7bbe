"""The project's own errors: what went wrong, in the user's words, and where."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when one of ``choices`` is close to ``word``, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def install_extra(extra: str) -> str:
    """How to install an optional extra, said one way everywhere (README, docs, messages):
    sim is installed from its folder, not from PyPI."""
    return f"pip install '.[{extra}]' in sim's folder"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file, located as precisely as it can be."""

    file: str
    message: str
    path: str = ""
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SimError(Exception):
    """Base class for every error sim raises on purpose; the message is for the user."""


class ScenarioError(SimError):
    """One or more problems with scenario files; each prints as one line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class SimulationError(SimError):
    """A run that could not be completed (not the scenario's fault); the message says why."""


class SettingError(SimError, ValueError):
    """An option or argument that cannot be used as given (``--set``, ``--precision`` with
    ``--paths``, a variant the file does not have ...); the message says why."""


class SolveError(SimError, ValueError):
    """A question ``solve`` cannot answer; the message says why, in the user's words."""
