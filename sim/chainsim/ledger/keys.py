"""Keys, signatures and addresses on secp256k1.

A *private key* is a secret number; its *public key* is a point on the secp256k1
curve derived from it; a *signature* (ECDSA) proves that the holder of the private key
approved a message hash, and anyone with the public key can check it. A Bitcoin P2PKH
*address* is the Base58Check encoding of version byte 0x00 followed by
``hash160(public key)``. All elliptic-curve work is done by libsecp256k1 through
:mod:`coincurve`; nothing here implements signature crypto by hand. Signatures are
deterministic (RFC 6979) and use the low-S form, as Bitcoin requires.

Examples
--------
>>> key = PrivateKey.from_int(1)
>>> key.public_key.to_hex()   # the generator point G, compressed
'0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'
>>> key.public_key.address()
'1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH'
>>> sig = key.sign(sha256(b"hello"))
>>> key.public_key.verify(sig, sha256(b"hello"))
True
>>> key.public_key.verify(sig, sha256(b"hellO"))
False
"""

from __future__ import annotations

import hashlib

import coincurve

from chainsim.ledger.errors import ChecksumError, DecodeError, InvalidKeyError
from chainsim.ledger.hashing import hash160, hex_to_bytes, sha256

__all__ = [
    "CURVE_ORDER",
    "P2PKH_VERSION",
    "PrivateKey",
    "PublicKey",
    "address_to_pubkey_hash",
    "b58decode",
    "b58decode_check",
    "b58encode",
    "b58encode_check",
    "pubkey_hash_to_address",
]

#: Order n of the secp256k1 group (SEC 2, section 2.4.1).
CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
#: Version byte of mainnet P2PKH addresses (addresses start with "1").
P2PKH_VERSION = 0x00

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def b58encode(data: bytes) -> str:
    """Base58 text of ``data`` (leading zero bytes become leading '1's).

    >>> b58encode(b"\\x00\\x00hello")
    '11Cn8eVZg'
    """
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58[r])
    pad = len(data) - len(data.lstrip(b"\x00"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Bytes of Base58 ``text``.

    >>> b58decode("11Cn8eVZg")
    b'\\x00\\x00hello'
    >>> b58decode("0OIl")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainsim.ledger.errors.DecodeError: base58 text contains '0', which is not in the ...
    """
    if not isinstance(text, str):
        raise DecodeError(f"base58 text must be a string, got {type(text).__name__}")
    n = 0
    for c in text:
        if c not in _B58_INDEX:
            raise DecodeError(
                f"base58 text contains {c!r}, which is not in the base58 alphabet (no 0, O, I or l)"
            )
        n = n * 58 + _B58_INDEX[c]
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\x00" * pad + body


def b58encode_check(payload: bytes) -> str:
    """Base58Check: ``payload`` plus the first 4 bytes of its double SHA-256.

    >>> b58encode_check(bytes(21))
    '1111111111111111111114oLvT2'
    """
    digest = hashlib.sha256(hashlib.sha256(payload).digest()).digest()
    return b58encode(payload + digest[:4])


def b58decode_check(text: str) -> bytes:
    """Payload of a Base58Check string, raising :class:`ChecksumError` on a typo.

    >>> b58decode_check("1111111111111111111114oLvT3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainsim.ledger.errors.ChecksumError: base58check checksum mismatch in '111...T3' (a typo?)
    """
    raw = b58decode(text)
    if len(raw) < 4:
        raise DecodeError(f"base58check text too short: {text!r}")
    payload, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != check:
        raise ChecksumError(f"base58check checksum mismatch in {text!r} (a typo?)")
    return payload


def pubkey_hash_to_address(pubkey_hash: bytes, *, version: int = P2PKH_VERSION) -> str:
    """P2PKH address of a 20-byte public-key hash.

    >>> pubkey_hash_to_address(bytes.fromhex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18"))
    '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'
    """
    if len(pubkey_hash) != 20:
        raise DecodeError(f"pubkey_hash must be 20 bytes, got {len(pubkey_hash)} bytes")
    if not 0 <= version <= 255:
        raise DecodeError(f"version must be a byte in [0, 255], got {version}")
    return b58encode_check(bytes([version]) + pubkey_hash)


def address_to_pubkey_hash(address: str, *, version: int = P2PKH_VERSION) -> bytes:
    """The 20-byte public-key hash inside a P2PKH address.

    >>> address_to_pubkey_hash("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH").hex()
    '751e76e8199196d454941c45d1b3a323f1433bd6'
    """
    payload = b58decode_check(address)
    if len(payload) != 21:
        raise DecodeError(f"address must hold 21 bytes (version + hash160), got {len(payload)}")
    if payload[0] != version:
        raise DecodeError(f"address version byte must be {version}, got {payload[0]}")
    return payload[1:]


class PublicKey:
    """A secp256k1 public key (a curve point).

    Parameters
    ----------
    data : bytes
        SEC1 encoding: 33 bytes compressed (02/03 prefix) or 65 uncompressed (04).
    """

    __slots__ = ("_key", "compressed")

    def __init__(self, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray):
            raise InvalidKeyError(f"public key must be bytes, got {type(data).__name__}")
        try:
            self._key = coincurve.PublicKey(bytes(data))
        except (ValueError, TypeError):
            raise InvalidKeyError(
                f"public key {bytes(data).hex()!r} is not a valid secp256k1 point "
                "(expected 33 bytes starting 02/03 or 65 bytes starting 04)"
            ) from None
        self.compressed = len(data) == 33

    @classmethod
    def from_hex(cls, text: str) -> PublicKey:
        """Parse a hex SEC1 public key."""
        return cls(hex_to_bytes(text, name="public key"))

    @property
    def point(self) -> tuple[int, int]:
        """Affine coordinates (x, y) as integers."""
        return self._key.point()

    def to_bytes(self, *, compressed: bool | None = None) -> bytes:
        """SEC1 encoding (compressed unless this key was parsed uncompressed)."""
        c = self.compressed if compressed is None else compressed
        return self._key.format(compressed=c)

    def to_hex(self, *, compressed: bool | None = None) -> str:
        """SEC1 encoding as hex."""
        return self.to_bytes(compressed=compressed).hex()

    def hash160(self) -> bytes:
        """``RIPEMD160(SHA256(encoding))``, the 20 bytes an address holds."""
        return hash160(self.to_bytes())

    def address(self) -> str:
        """Mainnet P2PKH address of this key's encoding."""
        return pubkey_hash_to_address(self.hash160())

    def verify(self, signature: bytes, message_hash: bytes) -> bool:
        """Whether a DER ``signature`` over a 32-byte ``message_hash`` is valid.

        Malformed or high-S signatures are invalid (False), never an exception.
        """
        if len(message_hash) != 32:
            raise DecodeError(f"message_hash must be 32 bytes, got {len(message_hash)} bytes")
        try:
            return bool(self._key.verify(bytes(signature), message_hash, hasher=None))
        except (ValueError, TypeError):
            return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self.to_bytes(compressed=True) == other.to_bytes(
            compressed=True
        )

    def __hash__(self) -> int:
        return hash(self.to_bytes(compressed=True))

    def __repr__(self) -> str:
        return f"PublicKey({self.to_hex()!r})"


class PrivateKey:
    """A secp256k1 private key; sign 32-byte message hashes.

    Parameters
    ----------
    secret : bytes
        32 bytes, big-endian, in ``[1, n - 1]``.

    Examples
    --------
    >>> PrivateKey.from_seed("alice").public_key == PrivateKey.from_seed("alice").public_key
    True
    >>> PrivateKey.from_int(0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainsim.ledger.errors.InvalidKeyError: private key must be an integer in [1, n - 1] ..., got 0
    """

    __slots__ = ("_key",)

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes | bytearray) or len(secret) != 32:
            raise InvalidKeyError("private key secret must be 32 bytes")
        value = int.from_bytes(secret, "big")
        if not 1 <= value < CURVE_ORDER:
            raise InvalidKeyError(
                f"private key must be an integer in [1, n - 1] (n = secp256k1 order), got {value}"
            )
        self._key = coincurve.PrivateKey(bytes(secret))

    @classmethod
    def from_int(cls, value: int) -> PrivateKey:
        """Key with secret ``value`` (1 <= value < n)."""
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < CURVE_ORDER:
            raise InvalidKeyError(
                f"private key must be an integer in [1, n - 1] (n = secp256k1 order), got {value!r}"
            )
        return cls(value.to_bytes(32, "big"))

    @classmethod
    def from_hex(cls, text: str) -> PrivateKey:
        """Key from 64 hex characters."""
        return cls(hex_to_bytes(text, name="private key", n_bytes=32))

    @classmethod
    def from_seed(cls, seed: int | str | bytes) -> PrivateKey:
        """Deterministic key from a seed, for reproducible lessons (not for real money).

        The secret is ``SHA256("chainsim-key:" + seed)`` (re-hashed in the
        astronomically unlikely case it is out of range).
        """
        if isinstance(seed, bool) or not isinstance(seed, int | str | bytes):
            raise InvalidKeyError(f"seed must be an int, str or bytes, got {seed!r}")
        raw = seed if isinstance(seed, bytes) else str(seed).encode("utf-8")
        digest = sha256(b"chainsim-key:" + raw)
        while not 1 <= int.from_bytes(digest, "big") < CURVE_ORDER:
            digest = sha256(digest)
        return cls(digest)

    @property
    def secret(self) -> int:
        """The secret as an integer."""
        return int.from_bytes(self._key.secret, "big")

    def to_hex(self) -> str:
        """The 32 secret bytes as hex."""
        return bytes(self._key.secret).hex()

    @property
    def public_key(self) -> PublicKey:
        """The matching compressed public key."""
        return PublicKey(self._key.public_key.format(compressed=True))

    def sign(self, message_hash: bytes) -> bytes:
        """DER-encoded, deterministic (RFC 6979), low-S ECDSA signature of a 32-byte hash."""
        if not isinstance(message_hash, bytes | bytearray) or len(message_hash) != 32:
            raise DecodeError("message_hash must be 32 bytes")
        return self._key.sign(bytes(message_hash), hasher=None)

    def __repr__(self) -> str:  # never print the secret
        return f"PrivateKey(public_key={self.public_key.to_hex()!r})"
