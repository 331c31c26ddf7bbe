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

# ndtri(0) is -inf: uniforms are kept inside (0, 1) by flooring them at this value (and, when
# mirrored, capping them just below 1).
_SMALLEST_UNIFORM = 2.0**-54
_LARGEST_UNIFORM = 1.0 - 2.0**-53


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


def path_uniforms(
    rng: np.random.Generator, shape: int | tuple[int, ...], antithetic: bool, dtype: type = float
) -> np.ndarray:
    """Uniform numbers in (0, 1) for a chunk's paths (the last axis of ``shape``).

    With ``antithetic`` the second half of the paths mirrors the first (u and 1 − u), so each
    path in the first half has a partner whose every input is on the other side.
    """
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not antithetic:
        u = rng.random(shape, dtype=dtype)
    else:
        half = rng.random((*shape[:-1], shape[-1] // 2), dtype=dtype)
        u = np.concatenate([half, 1 - half], axis=-1)
        np.minimum(u, _LARGEST_UNIFORM, out=u)
    np.maximum(u, _SMALLEST_UNIFORM, out=u)
    return u


def path_normals(rng: np.random.Generator, out: np.ndarray, antithetic: bool) -> None:
    """Standard normals into ``out`` (months, paths); mirrored (z, −z) with ``antithetic``."""
    if not antithetic:
        rng.standard_normal(out=out)
        return
    half = out.shape[-1] // 2
    first = np.empty((*out.shape[:-1], half))
    rng.standard_normal(out=first)
    out[..., :half] = first
    np.negative(first, out=out[..., half:])
