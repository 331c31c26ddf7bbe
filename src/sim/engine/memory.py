"""Process memory settings for long simulations.

Each chunk of paths allocates arrays of a few megabytes. glibc's allocator hands blocks that
large back to the operating system when they are freed, so the next chunk's arrays fault their
pages in anew, which costs as much as some of the arithmetic. ``keep_freed_memory`` asks glibc
to keep freed memory for reuse instead. Elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_LIMIT = 1 << 30


def keep_freed_memory() -> bool:
    """Ask glibc to reuse freed blocks rather than return them; True if it agreed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)  # this process's symbols: the C library's among them
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _LIMIT)) and bool(mallopt(_M_TRIM_THRESHOLD, _LIMIT))
