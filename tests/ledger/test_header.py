"""Block headers: real mainnet headers from their fields, bytes, parsing, tampering."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainsim.ledger import (
    POW_LIMIT_BITS,
    BlockHeader,
    DecodeError,
    difficulty,
    merkle_root,
)

from .vectors import BLOCK_100000, GENESIS, REAL_BLOCKS


@pytest.mark.parametrize("name", REAL_BLOCKS)
def test_real_header_hash_from_fields(name: str) -> None:
    vec = REAL_BLOCKS[name]
    header = BlockHeader(**vec["fields"])
    assert header.hash_hex() == vec["hash"]
    # Internal consistency: the hash meets its own target, and under mainnet's limit.
    assert header.check_pow(pow_limit_bits=POW_LIMIT_BITS)
    assert int(vec["hash"], 16) <= header.target
    # The header's Merkle root is the root of the block's real txids.
    assert merkle_root(vec["txids"]) == header.merkle_root


def test_genesis_raw_bytes_round_trip() -> None:
    header = BlockHeader.from_hex(GENESIS["raw"])
    assert header == BlockHeader(**GENESIS["fields"])
    assert header.to_hex() == GENESIS["raw"]
    assert len(header.serialize()) == 80
    assert BlockHeader.from_bytes(header.serialize()) == header
    assert header.difficulty == 1.0 and header.work == 0x100010001


def test_block_100000_difficulty_and_links() -> None:
    header = BlockHeader(**BLOCK_100000["fields"])
    assert header.difficulty == pytest.approx(difficulty(0x1B04864C))
    # The serialized bytes hold the hashes in internal (reversed) order.
    raw = header.serialize()
    assert raw[4:36][::-1].hex() == header.prev_hash
    assert raw[36:68][::-1].hex() == header.merkle_root


def test_uppercase_hashes_are_normalised() -> None:
    fields = dict(GENESIS["fields"], merkle_root=GENESIS["fields"]["merkle_root"].upper())
    assert BlockHeader(**fields) == BlockHeader(**GENESIS["fields"])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"version": 2**31}, "version must be a signed 32-bit integer"),
        ({"prev_hash": "00" * 31}, "prev_hash must be 32 bytes"),
        ({"merkle_root": "xyz"}, "merkle_root must be hexadecimal"),
        ({"time": -1}, "time must be an integer"),
        ({"bits": 2**32}, "bits must be an unsigned 32-bit integer"),
        ({"nonce": 1.5}, "nonce must be an integer"),
    ],
)
def test_bad_fields_raise_decode_errors(change: dict, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        BlockHeader(**dict(GENESIS["fields"], **change))


def test_bad_bytes_raise_decode_errors() -> None:
    with pytest.raises(DecodeError, match="80 bytes"):
        BlockHeader.from_bytes(bytes(81))
    with pytest.raises(DecodeError, match="header must be hexadecimal"):
        BlockHeader.from_hex("g" * 160)
    with pytest.raises(DecodeError, match="must be bytes"):
        BlockHeader.from_bytes("00" * 80)  # type: ignore[arg-type]


def test_headers_are_immutable() -> None:
    header = BlockHeader(**GENESIS["fields"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        header.nonce = 1  # type: ignore[misc]


def test_bits_that_encode_no_valid_target_fail_pow() -> None:
    header = BlockHeader(**GENESIS["fields"])
    assert not header.replace(bits=0x1D800000 | 0xFFFF).check_pow()  # negative
    assert not header.replace(bits=0x1D000000).check_pow()  # zero


@given(
    name=st.sampled_from(sorted(REAL_BLOCKS)),
    position=st.integers(min_value=0, max_value=79),
    mask=st.integers(min_value=1, max_value=255),
)
def test_flipping_any_header_byte_breaks_validation(name: str, position: int, mask: int) -> None:
    vec = REAL_BLOCKS[name]
    raw = bytearray(BlockHeader(**vec["fields"]).serialize())
    raw[position] ^= mask
    tampered = BlockHeader.from_bytes(bytes(raw))
    # The next block commits to the old hash, and the tampered header no longer
    # carries valid proof of work under mainnet's rules.
    assert tampered.hash_hex() != vec["hash"]
    assert not tampered.check_pow(pow_limit_bits=POW_LIMIT_BITS)
