"""The 80-byte Bitcoin block header.

A header commits to the previous block (``prev_hash``), to the block's transactions
(``merkle_root``), to a timestamp, to the difficulty (``bits``) and to a ``nonce`` that
miners vary until the header's hash is below the target. Its bytes are, in order:
version (int32, little-endian), prev_hash (32 bytes, internal order), merkle_root (32
bytes, internal order), time, bits and nonce (uint32, little-endian). The block hash is
the double SHA-256 of these 80 bytes, shown byte-reversed.

Examples
--------
The genesis block, rebuilt from its fields:

>>> genesis = BlockHeader(
...     version=1,
...     prev_hash="00" * 32,
...     merkle_root="4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
...     time=1231006505,
...     bits=0x1D00FFFF,
...     nonce=2083236893,
... )
>>> genesis.hash_hex()
'000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f'
>>> genesis.check_pow()
True
>>> BlockHeader.from_hex(genesis.to_hex()) == genesis
True
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass
from typing import Any

from chainsim.ledger.errors import DecodeError, LedgerError
from chainsim.ledger.hashing import hash_to_hex, hex_to_bytes, hex_to_hash, sha256d
from chainsim.ledger.pow import (
    bits_to_target,
    block_work,
    check_bits,
    difficulty,
    hash_meets_target,
)

__all__ = ["HEADER_SIZE_BYTES", "BlockHeader"]

HEADER_SIZE_BYTES = 80
_LAYOUT = struct.Struct("<i32s32sIII")


def _check_uint32(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise DecodeError(f"{name} must be an integer in [0, 4294967295], got {value!r}")
    return value


def _check_hash_hex(name: str, value: Any) -> str:
    hex_to_bytes(value, name=name, n_bytes=32)
    return str(value).lower()


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """A Bitcoin block header; hashes are display-order hex strings.

    Parameters
    ----------
    version : int
        Block version, a signed 32-bit integer.
    prev_hash : str
        Hash of the previous block, 64 hex characters as explorers show it.
    merkle_root : str
        Merkle root of the block's txids, 64 hex characters (display order).
    time : int
        Timestamp, seconds since 1970-01-01 UTC (uint32).
    bits : int
        Compact target (uint32), e.g. ``0x1d00ffff``.
    nonce : int
        The value miners vary (uint32).

    Raises
    ------
    DecodeError
        If a field is out of range or a hash is not 64 hex characters.
    """

    version: int
    prev_hash: str
    merkle_root: str
    time: int
    bits: int
    nonce: int

    def __post_init__(self) -> None:
        v = self.version
        if isinstance(v, bool) or not isinstance(v, int) or not -(2**31) <= v < 2**31:
            raise DecodeError(f"version must be a signed 32-bit integer, got {v!r}")
        object.__setattr__(self, "prev_hash", _check_hash_hex("prev_hash", self.prev_hash))
        object.__setattr__(self, "merkle_root", _check_hash_hex("merkle_root", self.merkle_root))
        _check_uint32("time", self.time)
        check_bits(self.bits)
        _check_uint32("nonce", self.nonce)

    # -- bytes -------------------------------------------------------------------
    def serialize(self) -> bytes:
        """The 80 header bytes, exactly as hashed and sent on the network.

        >>> len(BlockHeader(1, "00" * 32, "00" * 32, 0, 0x1D00FFFF, 0).serialize())
        80
        """
        return _LAYOUT.pack(
            self.version,
            hex_to_hash(self.prev_hash),
            hex_to_hash(self.merkle_root),
            self.time,
            self.bits,
            self.nonce,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> BlockHeader:
        """Parse 80 header bytes.

        >>> BlockHeader.from_bytes(bytes(79))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        chainsim.ledger.errors.DecodeError: header must be 80 bytes (160 hex ...), got 79 bytes
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise DecodeError(f"header must be bytes, got {type(data).__name__}")
        if len(data) != HEADER_SIZE_BYTES:
            raise DecodeError(
                f"header must be 80 bytes (160 hex characters), got {len(data)} bytes"
            )
        version, prev, root, time, bits, nonce = _LAYOUT.unpack(bytes(data))
        return cls(version, hash_to_hex(prev), hash_to_hex(root), time, bits, nonce)

    @classmethod
    def from_hex(cls, text: str) -> BlockHeader:
        """Parse a header from 160 hex characters (the serialized bytes)."""
        return cls.from_bytes(hex_to_bytes(text.strip(), name="header"))

    def to_hex(self) -> str:
        """The 80 serialized bytes as 160 hex characters."""
        return self.serialize().hex()

    # -- hashing and proof of work ------------------------------------------------
    def hash_bytes(self) -> bytes:
        """Double SHA-256 of the header, 32 bytes in internal order."""
        return sha256d(self.serialize())

    def hash_hex(self) -> str:
        """The block hash as explorers display it (64 hex characters)."""
        return hash_to_hex(self.hash_bytes())

    @property
    def target(self) -> int:
        """The target encoded by ``bits``."""
        return bits_to_target(self.bits)

    @property
    def difficulty(self) -> float:
        """Difficulty relative to Bitcoin's minimum (bits 0x1d00ffff)."""
        return difficulty(self.bits)

    @property
    def work(self) -> int:
        """Expected hashes to find this block, ``2**256 // (target + 1)``."""
        return block_work(self.bits)

    def check_pow(self, *, pow_limit_bits: int | None = None) -> bool:
        """Whether the hash is at most the target (and the target within the limit).

        Parameters
        ----------
        pow_limit_bits : int, optional
            If given, the target must also not exceed this limit (mainnet:
            ``0x1d00ffff``); teaching difficulties are easier than mainnet's.

        Returns
        -------
        bool
            False also when ``bits`` does not encode a usable target.
        """
        try:
            target = bits_to_target(self.bits)
            if pow_limit_bits is not None and target > bits_to_target(pow_limit_bits):
                return False
        except LedgerError:
            return False
        return hash_meets_target(self.hash_bytes(), target)

    def replace(self, **changes: Any) -> BlockHeader:
        """A copy with some fields changed (validated like a new header).

        >>> BlockHeader(1, "00" * 32, "00" * 32, 0, 0x1D00FFFF, 0).replace(nonce=7).nonce
        7
        """
        return dataclasses.replace(self, **changes)
