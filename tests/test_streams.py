from __future__ import annotations

import numpy as np

from sim.streams import CHUNK, chunk_sequence, component_key, generator, uniforms


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


def test_uniforms_stay_inside_the_open_interval():
    u = uniforms(np.random.default_rng(0), CHUNK)
    assert u.min() > 0 and u.max() < 1
