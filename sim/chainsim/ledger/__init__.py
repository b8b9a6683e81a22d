"""Bitcoin-compatible ledger primitives: hashes, headers, Merkle trees, retargeting,
keys, UTXO transactions, an account model, chain state and validation.

Pure Python on :mod:`hashlib` and :mod:`coincurve` (libsecp256k1); no SimPy, no
plotting. Hashes in the public API are display-order hex strings, as block explorers
show them. Every error raised on purpose is a :class:`LedgerError`.

Examples
--------
>>> from chainsim.ledger import BlockHeader, merkle_root
>>> BlockHeader(1, "00" * 32,
...             "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
...             1231006505, 0x1D00FFFF, 2083236893).hash_hex()
'000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f'
"""

from __future__ import annotations

from chainsim.ledger.accounts import AccountState, AccountTx
from chainsim.ledger.chain import (
    Block,
    BlockUndo,
    ChainReport,
    ChainRules,
    ChainState,
    Failure,
    header_failures,
    validate_chain,
)
from chainsim.ledger.errors import (
    AccountError,
    BlockValidationError,
    ChecksumError,
    CoinbaseError,
    DecodeError,
    DoubleSpendError,
    InsufficientFundsError,
    InvalidKeyError,
    InvalidSignatureError,
    LedgerError,
    NonceError,
    OverspendError,
    TransactionError,
    UnknownOutputError,
    ValidationError,
)
from chainsim.ledger.hashing import (
    hash160,
    hash_to_hex,
    hex_to_hash,
    ripemd160,
    sha256,
    sha256d,
)
from chainsim.ledger.header import HEADER_SIZE_BYTES, BlockHeader
from chainsim.ledger.keys import (
    CURVE_ORDER,
    PrivateKey,
    PublicKey,
    address_to_pubkey_hash,
    b58decode,
    b58decode_check,
    b58encode,
    b58encode_check,
    pubkey_hash_to_address,
)
from chainsim.ledger.merkle import (
    MerkleProof,
    merkle_proof,
    merkle_root,
    merkle_root_mutated,
    verify_merkle_proof,
)
from chainsim.ledger.mining import MiningResult, mine
from chainsim.ledger.pow import (
    EASY_BITS,
    POW_LIMIT_BITS,
    TEACHING_BITS,
    bits_to_target,
    block_work,
    difficulty,
    expected_hashes,
    target_to_bits,
)
from chainsim.ledger.retarget import (
    RETARGET_INTERVAL_BLOCKS,
    TARGET_SPACING_S,
    TARGET_TIMESPAN_S,
    difficulty_ratio,
    is_retarget_height,
    next_bits,
    next_bits_from_timespan,
)
from chainsim.ledger.teaching import (
    Wallet,
    make_chain,
    new_block,
    relink_chain,
    remine_chain,
    tamper_transaction,
)
from chainsim.ledger.transactions import (
    COIN,
    HALVING_INTERVAL_BLOCKS,
    INITIAL_SUBSIDY_SAT,
    OutPoint,
    Transaction,
    TxIn,
    TxOut,
    block_subsidy,
    make_coinbase,
    sign_transaction,
    validate_transaction,
)

__all__ = [
    "COIN",
    "CURVE_ORDER",
    "EASY_BITS",
    "HALVING_INTERVAL_BLOCKS",
    "HEADER_SIZE_BYTES",
    "INITIAL_SUBSIDY_SAT",
    "POW_LIMIT_BITS",
    "RETARGET_INTERVAL_BLOCKS",
    "TARGET_SPACING_S",
    "TARGET_TIMESPAN_S",
    "TEACHING_BITS",
    "AccountError",
    "AccountState",
    "AccountTx",
    "Block",
    "BlockHeader",
    "BlockUndo",
    "BlockValidationError",
    "ChainReport",
    "ChainRules",
    "ChainState",
    "ChecksumError",
    "CoinbaseError",
    "DecodeError",
    "DoubleSpendError",
    "Failure",
    "InsufficientFundsError",
    "InvalidKeyError",
    "InvalidSignatureError",
    "LedgerError",
    "MerkleProof",
    "MiningResult",
    "NonceError",
    "OutPoint",
    "OverspendError",
    "PrivateKey",
    "PublicKey",
    "Transaction",
    "TransactionError",
    "TxIn",
    "TxOut",
    "UnknownOutputError",
    "ValidationError",
    "Wallet",
    "address_to_pubkey_hash",
    "b58decode",
    "b58decode_check",
    "b58encode",
    "b58encode_check",
    "bits_to_target",
    "block_subsidy",
    "block_work",
    "difficulty",
    "difficulty_ratio",
    "expected_hashes",
    "hash160",
    "hash_to_hex",
    "header_failures",
    "hex_to_hash",
    "is_retarget_height",
    "make_chain",
    "make_coinbase",
    "merkle_proof",
    "merkle_root",
    "merkle_root_mutated",
    "mine",
    "new_block",
    "next_bits",
    "next_bits_from_timespan",
    "pubkey_hash_to_address",
    "relink_chain",
    "remine_chain",
    "ripemd160",
    "sha256",
    "sha256d",
    "sign_transaction",
    "tamper_transaction",
    "target_to_bits",
    "validate_chain",
    "validate_transaction",
    "verify_merkle_proof",
]
