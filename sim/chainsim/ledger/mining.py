"""Mining: search for a nonce that makes the header hash fall below the target.

This is a real proof-of-work search, one double SHA-256 per nonce, bounded by the
speed of :mod:`hashlib`. Like real miners it hashes the first 64 header bytes once
(the "midstate") and only the last 16 bytes per nonce. At mainnet difficulty it
would run for centuries, so lessons use an easier target such as
:data:`~chainsim.ledger.pow.TEACHING_BITS` (a hash starting with four hex zeros).

Examples
--------
>>> from chainsim.ledger import BlockHeader, EASY_BITS
>>> header = BlockHeader(1, "00" * 32, "11" * 32, 1_700_000_000, EASY_BITS, 0)
>>> result = mine(header)
>>> result.found, result.header.check_pow(), result.hash_hex[:2]
(True, True, '00')
>>> mine(header.replace(bits=0x1D00FFFF), max_hashes=1000).stopped_by
'max_hashes'
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from chainsim.ledger.errors import LedgerError
from chainsim.ledger.hashing import hash_to_hex
from chainsim.ledger.header import BlockHeader
from chainsim.ledger.pow import bits_to_target, expected_hashes

__all__ = ["MiningResult", "mine"]

_NONCE_END = 2**32


@dataclass(frozen=True, slots=True)
class MiningResult:
    """Outcome of :func:`mine`.

    Attributes
    ----------
    header : BlockHeader
        The header with the winning nonce (if found) or the last nonce tried.
    found : bool
        Whether a valid nonce was found.
    nonce : int or None
        The winning nonce.
    hash_hex : str or None
        The winning block hash (display order).
    hashes_tried : int
        Number of double SHA-256 evaluations.
    elapsed_s : float
        Wall-clock seconds spent.
    stopped_by : str
        ``"found"``, ``"max_hashes"``, ``"time_limit"``, ``"should_stop"`` or
        ``"exhausted"`` (every nonce up to 2**32 - 1 tried).
    """

    header: BlockHeader
    found: bool
    nonce: int | None
    hash_hex: str | None
    hashes_tried: int
    elapsed_s: float
    stopped_by: str

    @property
    def hash_rate(self) -> float:
        """Hashes per second (0.0 when no time was measured)."""
        return self.hashes_tried / self.elapsed_s if self.elapsed_s > 0 else 0.0


def _positive(name: str, value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or not value > 0):
        raise LedgerError(f"{name} must be > 0 or None, got {value!r}")


def _progress_bar(enabled: bool, total: float | None) -> object | None:
    if not enabled or os.environ.get("TQDM_DISABLE", "") not in ("", "0"):
        return None
    from tqdm.auto import tqdm  # imported lazily: keeps the ledger import light

    return tqdm(total=total, unit="H", unit_scale=True, desc="mining", leave=False)


def mine(
    header: BlockHeader,
    *,
    start_nonce: int = 0,
    max_hashes: int | None = None,
    time_limit_s: float | None = None,
    should_stop: Callable[[int], bool] | None = None,
    progress: bool = False,
    check_every: int = 16_384,
) -> MiningResult:
    """Try nonces from ``start_nonce`` upwards until the header meets its target.

    Parameters
    ----------
    header : BlockHeader
        The header to mine; only ``nonce`` is varied.
    start_nonce : int
        First nonce to try.
    max_hashes : int, optional
        Stop after this many hashes.
    time_limit_s : float, optional
        Deadline: stop after about this many wall-clock seconds (checked every
        ``check_every`` hashes).
    should_stop : callable, optional
        Called as ``should_stop(hashes_tried)`` every ``check_every`` hashes; return
        True to stop (e.g. a "Stop" button in a widget).
    progress : bool
        Show a tqdm progress bar (hidden when ``TQDM_DISABLE=1``).
    check_every : int
        Hashes between checks of the time limit, callback and progress bar.

    Returns
    -------
    MiningResult
        Nonce, hash, hashes tried, elapsed seconds and hash rate.

    Raises
    ------
    LedgerError
        For a bad ``start_nonce``, ``max_hashes``, ``time_limit_s`` or ``check_every``.

    Examples
    --------
    >>> from chainsim.ledger import BlockHeader
    >>> r = mine(BlockHeader(1, "00" * 32, "22" * 32, 0, 0x207FFFFF, 0))
    >>> r.found and r.hashes_tried == r.nonce + 1
    True
    """
    if isinstance(start_nonce, bool) or not isinstance(start_nonce, int):
        raise LedgerError(f"start_nonce must be an integer, got {start_nonce!r}")
    if not 0 <= start_nonce < _NONCE_END:
        raise LedgerError(f"start_nonce must be in [0, 4294967295], got {start_nonce}")
    _positive("max_hashes", max_hashes)
    _positive("time_limit_s", time_limit_s)
    _positive("check_every", check_every)

    target = bits_to_target(header.bits)
    raw = header.serialize()
    midstate = hashlib.sha256(raw[:64])
    tail = raw[64:76]
    pack = struct.Struct("<I").pack
    sha = hashlib.sha256
    from_bytes = int.from_bytes

    limit = _NONCE_END if max_hashes is None else min(_NONCE_END, start_nonce + int(max_hashes))
    bar = _progress_bar(progress, max_hashes or expected_hashes(header.bits))
    t0 = time.perf_counter()
    nonce = start_nonce
    stopped_by = "exhausted"
    found_nonce: int | None = None
    found_digest = b""
    try:
        while nonce < limit:
            stop = min(limit, nonce + int(check_every))
            for n in range(nonce, stop):
                h = midstate.copy()
                h.update(tail + pack(n))
                digest = sha(h.digest()).digest()
                if from_bytes(digest, "little") <= target:
                    found_nonce, found_digest = n, digest
                    break
            if found_nonce is not None:
                nonce = found_nonce + 1
                stopped_by = "found"
                break
            if bar is not None:
                bar.update(stop - nonce)  # type: ignore[attr-defined]
            nonce = stop
            tried = nonce - start_nonce
            if time_limit_s is not None and time.perf_counter() - t0 >= time_limit_s:
                stopped_by = "time_limit"
                break
            if should_stop is not None and should_stop(tried):
                stopped_by = "should_stop"
                break
        else:
            stopped_by = "exhausted" if limit == _NONCE_END else "max_hashes"
    finally:
        if bar is not None:
            bar.close()  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - t0
    tried = nonce - start_nonce
    if found_nonce is not None:
        mined = header.replace(nonce=found_nonce)
        return MiningResult(
            mined, True, found_nonce, hash_to_hex(found_digest), tried, elapsed, stopped_by
        )
    last = header.replace(nonce=max(start_nonce, nonce - 1))
    return MiningResult(last, False, None, None, tried, elapsed, stopped_by)
