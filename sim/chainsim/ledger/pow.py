"""Proof of work: compact ``bits``, targets, difficulty and work.

A block header's ``bits`` field encodes the *target* in 4 bytes: one exponent byte and
a 3-byte mantissa, ``target = mantissa * 256 ** (exponent - 3)``. A header is valid
when its double-SHA-256 hash, read as a little-endian 256-bit number, is at most the
target. Lower target means harder. *Difficulty* compares a target with the easiest
mainnet target (bits ``0x1d00ffff``, difficulty 1), and the *work* of a block, the
expected number of hashes to find it, is ``2**256 // (target + 1)``; nodes follow the
chain with the most total work (Bitcoin Core, ``arith_uint256`` and ``GetBlockProof``).

Examples
--------
>>> hex(bits_to_target(0x1D00FFFF))
'0xffff0000000000000000000000000000000000000000000000000000'
>>> hex(target_to_bits(bits_to_target(0x1B04864C)))
'0x1b04864c'
>>> round(difficulty(0x1B04864C), 4)
14484.1624
>>> block_work(0x1D00FFFF)
4295032833
"""

from __future__ import annotations

from chainsim.ledger.errors import DecodeError, LedgerError

__all__ = [
    "EASY_BITS",
    "MAX_TARGET",
    "POW_LIMIT_BITS",
    "TEACHING_BITS",
    "bits_to_target",
    "block_work",
    "check_bits",
    "difficulty",
    "expected_hashes",
    "hash_meets_target",
    "target_to_bits",
]

#: Bitcoin mainnet's proof-of-work limit in compact form (difficulty 1).
POW_LIMIT_BITS = 0x1D00FFFF
#: A teaching difficulty: a valid hash starts with four hex zeros (about 65,536 hashes).
TEACHING_BITS = 0x1F00FFFF
#: An easy difficulty for quick demos and tests: about 256 hashes per block.
EASY_BITS = 0x2000FFFF
#: Largest 256-bit value.
MAX_TARGET = 2**256 - 1


def check_bits(bits: int, *, name: str = "bits") -> int:
    """Check that ``bits`` is an unsigned 32-bit integer and return it."""
    if isinstance(bits, bool) or not isinstance(bits, int) or not 0 <= bits <= 0xFFFFFFFF:
        raise DecodeError(f"{name} must be an unsigned 32-bit integer, got {bits!r}")
    return bits


def bits_to_target(bits: int) -> int:
    """Target encoded by compact ``bits`` (Bitcoin Core's ``SetCompact``).

    Raises
    ------
    LedgerError
        If the encoding is negative (sign bit 0x00800000 with a non-zero mantissa),
        overflows 256 bits, or is zero.

    Examples
    --------
    >>> bits_to_target(0x207FFFFF) == 0x7FFFFF << 8 * 29
    True
    >>> bits_to_target(0x01003456)
    Traceback (most recent call last):
    ...
    chainsim.ledger.errors.LedgerError: bits 0x01003456 encode a zero target
    """
    check_bits(bits)
    size = bits >> 24
    word = bits & 0x007FFFFF
    target = word >> 8 * (3 - size) if size <= 3 else word << 8 * (size - 3)
    if word != 0 and bits & 0x00800000:
        raise LedgerError(f"bits 0x{bits:08x} encode a negative target (sign bit set)")
    if word != 0 and (size > 34 or (word > 0xFF and size > 33) or (word > 0xFFFF and size > 32)):
        raise LedgerError(f"bits 0x{bits:08x} encode a target larger than 256 bits")
    if target == 0:
        raise LedgerError(f"bits 0x{bits:08x} encode a zero target")
    return target


def target_to_bits(target: int) -> int:
    """Compact encoding of ``target`` (Bitcoin Core's ``GetCompact``), rounding down.

    Only the top three significant bytes survive, so ``bits_to_target(target_to_bits(t))``
    may be slightly below ``t``.

    >>> hex(target_to_bits(0x00000000FFFF0000000000000000000000000000000000000000000000000000))
    '0x1d00ffff'
    >>> hex(target_to_bits(0x80))
    '0x2008000'
    """
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target <= MAX_TARGET:
        raise LedgerError(f"target must be an integer in [0, 2**256 - 1], got {target!r}")
    size = (target.bit_length() + 7) // 8
    compact = target << 8 * (3 - size) if size <= 3 else target >> 8 * (size - 3)
    if compact & 0x00800000:  # keep the sign bit clear: shift into the exponent
        compact >>= 8
        size += 1
    return compact | (size << 24)


def difficulty(bits: int, *, pow_limit_bits: int = POW_LIMIT_BITS) -> float:
    """Difficulty: how many times harder than the ``pow_limit_bits`` target (1.0 there).

    >>> difficulty(0x1D00FFFF)
    1.0
    """
    return bits_to_target(pow_limit_bits) / bits_to_target(bits)


def block_work(bits: int) -> int:
    """Expected hashes to find a block at ``bits``: ``2**256 // (target + 1)``.

    >>> block_work(0x207FFFFF)
    2
    """
    return 2**256 // (bits_to_target(bits) + 1)


def expected_hashes(bits: int) -> float:
    """Expected number of hashes to find a valid nonce, ``2**256 / (target + 1)``.

    >>> round(expected_hashes(TEACHING_BITS))
    65537
    """
    return 2.0**256 / (bits_to_target(bits) + 1)


def hash_meets_target(digest: bytes, target: int) -> bool:
    """Whether a 32-byte internal-order hash, as a little-endian number, is <= ``target``.

    >>> hash_meets_target(bytes(32), 1)
    True
    """
    return int.from_bytes(digest, "little") <= target
