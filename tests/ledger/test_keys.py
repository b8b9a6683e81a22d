"""secp256k1 keys, ECDSA against published vectors, Base58Check addresses."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsim.ledger import (
    CURVE_ORDER,
    ChecksumError,
    DecodeError,
    InvalidKeyError,
    PrivateKey,
    PublicKey,
    address_to_pubkey_hash,
    b58decode,
    b58decode_check,
    b58encode,
    b58encode_check,
    pubkey_hash_to_address,
    sha256,
)

# Multiples of the generator G (SEC 2 v2, section 2.4.1, gives G; 2G and 3G are the
# widely published secp256k1 test points).
POINTS = {
    1: (
        0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
        0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
    ),
    2: (
        0xC6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7ABAC09B95C709EE5,
        0x1AE168FEA63DC339A3C58419466CEAEEF7F632653266D0E1236431A950CFE52A,
    ),
    3: (
        0xF9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9,
        0x388F7B0F632DE8140FE337E62A37F3566500A99934C2231B6CB9FD7584B8E672,
    ),
}

# Deterministic (RFC 6979, HMAC-SHA256) secp256k1 signatures over SHA256(message),
# low-S, as published in the widely used secp256k1 RFC 6979 test vectors.
RFC6979 = [
    (
        1,
        b"Satoshi Nakamoto",
        0x934B1EA10A4B3C1757E2B0C017D0B6143CE3C9A7E6A4A49860D7A6AB210EE3D8,
        0x2442CE9D2B916064108014783E923EC36B49743E2FFA1C4496F01A512AAFD9E5,
    ),
    (
        1,
        b"All those moments will be lost in time, like tears in rain. Time to die...",
        0x8600DBD41E348FE5C9465AB92D23E3DB8B98B873BEECD930736488696438CB6B,
        0x547FE64427496DB33BF66019DACBF0039C04199ABB0122918601DB38A72CFC21,
    ),
    (
        0x69EC59EAA1F4F2E36B639716B7C30CA86D9A5375C7B38D8918BD9C0EBC80BA64,
        b"Computer science is no more about computers than astronomy is about telescopes.",
        0x7186363571D65E084E7F02B0B77C3EC44FB1B257DEE26274C38C928986FEA45D,
        0x0DE0B38E06807E46BDA1F1E293F4F6323E854C86D58ABDD00C46C16441085DF6,
    ),
    (
        0xF8B8AF8CE3C7CCA5E300D33939540C10D45CE001B8F252BFBC57BA0342904181,
        b"Alan Turing",
        0x7063AE83E7F62BBB171798131B4A0564B956930092B33B07B395615D9EC7E15C,
        0x58DFCC1E00A35E1572F366FFE34BA0FC47DB1E7189759B9FB233C5B05AB388EA,
    ),
]


def _der_to_rs(sig: bytes) -> tuple[int, int]:
    assert sig[0] == 0x30 and sig[1] == len(sig) - 2 and sig[2] == 0x02
    r_len = sig[3]
    r = int.from_bytes(sig[4 : 4 + r_len], "big")
    assert sig[4 + r_len] == 0x02
    s_len = sig[5 + r_len]
    s = int.from_bytes(sig[6 + r_len : 6 + r_len + s_len], "big")
    return r, s


@pytest.mark.parametrize("k", POINTS)
def test_public_points_of_small_keys(k: int) -> None:
    pub = PrivateKey.from_int(k).public_key
    assert pub.point == POINTS[k]
    x, y = POINTS[k]
    assert pub.to_hex() == f"{2 + (y & 1):02x}{x:064x}"
    assert pub.to_hex(compressed=False) == f"04{x:064x}{y:064x}"


def test_key_n_minus_1_is_minus_g() -> None:
    x, y = PrivateKey.from_int(CURVE_ORDER - 1).public_key.point
    gx, gy = POINTS[1]
    p = 2**256 - 2**32 - 977  # the field prime of secp256k1
    assert (x, y) == (gx, p - gy)


@pytest.mark.parametrize(("secret", "message", "r", "s"), RFC6979)
def test_rfc6979_vectors(secret: int, message: bytes, r: int, s: int) -> None:
    key = PrivateKey.from_int(secret)
    sig = key.sign(sha256(message))
    assert _der_to_rs(sig) == (r, s)
    assert key.public_key.verify(sig, sha256(message))
    assert not key.public_key.verify(sig, sha256(message + b"."))
    assert not PrivateKey.from_int(secret % (CURVE_ORDER - 1) + 1).public_key.verify(
        sig, sha256(message)
    )


def test_known_addresses() -> None:
    one = PrivateKey.from_int(1).public_key
    assert one.address() == "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"
    assert PublicKey(one.to_bytes(compressed=False)).address() == (
        "1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm"
    )
    # The genesis coinbase's address.
    genesis_pkh = bytes.fromhex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")
    assert pubkey_hash_to_address(genesis_pkh) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    assert address_to_pubkey_hash("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") == genesis_pkh


def test_base58_errors() -> None:
    with pytest.raises(ChecksumError, match="checksum mismatch"):
        b58decode_check("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb")
    with pytest.raises(DecodeError, match="not in the base58 alphabet"):
        b58decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0")
    with pytest.raises(DecodeError, match="too short"):
        b58decode_check("1")
    with pytest.raises(DecodeError, match="version byte"):
        address_to_pubkey_hash(b58encode_check(b"\x05" + bytes(20)))
    with pytest.raises(DecodeError, match="21 bytes"):
        address_to_pubkey_hash(b58encode_check(b"\x00" + bytes(19)))


@given(st.binary(max_size=64))
def test_base58_round_trip(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data
    assert b58decode_check(b58encode_check(data)) == data


@given(st.binary(min_size=1, max_size=40), st.integers(min_value=0))
def test_base58check_catches_any_single_character_change(data: bytes, where: int) -> None:
    text = b58encode_check(data)
    i = where % len(text)
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    changed = text[:i] + alphabet[(alphabet.index(text[i]) + 1) % 58] + text[i + 1 :]
    with contextlib.suppress(DecodeError):
        assert b58decode_check(changed) != data


def test_invalid_keys() -> None:
    for bad in (0, CURVE_ORDER, -1):
        with pytest.raises(InvalidKeyError, match=r"\[1, n - 1\]"):
            PrivateKey.from_int(bad)
    with pytest.raises(InvalidKeyError, match="32 bytes"):
        PrivateKey(bytes(31))
    with pytest.raises(DecodeError, match="private key must be 32 bytes"):
        PrivateKey.from_hex("01")
    with pytest.raises(InvalidKeyError, match="not a valid secp256k1 point"):
        PublicKey(b"\x02" + bytes(32))
    with pytest.raises(InvalidKeyError, match="not a valid secp256k1 point"):
        PublicKey(b"\x05" + bytes(32))
    with pytest.raises(DecodeError, match="message_hash must be 32 bytes"):
        PrivateKey.from_int(1).sign(b"short")


def test_malformed_signature_is_invalid_not_an_exception() -> None:
    pub = PrivateKey.from_int(5).public_key
    assert not pub.verify(b"\x30\x01", sha256(b"x"))
    assert not pub.verify(b"", sha256(b"x"))


def test_seeded_keys_are_reproducible_and_distinct() -> None:
    a1, a2 = PrivateKey.from_seed("alice"), PrivateKey.from_seed("alice")
    assert a1.secret == a2.secret
    assert PrivateKey.from_seed("bob").secret != a1.secret
    assert PrivateKey.from_seed(7).secret == PrivateKey.from_seed("7").secret
    assert PrivateKey.from_hex(a1.to_hex()).secret == a1.secret
    assert a1.to_hex() not in repr(a1)  # never print the secret
    with pytest.raises(InvalidKeyError, match="seed must be"):
        PrivateKey.from_seed(1.5)  # type: ignore[arg-type]


@settings(max_examples=25)
@given(st.integers(min_value=1, max_value=CURVE_ORDER - 1), st.binary(max_size=100))
def test_signatures_are_low_s_and_verify(secret: int, message: bytes) -> None:
    key = PrivateKey.from_int(secret)
    sig = key.sign(sha256(message))
    assert _der_to_rs(sig)[1] <= CURVE_ORDER // 2
    assert key.public_key.verify(sig, sha256(message))
