"""The account model, for comparison with UTXOs.

Ethereum-style ledgers keep a *balance* and a *nonce* (count of sent transactions)
per account instead of a set of coins. A transfer is valid when it is signed by the
sender, its nonce equals the sender's current nonce (which stops replays), and the
sender can pay value plus fee. Applying it moves the value, pays the fee to the block
producer and increments the nonce. Accounts are named by the 20-byte hash of their
public key, as in P2PKH.

Examples
--------
>>> from chainsim.ledger import PrivateKey
>>> alice, bob = PrivateKey.from_seed("alice"), PrivateKey.from_seed("bob")
>>> a, b = alice.public_key.hash160().hex(), bob.public_key.hash160().hex()
>>> state = AccountState({a: 100})
>>> tx = AccountTx(a, b, value=30, nonce=0, fee=1).sign(alice)
>>> state.apply(tx, producer=b)
>>> state.balance(a), state.balance(b), state.nonce(a)
(69, 31, 1)
>>> state.apply(tx, producer=b)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
chainsim.ledger.errors.NonceError: account tx from ...: nonce 0, expected 1 (replayed ...)
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from chainsim.ledger.errors import (
    AccountError,
    InsufficientFundsError,
    InvalidKeyError,
    InvalidSignatureError,
    NonceError,
)
from chainsim.ledger.hashing import hash160, hash_to_hex, hex_to_bytes, sha256d
from chainsim.ledger.keys import PrivateKey, PublicKey

__all__ = ["AccountState", "AccountTx"]


@dataclass(frozen=True, slots=True)
class AccountTx:
    """A signed transfer between accounts (amounts in satoshi-like integer units)."""

    sender: str
    recipient: str
    value: int
    nonce: int
    fee: int = 0
    public_key: bytes = b""
    signature: bytes = b""

    def __post_init__(self) -> None:
        hex_to_bytes(self.sender, name="sender", n_bytes=20)
        hex_to_bytes(self.recipient, name="recipient", n_bytes=20)
        for name in ("value", "nonce", "fee"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**64:
                raise AccountError(f"{name} must be an integer in [0, 2**64), got {v!r}")

    def signing_bytes(self) -> bytes:
        """Canonical bytes that are signed: sender, recipient, value, nonce, fee."""
        return (
            bytes.fromhex(self.sender)
            + bytes.fromhex(self.recipient)
            + struct.pack("<QQQ", self.value, self.nonce, self.fee)
        )

    @property
    def txid(self) -> str:
        """Hash of the signed transfer (display hex)."""
        return hash_to_hex(sha256d(self.signing_bytes() + self.public_key + self.signature))

    def sign(self, key: PrivateKey) -> AccountTx:
        """Signed copy; ``key`` must own ``sender``."""
        pub = key.public_key.to_bytes()
        if hash160(pub).hex() != self.sender.lower():
            raise InvalidKeyError(f"key does not own account {self.sender}")
        return replace(self, public_key=pub, signature=key.sign(sha256d(self.signing_bytes())))

    def verify(self) -> bool:
        """Whether the signature is valid and made by the sender's key."""
        if not self.public_key or hash160(self.public_key).hex() != self.sender.lower():
            return False
        try:
            key = PublicKey(self.public_key)
        except InvalidKeyError:
            return False
        return key.verify(self.signature, sha256d(self.signing_bytes()))


@dataclass
class AccountState:
    """Balances and nonces of accounts; apply and undo blocks of transfers.

    Parameters
    ----------
    balances : mapping of str to int
        Initial balances (e.g. a genesis allocation).
    """

    balances: dict[str, int] = field(default_factory=dict)
    nonces: dict[str, int] = field(default_factory=dict)
    _journal: list[tuple[dict[str, int], dict[str, int]]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.balances = {k.lower(): int(v) for k, v in dict(self.balances).items()}

    def balance(self, account: str) -> int:
        """Balance of ``account`` (0 if unknown)."""
        return self.balances.get(account.lower(), 0)

    def nonce(self, account: str) -> int:
        """Next expected nonce of ``account``."""
        return self.nonces.get(account.lower(), 0)

    def total(self) -> int:
        """Sum of all balances."""
        return sum(self.balances.values())

    def check(self, tx: AccountTx) -> None:
        """Raise the specific :class:`AccountError` if ``tx`` is not valid now."""
        where = f"account tx from {tx.sender[:12]}..."
        if not tx.verify():
            raise InvalidSignatureError(f"{where}: signature missing or invalid")
        expected = self.nonce(tx.sender)
        if tx.nonce != expected:
            raise NonceError(
                f"{where}: nonce {tx.nonce}, expected {expected} (replayed or out of order)"
            )
        have = self.balance(tx.sender)
        if have < tx.value + tx.fee:
            raise InsufficientFundsError(
                f"{where}: balance {have} < value {tx.value} + fee {tx.fee}"
            )

    def apply(self, tx: AccountTx, *, producer: str | None = None) -> None:
        """Check and apply one transfer; the fee goes to ``producer`` (burnt if None)."""
        self.check(tx)
        s, r = tx.sender.lower(), tx.recipient.lower()
        self.balances[s] = self.balance(s) - tx.value - tx.fee
        self.balances[r] = self.balance(r) + tx.value
        if producer is not None:
            self.balances[producer.lower()] = self.balance(producer) + tx.fee
        self.nonces[s] = self.nonce(s) + 1

    def apply_block(self, txs: Sequence[AccountTx], *, producer: str, reward: int = 0) -> None:
        """Apply all transfers or none, pay ``reward`` plus fees to ``producer``.

        The previous state is journalled for :meth:`undo_block`.
        """
        saved = (dict(self.balances), dict(self.nonces))
        try:
            for i, tx in enumerate(txs):
                try:
                    self.apply(tx, producer=producer)
                except AccountError as err:
                    err.tx_index = i
                    raise
            self.balances[producer.lower()] = self.balance(producer) + reward
        except AccountError:
            self.balances, self.nonces = saved
            raise
        self._journal.append(saved)

    def undo_block(self) -> None:
        """Restore the state before the last :meth:`apply_block`."""
        if not self._journal:
            raise AccountError("undo_block: no block to undo")
        self.balances, self.nonces = self._journal.pop()

    def snapshot(self) -> tuple[Mapping[str, int], Mapping[str, int]]:
        """Copies of (balances, nonces) without zero entries, for comparisons."""
        return (
            {k: v for k, v in self.balances.items() if v},
            {k: v for k, v in self.nonces.items() if v},
        )
