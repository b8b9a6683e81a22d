"""Hashes and byte order.

Bitcoin hashes everything with *double SHA-256*: ``SHA256(SHA256(data))``. The 32-byte
digest is used as-is inside headers and Merkle trees (the *internal* byte order), but
block explorers, and this package's public API, show it **byte-reversed** as 64 hex
characters (the *display* order), because Bitcoin reads the digest as a little-endian
number. ``hash_to_hex`` and ``hex_to_hash`` convert between the two.

Examples
--------
>>> sha256d(b"hello").hex()
'9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50'
>>> hash_to_hex(sha256d(b"hello"))
'503d8319a48348cdc610a582f7bf754b5833df65038606eb48510790dfc99595'
>>> hex_to_hash(hash_to_hex(sha256d(b"hello"))) == sha256d(b"hello")
True
"""

from __future__ import annotations

import hashlib

from chainsim.ledger._ripemd160 import ripemd160_pure
from chainsim.ledger.errors import DecodeError

__all__ = [
    "HAS_HASHLIB_RIPEMD160",
    "hash160",
    "hash_to_hex",
    "hex_to_bytes",
    "hex_to_hash",
    "ripemd160",
    "sha256",
    "sha256d",
]


def _hashlib_has_ripemd160() -> bool:
    try:
        hashlib.new("ripemd160", b"")
    except (ValueError, TypeError):
        return False
    return True


#: Whether :mod:`hashlib` provides RIPEMD-160 here (OpenSSL 3 may not); otherwise
#: :func:`ripemd160` uses a pure-Python implementation.
HAS_HASHLIB_RIPEMD160: bool = _hashlib_has_ripemd160()


def sha256(data: bytes) -> bytes:
    """SHA-256 digest (32 bytes, internal order) of ``data``.

    >>> sha256(b"").hex()[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).digest()


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, ``SHA256(SHA256(data))``: Bitcoin's block and transaction hash.

    Returns the 32 bytes in internal order; use :func:`hash_to_hex` for display.

    >>> len(sha256d(b"abc"))
    32
    """
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def ripemd160(data: bytes) -> bytes:
    """RIPEMD-160 digest (20 bytes); pure Python when :mod:`hashlib` lacks it.

    >>> ripemd160(b"").hex()
    '9c1185a5c5e9fc54612808977ee8f548b2258d31'
    """
    if HAS_HASHLIB_RIPEMD160:
        return hashlib.new("ripemd160", data).digest()
    return ripemd160_pure(data)


def hash160(data: bytes) -> bytes:
    """``RIPEMD160(SHA256(data))``, 20 bytes: the public-key hash in P2PKH addresses.

    >>> hash160(bytes.fromhex(
    ...     "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")).hex()
    '751e76e8199196d454941c45d1b3a323f1433bd6'
    """
    return ripemd160(hashlib.sha256(data).digest())


def hex_to_bytes(text: str, *, name: str = "value", n_bytes: int | None = None) -> bytes:
    """Parse hex text, raising :class:`DecodeError` that names ``name`` when malformed.

    >>> hex_to_bytes("00ff", name="data")
    b'\\x00\\xff'
    >>> hex_to_bytes("0g", name="data")
    Traceback (most recent call last):
    ...
    chainsim.ledger.errors.DecodeError: data must be hexadecimal text, got '0g'
    """
    if not isinstance(text, str):
        raise DecodeError(f"{name} must be a hex string, got {type(text).__name__}")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise DecodeError(f"{name} must be hexadecimal text, got {shown!r}") from None
    if n_bytes is not None and len(raw) != n_bytes:
        raise DecodeError(
            f"{name} must be {n_bytes} bytes ({2 * n_bytes} hex characters), got {len(raw)} bytes"
        )
    return raw


def hash_to_hex(digest: bytes) -> str:
    """Display hex of a 32-byte hash in internal order (bytes reversed).

    >>> hash_to_hex(bytes(31) + b"\\x01")
    '0100000000000000000000000000000000000000000000000000000000000000'
    """
    if len(digest) != 32:
        raise DecodeError(f"hash must be 32 bytes, got {len(digest)} bytes")
    return digest[::-1].hex()


def hex_to_hash(text: str, *, name: str = "hash") -> bytes:
    """Internal-order 32 bytes of a display-order hex hash (64 hex characters).

    >>> hex_to_hash("01" + "00" * 31)[-1]
    1
    """
    return hex_to_bytes(text, name=name, n_bytes=32)[::-1]
