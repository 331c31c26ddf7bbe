"""Random streams: one independent, reproducible stream per chunk of paths and model component.

Paths are simulated in chunks of ``CHUNK`` paths. Chunk ``i`` of a run with seed ``s`` owns the
seed sequence ``SeedSequence(s).spawn(...)[i]``; each model component (a country's baseline, its
shocks, an event, ...) draws from a child of that sequence keyed by the component's name. So a
chunk's numbers depend only on the seed, the chunk index and the component — not on how chunks
are grouped into blocks, how many workers run them, or which other components exist.
"""

from __future__ import annotations

import hashlib

import numpy as np

CHUNK = 8192

# ndtri(0) is -inf: uniforms are kept inside (0, 1) by flooring them at this value.
_SMALLEST_UNIFORM = 2.0**-54


def chunk_sequence(seed: int, chunk: int) -> np.random.SeedSequence:
    """The seed sequence of one chunk: ``SeedSequence(seed).spawn(chunk + 1)[chunk]``."""
    return np.random.SeedSequence(seed, spawn_key=(chunk,))


def component_key(component: str) -> int:
    """A stable 128-bit key for a component name (the same in every process and run; distinct
    names do not collide in practice)."""
    return int.from_bytes(hashlib.sha256(component.encode("utf-8")).digest()[:16], "little")


def generator(seed: int, chunk: int, component: str) -> np.random.Generator:
    """The generator of ``component`` in ``chunk``: a spawn child keyed by the component name.

    Names are namespaced by kind (``country:kz:rate``, ``event:closure``) so that a country and
    an event can never share a stream.
    """
    parent = chunk_sequence(seed, chunk)
    child = np.random.SeedSequence(
        parent.entropy, spawn_key=(*parent.spawn_key, component_key(component))
    )
    return np.random.Generator(np.random.PCG64(child))


def uniforms(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """Uniform numbers in (0, 1), safe for quantile functions."""
    u = rng.random(size)
    np.maximum(u, _SMALLEST_UNIFORM, out=u)
    return u
