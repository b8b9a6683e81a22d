"""Real Bitcoin mainnet data used as test vectors.

Headers and txids are public block-explorer data; each is checked for internal
consistency in the tests (the header hash must meet its own target and equal the
published hash, and the txids must give the header's Merkle root), so a wrong digit
fails loudly.
"""

from __future__ import annotations

# Genesis block (FACTS.md; Bitcoin Core chainparams.cpp).
GENESIS = {
    "fields": dict(
        version=1,
        prev_hash="00" * 32,
        merkle_root="4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
        time=1231006505,
        bits=0x1D00FFFF,
        nonce=2083236893,
    ),
    "hash": "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    "raw": (
        "0100000000000000000000000000000000000000000000000000000000000000"
        "000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa"
        "4b1e5e4a29ab5f49ffff001d1dac2b7c"
    ),
    "txids": ["4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"],
}

# Block 170: the first bitcoin payment, Satoshi to Hal Finney (2009-01-12).
BLOCK_170 = {
    "fields": dict(
        version=1,
        prev_hash="000000002a22cfee1f2c846adbd12b3e183d4f97683f85dad08a79780a84bd55",
        merkle_root="7dac2c5666815c17a3b36427de37bb9d2e2c5ccec3f8633eb91a4205cb4c10ff",
        time=1231731025,
        bits=0x1D00FFFF,
        nonce=1889418792,
    ),
    "hash": "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee",
    "txids": [
        "b1fea52486ce0c62bb442b530a3f0132b826c74e473d1f2c220bfa78111c5082",
        "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16",
    ],
}

# Block 100000 (2010-12-29), four transactions.
BLOCK_100000 = {
    "fields": dict(
        version=1,
        prev_hash="000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250",
        merkle_root="f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766",
        time=1293623863,
        bits=0x1B04864C,
        nonce=274148111,
    ),
    "hash": "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506",
    "txids": [
        "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
        "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
        "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
        "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
    ],
}

REAL_BLOCKS = {"genesis": GENESIS, "170": BLOCK_170, "100000": BLOCK_100000}

# Retargets: (prev_bits, first_block_time, last_block_time, expected_bits).
# The first is the real boundary at height 32256 (blocks 30240 and 32255); all four are
# the cases of Bitcoin Core's src/test/pow_tests.cpp (get_next_work, pow_limit,
# lower_limit_actual, upper_limit_actual), which use mainnet timestamps.
RETARGETS = [
    (0x1D00FFFF, 1261130161, 1262152739, 0x1D00D86A),
    (0x1D00FFFF, 1231006505, 1233061996, 0x1D00FFFF),
    (0x1C05A3F4, 1279008237, 1279297671, 0x1C0168FD),
    (0x1C387F6F, 1263163443, 1269211443, 0x1D00E1FD),
]

# A real mainnet P2PKH transaction, the worked example of Song, "Programming Bitcoin"
# (O'Reilly 2019), chapters 5 and 7: txid, the spent output's pubkey hash, the input
# value (fee 40,000 sat) and the legacy SIGHASH_ALL message hash z are as published.
REAL_TX = {
    "raw": (
        "0100000001813f79011acb80925dfe69b3def355fe914bd1d96a3f5f71bf8303c6a989c7d1"
        "000000006b483045022100ed81ff192e75a3fd2304004dcadb746fa5e24c5031ccfcf21320"
        "b0277457c98f02207a986d955c6e0cb35d446a89d3f56100f4d7f67801c31967743a9c8e10"
        "615bed01210349fc4e631e3624a545de3f89f5d8684c7b8138bd94bdd531d2e213bf016b27"
        "8afeffffff02a135ef01000000001976a914bc3b654dca7e56b04dca18f2566cdaf02e8d9a"
        "da88ac99c39800000000001976a9141c4bc762dd5423e332166702cb75f40df79fea1288ac"
        "19430600"
    ),
    "txid": "452c629d67e41baec3ac6f04fe744b4b9617f8f859c63b3002f8684e7a4fee03",
    "prev_txid": "d1c789a9c60383bf715f3f6ad9d14b91fe55f3deb369fe5d9280cb1a01793f81",
    "spent_pubkey_hash": "a802fc56c704ce87c42d7c92eb75e7896bdc41ae",
    "spent_value_sat": 42_505_594,
    "sighash_z": "27e0c5994dec7824e56dec6b2fcb342eb7cdb0d0957c2fce9882f715e85d81a6",
    "fee_sat": 40_000,
}
