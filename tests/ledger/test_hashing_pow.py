"""Hashes, byte order, compact bits, difficulty, work and the nonce search."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainsim.errors import ChainSimError
from chainsim.ledger import (
    EASY_BITS,
    POW_LIMIT_BITS,
    TEACHING_BITS,
    BlockHeader,
    DecodeError,
    LedgerError,
    bits_to_target,
    block_work,
    difficulty,
    expected_hashes,
    hash160,
    hash_to_hex,
    hex_to_hash,
    mine,
    ripemd160,
    sha256,
    sha256d,
    target_to_bits,
)
from chainsim.ledger._ripemd160 import ripemd160_pure
from chainsim.ledger.hashing import HAS_HASHLIB_RIPEMD160

# FIPS 180-2 appendix B (SHA-256) and the RIPEMD-160 paper's test vectors.
SHA256_VECTORS = {
    b"abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": (
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
}
RIPEMD160_VECTORS = {
    b"": "9c1185a5c5e9fc54612808977ee8f548b2258d31",
    b"a": "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe",
    b"abc": "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc",
    b"message digest": "5d0689ef49d2fae572b881b123a85ffa21595f36",
    b"abcdefghijklmnopqrstuvwxyz": "f71c27109c692c1b56bbdceb5b9d2865b3708dbc",
    b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": (
        "12a053384a9c0c88e405a06c27dcf49ada62eb2b"
    ),
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789": (
        "b0e20b6e3116640286ed3a87a5713079b21f5189"
    ),
    b"1234567890" * 8: "9b752e45573d4b39f4dbd3323cab82bf63326bfb",
}


@pytest.mark.parametrize(("message", "digest"), SHA256_VECTORS.items())
def test_sha256_fips_vectors(message: bytes, digest: str) -> None:
    assert sha256(message).hex() == digest
    assert sha256d(message) == hashlib.sha256(bytes.fromhex(digest)).digest()


@pytest.mark.parametrize(("message", "digest"), RIPEMD160_VECTORS.items())
def test_ripemd160_published_vectors(message: bytes, digest: str) -> None:
    assert ripemd160_pure(message).hex() == digest
    assert ripemd160(message).hex() == digest


@pytest.mark.slow
def test_ripemd160_million_a() -> None:
    assert ripemd160_pure(b"a" * 1_000_000).hex() == "52783243c1697bdbe16d37f97f68f08325dc1528"


@given(st.binary(max_size=300))
def test_pure_ripemd160_matches_dispatch(data: bytes) -> None:
    assert ripemd160_pure(data) == ripemd160(data)
    if HAS_HASHLIB_RIPEMD160:
        assert ripemd160_pure(data) == hashlib.new("ripemd160", data).digest()


def test_hash160_of_generator_point() -> None:
    g = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    assert hash160(g).hex() == "751e76e8199196d454941c45d1b3a323f1433bd6"


def test_display_order_is_reversed_internal_order() -> None:
    digest = sha256d(b"chainsim")
    shown = hash_to_hex(digest)
    assert shown == digest[::-1].hex()
    assert hex_to_hash(shown) == digest
    with pytest.raises(DecodeError, match="64 hex characters"):
        hex_to_hash("00" * 31)
    with pytest.raises(DecodeError, match="hexadecimal"):
        hex_to_hash("zz" * 32)


@pytest.mark.parametrize(
    ("bits", "target"),
    [
        (0x1D00FFFF, 0xFFFF << 208),
        (0x1B04864C, 0x04864C << 192),
        (0x207FFFFF, 0x7FFFFF << 232),
        (0x03123456, 0x123456),
        (0x05009234, 0x92340000),
    ],
)
def test_bits_to_target_and_back(bits: int, target: int) -> None:
    assert bits_to_target(bits) == target
    assert target_to_bits(target) == bits


def test_non_canonical_bits_decode_like_bitcoin_core() -> None:
    # Exponent 2 drops the mantissa's low byte (Core's SetCompact); re-encoding
    # gives the canonical form.
    assert bits_to_target(0x02123456) == 0x1234
    assert target_to_bits(0x1234) == 0x02123400


def test_bits_errors_name_the_problem() -> None:
    with pytest.raises(LedgerError, match="negative"):
        bits_to_target(0x04923456)
    with pytest.raises(LedgerError, match="256 bits"):
        bits_to_target(0xFF123456)
    with pytest.raises(LedgerError, match="zero target"):
        bits_to_target(0x1D000000)
    with pytest.raises(ChainSimError, match="unsigned 32-bit"):
        bits_to_target(-1)
    with pytest.raises(LedgerError, match="target must be"):
        target_to_bits(2**256)


@given(st.integers(min_value=1, max_value=2**256 - 1))
def test_compact_rounds_down_to_three_significant_bytes(target: int) -> None:
    bits = target_to_bits(target)
    back = bits_to_target(bits)
    assert back <= target
    # At most the bytes below the top two or three significant ones are lost (two
    # when the top byte would set the sign bit and the mantissa shifts right).
    size = (target.bit_length() + 7) // 8
    assert target - back < 256 ** max(0, size - 2)
    assert target_to_bits(back) == bits


def test_difficulty_and_work() -> None:
    assert difficulty(POW_LIMIT_BITS) == 1.0
    # Block 100000's difficulty as published by explorers: 14,484.1623612254.
    assert difficulty(0x1B04864C) == pytest.approx(14484.1623612254, rel=1e-12)
    assert block_work(POW_LIMIT_BITS) == 0x100010001
    assert block_work(0x1B04864C) == 2**256 // ((0x04864C << 192) + 1)
    assert expected_hashes(TEACHING_BITS) == pytest.approx(65537, rel=1e-3)
    assert expected_hashes(EASY_BITS) == pytest.approx(256, rel=1e-3)


HEADER = BlockHeader(1, "00" * 32, "ab" * 32, 1_700_000_000, TEACHING_BITS, 0)


def test_mine_finds_the_first_valid_nonce() -> None:
    result = mine(HEADER)
    assert result.found and result.stopped_by == "found"
    assert result.header.check_pow()
    assert result.header.hash_hex() == result.hash_hex
    assert result.hash_hex.startswith("0000")
    assert result.hashes_tried == result.nonce + 1
    assert result.hash_rate > 0
    # No smaller nonce works: the search is exhaustive from start_nonce.
    target = bits_to_target(TEACHING_BITS)
    assert all(
        int.from_bytes(HEADER.replace(nonce=n).hash_bytes(), "little") > target
        for n in range(0, result.nonce, max(1, result.nonce // 200))
    )


def test_mine_stops_on_max_hashes_time_limit_and_callback() -> None:
    hard = HEADER.replace(bits=POW_LIMIT_BITS)
    r = mine(hard, max_hashes=5000)
    assert (r.found, r.stopped_by, r.hashes_tried) == (False, "max_hashes", 5000)
    assert r.header.nonce == 4999
    r = mine(hard, time_limit_s=0.05, check_every=1000)
    assert not r.found and r.stopped_by == "time_limit" and r.hashes_tried >= 1000
    calls: list[int] = []

    def stop_after_three(n: int) -> bool:
        calls.append(n)
        return len(calls) == 3

    r = mine(hard, should_stop=stop_after_three, check_every=100)
    assert r.stopped_by == "should_stop" and r.hashes_tried == 300 and calls == [100, 200, 300]
    r = mine(hard, start_nonce=2**32 - 10)
    assert r.stopped_by == "exhausted" and r.hashes_tried == 10


def test_mine_with_progress_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    r = mine(HEADER.replace(bits=EASY_BITS), progress=True, check_every=64)
    assert r.found and r.header.check_pow()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_nonce": -1}, "start_nonce"),
        ({"start_nonce": 2**32}, "start_nonce"),
        ({"max_hashes": 0}, "max_hashes"),
        ({"time_limit_s": -1.0}, "time_limit_s"),
        ({"check_every": 0}, "check_every"),
    ],
)
def test_mine_rejects_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(LedgerError, match=match):
        mine(HEADER, **kwargs)
