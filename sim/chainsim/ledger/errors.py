"""Errors raised by the ledger layer.

Every error is a :class:`LedgerError`, itself a :class:`chainsim.errors.ChainSimError`
and a :class:`ValueError`, so callers can catch the whole family at once. Validation
errors carry a short machine-readable ``rule`` name (for example ``"bad-signature"``)
and, when known, where the problem is (``block_index``, ``tx_index``, ``input_index``).

Examples
--------
>>> from chainsim.ledger import BlockHeader, LedgerError
>>> try:
...     BlockHeader.from_hex("00ff")
... except LedgerError as err:
...     print(err)
header must be 80 bytes (160 hex characters), got 2 bytes
"""

from __future__ import annotations

from chainsim.errors import ChainSimError

__all__ = [
    "AccountError",
    "BlockValidationError",
    "ChecksumError",
    "CoinbaseError",
    "DecodeError",
    "DoubleSpendError",
    "InsufficientFundsError",
    "InvalidKeyError",
    "InvalidSignatureError",
    "LedgerError",
    "NonceError",
    "OverspendError",
    "TransactionError",
    "UnknownOutputError",
    "ValidationError",
]


class LedgerError(ChainSimError, ValueError):
    """Base class of every error raised by :mod:`chainsim.ledger`."""


class DecodeError(LedgerError):
    """Malformed input: bad hex, wrong length, truncated or trailing bytes."""


class ChecksumError(DecodeError):
    """A Base58Check string whose 4-byte checksum does not match."""


class InvalidKeyError(LedgerError):
    """A private or public key that is not a valid secp256k1 key."""


class ValidationError(LedgerError):
    """A consensus rule was broken.

    Attributes
    ----------
    rule : str
        Short name of the broken rule, e.g. ``"bad-signature"``.
    block_index, tx_index, input_index : int or None
        Where the problem is, when known.
    """

    default_rule = "invalid"

    def __init__(
        self,
        message: str,
        *,
        rule: str | None = None,
        block_index: int | None = None,
        tx_index: int | None = None,
        input_index: int | None = None,
    ) -> None:
        super().__init__(message)
        self.rule = rule or self.default_rule
        self.block_index = block_index
        self.tx_index = tx_index
        self.input_index = input_index


class BlockValidationError(ValidationError):
    """A block-level rule failed (link, proof of work, Merkle root, time)."""

    default_rule = "bad-block"


class TransactionError(ValidationError):
    """A transaction-level rule failed."""

    default_rule = "bad-transaction"


class InvalidSignatureError(TransactionError):
    """A signature does not verify, or the public key does not match the output."""

    default_rule = "bad-signature"


class UnknownOutputError(TransactionError):
    """An input spends an output that does not exist."""

    default_rule = "missing-output"


class DoubleSpendError(UnknownOutputError):
    """An input spends an output that was already spent."""

    default_rule = "double-spend"


class OverspendError(TransactionError):
    """Outputs are worth more than the inputs they spend."""

    default_rule = "outputs-exceed-inputs"


class CoinbaseError(TransactionError):
    """The coinbase is missing, misplaced or claims too much."""

    default_rule = "bad-coinbase"


class AccountError(ValidationError):
    """An account-model transaction broke a rule."""

    default_rule = "bad-account-tx"


class NonceError(AccountError):
    """An account transaction has the wrong nonce (replayed or out of order)."""

    default_rule = "bad-nonce"


class InsufficientFundsError(AccountError):
    """An account cannot pay value plus fee."""

    default_rule = "insufficient-funds"
