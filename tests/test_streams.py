from __future__ import annotations

import numpy as np

from sim.engine.streams import (
    CHUNK,
    cell_key,
    cell_uniforms,
    chunk_sequence,
    component_key,
    generator,
    path_uniforms,
)


def test_chunk_sequence_is_the_spawned_child():
    children = np.random.SeedSequence(42).spawn(5)
    for i, child in enumerate(children):
        assert np.array_equal(chunk_sequence(42, i).generate_state(4), child.generate_state(4))


def test_component_streams_are_reproducible_and_distinct():
    a = generator(7, 3, "kz:rate").random(5)
    assert np.array_equal(a, generator(7, 3, "kz:rate").random(5))
    assert not np.array_equal(a, generator(7, 3, "kz:baseline").random(5))
    assert not np.array_equal(a, generator(7, 4, "kz:rate").random(5))
    assert not np.array_equal(a, generator(8, 3, "kz:rate").random(5))
    assert component_key("kz:rate") == component_key("kz:rate")


def test_uniforms_stay_inside_the_open_interval_and_mirror():
    for antithetic in (False, True):
        u = path_uniforms(np.random.default_rng(0), (3, CHUNK), antithetic)
        assert u.shape == (3, CHUNK) and u.min() > 0 and u.max() < 1
    u = path_uniforms(np.random.default_rng(0), (3, CHUNK), True)
    assert np.allclose(u[:, : CHUNK // 2] + u[:, CHUNK // 2 :], 1.0)


def test_cell_uniforms_depend_on_their_cell_alone():
    key = cell_key(3, 0, "event:x:duration")
    cells = np.arange(200_000, dtype=np.int64) * 5 + 11
    u = cell_uniforms(key, cells)
    assert np.array_equal(u[1000:2000], cell_uniforms(key, cells[1000:2000]))
    assert u.min() > 0 and u.max() < 1
    # uniform: mean 1/2, variance 1/12, no correlation between neighbouring cells
    se = 1 / np.sqrt(12 * len(u))
    assert abs(u.mean() - 0.5) < 4.5 * se
    assert abs(u.var() * 12 - 1) < 0.02
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 4.5 / np.sqrt(len(u))
    assert not np.array_equal(u, cell_uniforms(cell_key(3, 0, "event:x:severity"), cells))
    assert not np.array_equal(u, cell_uniforms(cell_key(3, 1, "event:x:duration"), cells))
