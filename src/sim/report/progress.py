"""A progress bar on stderr, for runs long enough to want one, when someone is watching."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

MIN_SECONDS = 1.0


def wanted(expected_seconds: float, machine_output_to_pipe: bool) -> bool:
    """Show a bar for runs expected to take over a second, when stderr is a terminal and the
    output is not machine-readable text being piped elsewhere."""
    return expected_seconds > MIN_SECONDS and sys.stderr.isatty() and not machine_output_to_pipe


class ProgressBar:
    """``with ProgressBar(total, shown) as bar: ... bar.advance(paths)``; silent when not shown."""

    def __init__(self, total_paths: int, shown: bool) -> None:
        self.total = total_paths
        self.shown = shown
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        if self.shown:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("simulating", total=self.total)
        return self

    def advance(self, paths: int) -> None:
        if self._progress is not None and self._task is not None:  # both set together
            self._progress.update(self._task, advance=paths)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(kind, error, trace)
