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
CELL_SPAN = 8192  # cells of (month, path) are numbered month * CELL_SPAN + path (< CHUNK)

# ndtri(0) is -inf: uniforms are kept inside (0, 1) by flooring them at this value (and, when
# mirrored, capping them just below 1).
SMALLEST_UNIFORM = 2.0**-54
LARGEST_UNIFORM = 1.0 - 2.0**-53


def chunk_sequence(seed: int, chunk: int) -> np.random.SeedSequence:
    """The seed sequence of one chunk: ``SeedSequence(seed).spawn(chunk + 1)[chunk]``."""
    return np.random.SeedSequence(seed, spawn_key=(chunk,))


def component_key(component: str) -> int:
    """A stable 128-bit key for a component name (the same in every process and run; distinct
    names do not collide in practice)."""
    return int.from_bytes(hashlib.sha256(component.encode("utf-8")).digest()[:16], "little")


def component_sequence(seed: int, chunk: int, component: str) -> np.random.SeedSequence:
    """The seed sequence of ``component`` in ``chunk``: a spawn child of the chunk's sequence
    keyed by the component name.

    Names are namespaced by kind (``country:kz:rate``, ``event:closure``) so that a country and
    an event can never share a stream.
    """
    parent = chunk_sequence(seed, chunk)
    return np.random.SeedSequence(
        parent.entropy, spawn_key=(*parent.spawn_key, component_key(component))
    )


def generator(seed: int, chunk: int, component: str) -> np.random.Generator:
    """The generator of ``component`` in ``chunk``."""
    return np.random.Generator(np.random.SFC64(component_sequence(seed, chunk, component)))


def path_uniforms(
    rng: np.random.Generator, shape: int | tuple[int, ...], antithetic: bool
) -> np.ndarray:
    """Uniform numbers in (0, 1) for a chunk's paths (the last axis of ``shape``).

    With ``antithetic`` the second half of the paths mirrors the first (u and 1 − u): path j
    and path j + n/2 get opposite draws of this input.
    """
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not antithetic:
        u = rng.random(shape)
    else:
        half = rng.random((*shape[:-1], shape[-1] // 2))
        u = np.concatenate([half, 1 - half], axis=-1)
        np.minimum(u, LARGEST_UNIFORM, out=u)
    np.maximum(u, SMALLEST_UNIFORM, out=u)
    return u


def copula_uniforms(
    rng: np.random.Generator, factor: np.ndarray, paths: int, antithetic: bool
) -> np.ndarray:
    """Uniform numbers in (0, 1), one row per row of ``factor``, for a chunk's paths: a
    Gaussian copula. Standard normal numbers z (one row per row) become x = factor · z, normal
    with correlation factor · factorᵀ and, its rows being of unit length, variance 1; then
    u = Φ(x) is uniform in each row, so an input drawn from a row keeps its own distribution.

    With ``antithetic`` the second half of the paths mirrors the first (z and −z, so x and −x
    and u and 1 − u), as ``path_uniforms`` does.
    """
    from scipy.special import ndtr

    rows = factor.shape[0]
    if not antithetic:
        z = rng.standard_normal((rows, paths))
    else:
        half = rng.standard_normal((rows, paths // 2))
        z = np.concatenate([half, -half], axis=-1)
    u = ndtr(factor @ z)
    np.clip(u, SMALLEST_UNIFORM, LARGEST_UNIFORM, out=u)
    return u


def cell_key(seed: int, chunk: int, component: str) -> np.uint64:
    """A 64-bit key for ``component`` in ``chunk``, from the same spawn tree as the streams."""
    return component_sequence(seed, chunk, component).generate_state(1, np.uint64)[0]


_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def cell_uniforms(key: np.uint64, cells: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1), each a function of ``key`` and its cell alone.

    SplitMix64's output function applied to key + cell · γ: the number drawn for a cell does
    not depend on which other cells are drawn, so a value tied to (month, path) stays the same
    when other months or paths change.
    """
    z = cells.astype(np.uint64) * _GAMMA + key  # wraps around, as intended
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
