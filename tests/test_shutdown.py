"""Clean shutdown, in process: stop signals map to one line and 128 + N, worker processes die
with their parent and ignore Ctrl-C, the pool starts before any thread, its start method is
chosen explicitly, --workers is capped and cost estimates use the real cores."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from click.testing import CliRunner

from conftest import VALID, model_of
from sim.cli import Interrupted, cli
from sim.engine import workers
from sim.session import WORKERS_PER_CORE, Job, RunOptions, Session


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(VALID)
    return path


@pytest.mark.parametrize(
    ("number", "status"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
def test_a_stop_signal_is_one_line_and_128_plus_its_number(
    small, tmp_path, monkeypatch, number, status
):
    import sim.engine.run

    def stopped(*args, **kwargs):
        raise Interrupted(number)

    monkeypatch.setattr(sim.engine.run, "simulate", stopped)
    result = CliRunner().invoke(cli, ["run", str(small), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == status
    name = signal.Signals(number).name
    assert result.output == f"sim: interrupted ({name}); nothing was written\n"
    assert not (tmp_path / "out.csv").exists()


def test_the_start_method_is_chosen_not_left_to_python():
    expected = "fork" if sys.platform.startswith("linux") else "spawn"
    assert workers.start_method() == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_dies_with_its_parent_and_ignores_ctrl_c():
    # A parent process starts a pool and is killed with SIGKILL: its worker goes at once.
    program = textwrap.dedent(
        """
        import os, sys, time
        from sim.engine.workers import WorkerPool
        pool = WorkerPool(1)
        pool.start()
        (pid,) = pool.executor._processes
        print(pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    os.kill(worker, signal.SIGINT)  # ignored: the parent stops its workers
    time.sleep(0.2)
    assert _alive(worker)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_whose_parent_is_gone_already_exits(monkeypatch):
    exits = []
    monkeypatch.setattr(workers, "_die_with_parent", lambda: True)
    monkeypatch.setattr(os, "_exit", exits.append)
    workers._watch_parent(os.getppid() + 1)  # not our parent: it has gone
    assert exits == [0]


def test_without_pdeathsig_a_thread_watches_the_parent(monkeypatch):
    started = []
    monkeypatch.setattr(workers, "_die_with_parent", lambda: False)
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    workers._watch_parent(os.getppid())
    assert len(started) == 1 and started[0].daemon


def test_the_pool_starts_before_the_progress_bar_thread(tmp_path, monkeypatch):
    from sim.report.progress import ProgressBar

    model = model_of(tmp_path, VALID)
    seen = []
    real = ProgressBar.__enter__

    def entering(bar):
        seen.append((session.pool._executor is not None, threading.active_count()))
        return real(bar)

    monkeypatch.setattr(ProgressBar, "__enter__", entering)
    session = Session(RunOptions(workers=2, progress=True), [Job(model, 200_000, 0)])
    with session:
        pass
    assert seen and seen[0][0], "the workers must be forked before the bar's thread starts"


def test_workers_are_capped_by_cores_and_blocks(tmp_path, monkeypatch):
    import sim.engine.workers

    monkeypatch.setattr(sim.engine.workers, "available_cores", lambda: 2)
    model = model_of(tmp_path, VALID)
    many = Session(RunOptions(workers=1000), [Job(model, 10_000_000, 0)])
    assert many.workers == WORKERS_PER_CORE * 2
    few_blocks = Session(RunOptions(workers=8), [Job(model, 40_000, 0)])
    assert few_blocks.workers == 2  # 40,000 paths make two blocks of 32,768


def test_cost_estimates_use_the_real_cores(tmp_path, monkeypatch):
    # --workers 200 on 2 cores must not divide the estimate by 200
    import sim.engine.workers
    from sim.errors import SettingError

    monkeypatch.setattr(sim.engine.workers, "available_cores", lambda: 2)
    model = model_of(tmp_path, VALID)
    with pytest.raises(SettingError, match="use fewer paths, or add --force"):
        Session(RunOptions(workers=200), [Job(model, 2_000_000_000, 0)])


def test_scheduler_ports_are_checked_as_usage(small):
    result = CliRunner().invoke(cli, ["run", str(small), "--scheduler", "tcp://127.0.0.1:99999"])
    assert result.exit_code == 2
    assert "a port is a number from 1 to 65535" in result.output


def test_workers_help_states_the_cap():
    result = CliRunner().invoke(cli, ["run", "--help"])
    assert "at most 4 per core" in " ".join(result.output.split())
