"""Running blocks on a Dask cluster gives exactly the local numbers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sim.cli import cli

distributed = pytest.importorskip("dask.distributed")

SCENARIO = """\
name: dask
routes:
  r: {closed_months: [1, 2]}
countries:
  c:
    baseline: {value: 85 to 140, period: 2025-01/2025-07}
    target: {value: 600, by: 2027}
    growth: {rate: 10% to 120%, volatility: 25%, noise: 15%}
    routes: {r: 1}
events:
  shut: {routes: [r], rate: 2, duration: 0.2 to 4, severity: 60% to 100%}
"""


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as local:
        yield local


def test_dask_gives_the_local_numbers(cluster, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    common = ["run", str(path), "--paths", "50000", "--block-size", "8192", "--format", "json"]
    local = CliRunner().invoke(cli, [*common, "--workers", "1"])
    remote = CliRunner().invoke(cli, [*common, "--scheduler", cluster.scheduler_address])
    assert remote.exit_code == 0, remote.output
    assert remote.output == local.output
    assert json.loads(remote.output)["runs"][0]["paths"] == 50_000


def test_an_unreachable_scheduler_is_one_line(tmp_path, monkeypatch):
    import sim.engine.dask

    monkeypatch.setattr(sim.engine.dask, "CONNECT_SECONDS", 1)
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(path),
            "--paths",
            "20000",
            "--block-size",
            "8192",
            "--scheduler",
            "tcp://127.0.0.1:9",
        ],
    )
    assert result.exit_code == 1
    assert result.output.startswith("sim: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert len(result.output.splitlines()) == 1


def test_a_malformed_scheduler_address_is_a_usage_error(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    result = CliRunner().invoke(cli, ["run", str(path), "--scheduler", "garbage"])
    assert result.exit_code == 2
    assert result.output == (
        "sim: Invalid value for '--scheduler': 'garbage': write tcp://HOST:PORT, e.g. "
        "tcp://10.0.0.5:8786 (see sim run --help)\n"
    )
