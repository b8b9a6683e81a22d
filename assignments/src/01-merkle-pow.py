# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade_id": "intro", "locked": true}
# # Assignment 1: Merkle trees and proof of work
# # 作业 1：默克尔树与工作量证明
#
# You will write four small functions and one short written answer:
#
# | Task | What you write | Points |
# |---|---|---|
# | 1 | `leaf_hash`, `node_hash`, `merkle_tree_hash`: a Merkle tree with domain separation | 3 |
# | 2 | `verify_inclusion`: check an inclusion proof for that tree | 3 |
# | 3 | `leading_zero_bits`: count the zero bits at the front of a hash | 2 |
# | 4 | `find_nonce`: a tiny proof-of-work search | 2 |
# | 5 | A written answer: what the tree design fixes, and what proof of work costs | 4 |
#
# Tasks 1-4 are graded automatically. Each answer cell is followed by a read-only test
# cell: run it to check your work. **The autograder also runs hidden tests**, so passing
# the visible tests is necessary but not always sufficient: read each specification
# carefully. Task 5 is graded by a person.
#
# Rules: use Python's `hashlib` (already imported below). Do not edit the read-only
# cells; the grader restores them from its own copy anyway. Before you submit, restart
# the kernel and run all cells (*Kernel → Restart Kernel and Run All Cells*).
#
# 本作业包含四个自动评分的函数和一道人工评分的简答题。每个答案单元格后面是只读的测试单元格，
# 评分时还会运行隐藏测试。请只使用 `hashlib`，提交前请重启内核并运行全部单元格。

# %% nbgrader={"grade_id": "setup", "locked": true}
import hashlib

from chainsim.ledger.merkle import merkle_root_bytes  # Bitcoin's tree, for comparison

# The eight test leaves used by Certificate Transparency's reference test suite
# (RFC 6962 test vectors): leaf i is the data below, decoded from hex.
RFC6962_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]


def sha256(data: bytes) -> bytes:
    """SHA-256 of ``data`` (32 bytes)."""
    return hashlib.sha256(data).digest()


# %% [markdown] nbgrader={"grade_id": "task1_text", "locked": true}
# ## Task 1: a Merkle tree with domain separation (3 points)
# ## 任务 1：带域分离的默克尔树
#
# Bitcoin builds its Merkle tree by hashing pairs and, when a level has an odd number of
# hashes, *pairing the last hash with itself*. Certificate Transparency (RFC 6962, section
# 2.1) defines a different tree, which you will implement. For a list of `n` data items
# `D = [d0, d1, ..., d(n-1)]` (each a `bytes` object), the Merkle Tree Hash is:
#
# * `n == 0`: `MTH([]) = SHA-256(b"")` (the hash of the empty string);
# * `n == 1`: `MTH([d0]) = leaf_hash(d0) = SHA-256(0x00 || d0)`;
# * `n > 1`: let `k` be the **largest power of two smaller than `n`** (so `k < n <= 2k`);
#   then `MTH(D) = node_hash(MTH(D[:k]), MTH(D[k:]))` where
#   `node_hash(l, r) = SHA-256(0x01 || l || r)`.
#
# `||` is concatenation of bytes; `0x00` is the single byte `b"\x00"`. The two one-byte
# prefixes are the *domain separation*: a leaf hash can never be confused with an inner
# node hash. Nothing is ever duplicated: a tree of 7 leaves is split 4 + 3, the 3 as 2 + 1.
#
# Write the three functions below. Each returns 32 bytes. `merkle_tree_hash` must not
# modify the list it is given.
#
# 中文说明：比特币的默克尔树在某层哈希个数为奇数时把最后一个哈希与自身配对；RFC 6962
# （证书透明度）定义了另一种树。对 `n` 个数据项：`n == 0` 时根为 `SHA-256(b"")`；`n == 1`
# 时为叶哈希 `SHA-256(0x00 || d0)`；`n > 1` 时取**小于 `n` 的最大 2 的幂** `k`，根为
# `node_hash(MTH(D[:k]), MTH(D[k:]))`，其中 `node_hash(l, r) = SHA-256(0x01 || l || r)`。
# 前缀 `0x00`/`0x01` 即“域分离”：叶哈希与内部节点哈希不会混淆；树中从不复制哈希。
# 请实现下面三个函数（均返回 32 字节），`merkle_tree_hash` 不得修改传入的列表。


# %% nbgrader={"grade_id": "merkle_tree_hash", "solution": true}
def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    ### BEGIN SOLUTION
    return sha256(b"\x00" + data)
    ### END SOLUTION


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 inner-node hash: SHA-256(0x01 || left || right)."""
    ### BEGIN SOLUTION
    return sha256(b"\x01" + left + right)
    ### END SOLUTION


def merkle_tree_hash(leaves: list[bytes]) -> bytes:
    """Merkle Tree Hash (RFC 6962, section 2.1) of a list of data items."""
    ### BEGIN SOLUTION
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1
    while 2 * k < n:
        k *= 2
    return node_hash(merkle_tree_hash(leaves[:k]), merkle_tree_hash(leaves[k:]))
    ### END SOLUTION


# %% nbgrader={"grade_id": "test_merkle_tree_hash", "grade": true, "locked": true, "points": 3}
# Visible tests for task 1 (RFC 6962 reference roots).
assert leaf_hash(b"") == sha256(b"\x00")
assert node_hash(b"L", b"R") == sha256(b"\x01LR")
assert merkle_tree_hash([]) == sha256(b"")
assert merkle_tree_hash(RFC6962_LEAVES[:1]).hex() == (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
)
assert merkle_tree_hash(RFC6962_LEAVES[:2]).hex() == (
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
)
assert merkle_tree_hash(RFC6962_LEAVES[:3]).hex() == (
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
)
assert merkle_tree_hash(RFC6962_LEAVES).hex() == (
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
)
print("Task 1: visible tests passed.")
### BEGIN HIDDEN TESTS
_roots = {
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
}
for _n, _root in _roots.items():
    assert merkle_tree_hash(RFC6962_LEAVES[:_n]).hex() == _root, _n


def _ref_mth(items):
    # Bottom-up: merge the two rightmost complete subtrees of equal size.
    stack = []
    for _i, _d in enumerate(items):
        stack.append(sha256(b"\x00" + _d))
        _m = _i + 1
        while _m % 2 == 0:
            _r = stack.pop()
            stack.append(sha256(b"\x01" + stack.pop() + _r))
            _m //= 2
    if not stack:
        return sha256(b"")
    _acc = stack.pop()
    while stack:
        _acc = sha256(b"\x01" + stack.pop() + _acc)
    return _acc


for _n in (9, 10, 13, 16, 17, 31, 100):
    _items = [bytes([_i % 256]) * (_i % 5) for _i in range(_n)]
    assert merkle_tree_hash(_items) == _ref_mth(_items), _n
# No duplication (CVE-2012-2459): six leaves and the same six plus the last two repeated.
_six = RFC6962_LEAVES[:6]
assert merkle_tree_hash(_six) != merkle_tree_hash(_six + _six[4:])
# Domain separation: two leaves are not one leaf made of their two hashes.
_a, _b = b"a", b"b"
assert merkle_tree_hash([_a, _b]) != merkle_tree_hash([leaf_hash(_a) + leaf_hash(_b)])
_copy = list(RFC6962_LEAVES)
merkle_tree_hash(_copy)
assert _copy == RFC6962_LEAVES, "merkle_tree_hash modified its argument"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "task2_text", "locked": true}
# ## Task 2: verify an inclusion proof (3 points)
# ## 任务 2：验证包含证明
#
# To convince you that item `d` is leaf number `index` (counting from 0) of a tree of
# `tree_size` leaves whose root you know, a server sends an *inclusion proof* (RFC 6962,
# section 2.1.1, the "audit path"): the list of sibling subtree hashes needed to
# recompute the root, **ordered from the leaf up to the root**. For a tree of `n > 1`
# leaves split at `k` (as in task 1), the path of leaf `m` is
#
# * `m < k`: the path of `m` in the left subtree `D[:k]`, followed by `MTH(D[k:])`;
# * `m >= k`: the path of `m - k` in the right subtree `D[k:]`, followed by `MTH(D[:k])`;
#
# and the path in a one-leaf tree is empty. So the *last* element of the proof is the
# sibling just below the root.
#
# Write `verify_inclusion(leaf, index, tree_size, proof, root)` that returns `True` if
# and only if the proof shows that `leaf` (raw data, not yet hashed) sits at position
# `index` of a tree of `tree_size` leaves with Merkle Tree Hash `root`. Return `False`
# (do not raise) for any proof that does not check out, including a proof with too many
# or too few hashes, and an `index` outside `0 <= index < tree_size`. You may use your
# functions from task 1.
#
# 中文说明：包含证明（RFC 6962 第 2.1.1 节的“审计路径”）是从叶到根重新计算根哈希所需的
# 兄弟子树哈希列表，**按从叶到根的顺序**排列，最后一个元素是紧挨根的兄弟。请实现
# `verify_inclusion(leaf, index, tree_size, proof, root)`：仅当证明表明原始数据 `leaf`
# 位于共 `tree_size` 个叶子、根为 `root` 的树的第 `index` 个位置（从 0 起）时返回 `True`；
# 其他情况（哈希个数过多或过少、`index` 越界等）一律返回 `False`，不要抛出异常。


# %% nbgrader={"grade_id": "verify_inclusion", "solution": true}
def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: list[bytes], root: bytes
) -> bool:
    """True if ``proof`` shows ``leaf`` at ``index`` in the tree of ``tree_size`` leaves."""
    ### BEGIN SOLUTION
    if not 0 <= index < tree_size:
        return False

    def subtree_root(m: int, n: int, path: list[bytes]) -> bytes | None:
        # Hash of the subtree of n leaves holding leaf m, or None if the path is wrong.
        if n == 1:
            return leaf_hash(leaf) if not path else None
        if not path:
            return None
        k = 1
        while 2 * k < n:
            k *= 2
        *lower, sibling = path
        if m < k:
            left = subtree_root(m, k, lower)
            return None if left is None else node_hash(left, sibling)
        right = subtree_root(m - k, n - k, lower)
        return None if right is None else node_hash(sibling, right)

    return subtree_root(index, tree_size, list(proof)) == root
    ### END SOLUTION


# %% nbgrader={"grade_id": "test_verify_inclusion", "grade": true, "locked": true, "points": 3}
# Visible tests for task 2, on the RFC 6962 test tree.
_root8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
_proof_0_of_8 = [
    bytes.fromhex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    bytes.fromhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
    bytes.fromhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
]
assert verify_inclusion(RFC6962_LEAVES[0], 0, 8, _proof_0_of_8, _root8) is True
assert verify_inclusion(b"not a leaf", 0, 8, _proof_0_of_8, _root8) is False
assert verify_inclusion(RFC6962_LEAVES[0], 1, 8, _proof_0_of_8, _root8) is False
assert verify_inclusion(RFC6962_LEAVES[0], 0, 8, _proof_0_of_8[::-1], _root8) is False

_root7 = bytes.fromhex("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c")
_proof_6_of_7 = [
    bytes.fromhex("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
    bytes.fromhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
]
assert verify_inclusion(RFC6962_LEAVES[6], 6, 7, _proof_6_of_7, _root7) is True
assert verify_inclusion(RFC6962_LEAVES[6], 6, 7, _proof_6_of_7, _root8) is False

_root1 = bytes.fromhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
assert verify_inclusion(RFC6962_LEAVES[0], 0, 1, [], _root1) is True
print("Task 2: visible tests passed.")


### BEGIN HIDDEN TESTS
def _ref_tree(items):
    if len(items) == 0:
        return sha256(b"")
    if len(items) == 1:
        return sha256(b"\x00" + items[0])
    _k = 1
    while 2 * _k < len(items):
        _k *= 2
    return sha256(b"\x01" + _ref_tree(items[:_k]) + _ref_tree(items[_k:]))


def _ref_path(m, items):
    if len(items) <= 1:
        return []
    _k = 1
    while 2 * _k < len(items):
        _k *= 2
    if m < _k:
        return [*_ref_path(m, items[:_k]), _ref_tree(items[_k:])]
    return [*_ref_path(m - _k, items[_k:]), _ref_tree(items[:_k])]


for _n in range(1, 21):
    _items = [f"leaf {_i}".encode() for _i in range(_n)]
    _root = _ref_tree(_items)
    for _m in range(_n):
        _p = _ref_path(_m, _items)
        assert verify_inclusion(_items[_m], _m, _n, _p, _root) is True, (_n, _m)
        # Too many hashes (at either end), or too few, must be rejected.
        assert verify_inclusion(_items[_m], _m, _n, [bytes(32), *_p], _root) is False, (_n, _m)
        assert verify_inclusion(_items[_m], _m, _n, [*_p, bytes(32)], _root) is False, (_n, _m)
        if _p:
            assert verify_inclusion(_items[_m], _m, _n, _p[:-1], _root) is False, (_n, _m)
            _bad = list(_p)
            _bad[0] = sha256(_bad[0])
            assert verify_inclusion(_items[_m], _m, _n, _bad, _root) is False, (_n, _m)
            assert verify_inclusion(_items[_m], (_m + 1) % _n, _n, _p, _root) is False
    assert verify_inclusion(_items[0], _n, _n, [], _root) is False
    assert verify_inclusion(_items[0], -1, _n, [], _root) is False
assert verify_inclusion(b"", 0, 0, [], sha256(b"")) is False
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "task3_text", "locked": true}
# ## Task 3: leading zero bits (2 points)
# ## 任务 3：前导零比特
#
# Proof of work asks for a hash that is "small". A simple way to say how small: count the
# zero **bits** at the front of the digest, reading the bytes in order and each byte from
# its most significant bit. For example `b"\x00\x0f"` (`00000000 00001111`) has 12 leading
# zero bits, `b"\x80"` has 0, and a digest of all zero bytes has `8 * len(digest)`.
# An empty byte string has 0.
#
# Write `leading_zero_bits(digest)`.
#
# 中文说明：按字节顺序、每个字节从最高位读起，统计摘要开头连续的 0 比特个数。例如
# `b"\x00\x0f"` 有 12 个，`b"\x80"` 有 0 个，全零摘要有 `8 * len(digest)` 个，空字节串为 0。


# %% nbgrader={"grade_id": "leading_zero_bits", "solution": true}
def leading_zero_bits(digest: bytes) -> int:
    """Number of zero bits before the first 1 bit of ``digest`` (big-endian bit order)."""
    ### BEGIN SOLUTION
    value = int.from_bytes(digest, "big")
    return 8 * len(digest) - value.bit_length()
    ### END SOLUTION


# %% nbgrader={"grade_id": "test_leading_zero_bits", "grade": true, "locked": true, "points": 2}
# Visible tests for task 3.
assert leading_zero_bits(b"\x00\x0f") == 12
assert leading_zero_bits(b"\x80") == 0
assert leading_zero_bits(b"\x01") == 7
assert leading_zero_bits(bytes(32)) == 256
assert leading_zero_bits(b"") == 0
assert leading_zero_bits(sha256(b"abc")) == 0  # ba7816bf... starts with bit 1
print("Task 3: visible tests passed.")
### BEGIN HIDDEN TESTS
for _byte in range(256):
    assert leading_zero_bits(bytes([_byte])) == 8 - _byte.bit_length(), _byte
    assert leading_zero_bits(bytes([0, 0, _byte, 255])) == 24 - _byte.bit_length(), _byte
assert leading_zero_bits(b"\x00\x80") == 8
assert leading_zero_bits(bytes(5)) == 40
_d = b"seed"
for _ in range(200):
    _d = sha256(_d)
    assert leading_zero_bits(_d) == 256 - int.from_bytes(_d, "big").bit_length()
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "task4_text", "locked": true}
# ## Task 4: a tiny proof-of-work search (2 points)
# ## 任务 4：一个小型工作量证明搜索
#
# A miner tries nonce after nonce until the hash of its data and the nonce is small
# enough. Here the puzzle is: find a nonce such that
# `SHA-256(data || nonce.to_bytes(8, "big"))` has **at least `k`** leading zero bits.
#
# Write `find_nonce(data, k, max_tries)` that tries the nonces `0, 1, 2, ...` in this
# order, at most `max_tries` of them (so the last nonce tried is `max_tries - 1`), and
# returns the **first** nonce that works, or `None` if none of them does. Raise
# `ValueError` if `k` is not between 0 and 256 (inclusive) or if `max_tries` is negative.
# (Bitcoin hashes an 80-byte header twice and compares it with a target; the idea is the
# same.)
#
# 中文说明：寻找 nonce，使 `SHA-256(data || nonce.to_bytes(8, "big"))` 至少有 `k` 个前导零比特。
# 按 `0, 1, 2, ...` 的顺序最多尝试 `max_tries` 个 nonce（最后一个是 `max_tries - 1`），返回
# **第一个**满足条件的 nonce，都不满足则返回 `None`。`k` 不在 0 到 256 之间或 `max_tries`
# 为负数时抛出 `ValueError`。


# %% nbgrader={"grade_id": "find_nonce", "solution": true}
def find_nonce(data: bytes, k: int, max_tries: int) -> int | None:
    """Smallest nonce in ``range(max_tries)`` giving >= k leading zero bits, else None."""
    ### BEGIN SOLUTION
    if not 0 <= k <= 256:
        raise ValueError(f"k must be between 0 and 256, got {k}")
    if max_tries < 0:
        raise ValueError(f"max_tries must be >= 0, got {max_tries}")
    for nonce in range(max_tries):
        if leading_zero_bits(sha256(data + nonce.to_bytes(8, "big"))) >= k:
            return nonce
    return None
    ### END SOLUTION


# %% nbgrader={"grade_id": "test_find_nonce", "grade": true, "locked": true, "points": 2}
# Visible tests for task 4.
def _has_k_zero_bits(data, nonce, k):
    digest = sha256(data + nonce.to_bytes(8, "big"))
    return int.from_bytes(digest, "big") < 2 ** (256 - k)


assert find_nonce(b"chainsim", 0, 1) == 0
_n8 = find_nonce(b"chainsim", 8, 100_000)
assert _n8 is not None and _has_k_zero_bits(b"chainsim", _n8, 8)
assert not any(_has_k_zero_bits(b"chainsim", _i, 8) for _i in range(_n8)), "not the first"
assert find_nonce(b"chainsim", 3, 13) is None  # nonces 0..12 all fail
assert find_nonce(b"chainsim", 3, 14) == 13
assert find_nonce(b"chainsim", 5, 0) is None
print("Task 4: visible tests passed.")
### BEGIN HIDDEN TESTS
assert _n8 == 158
assert find_nonce(b"block 42", 9, 100_000) == 2695
assert find_nonce(b"", 4, 100_000) == 11
assert find_nonce(b"merkle", 16, 100_000) == 484
assert find_nonce(b"chainsim", 10, 7139) is None
assert find_nonce(b"chainsim", 10, 7140) == 7139
for _bad in ((-1, 10), (257, 10), (3, -1)):
    try:
        find_nonce(b"x", *_bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"find_nonce(b'x', {_bad[0]}, {_bad[1]}) should raise ValueError")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "explore_text", "locked": true}
# ## Explore: what does a zero bit cost?
#
# Run the next cell once your `find_nonce` works. It searches for 40 different data
# strings at each difficulty `k` and prints the average number of hashes tried
# (`nonce + 1`) next to `2**k`. It also shows, with ChainSim's Bitcoin Merkle root
# (`chainsim.ledger.merkle.merkle_root_bytes`), the duplication problem of Bitcoin's tree.
# You will need both for task 5.
#
# 中文说明：完成 `find_nonce` 后运行下一个单元格：它对每个难度 `k` 用 40 个不同的数据搜索，
# 打印平均尝试次数（`nonce + 1`）与 `2**k` 的对比，并用 ChainSim 的比特币默克尔根演示
# 比特币树的重复问题。任务 5 会用到这两个结果。

# %% nbgrader={"grade_id": "explore", "locked": true}
try:
    print(" k   mean hashes   2**k")
    for _k in range(0, 13, 2):
        _tries = [find_nonce(f"block {_i}".encode(), _k, 10**6) + 1 for _i in range(40)]
        print(f"{_k:2d}  {sum(_tries) / len(_tries):12.1f}  {2**_k:5d}")
except NotImplementedError:
    print("Finish find_nonce (task 4) first.")

_txids = [sha256(bytes([_i])) for _i in range(1, 7)]
print(
    "Bitcoin root of 6 txids == root of the 6 plus the last two again:",
    merkle_root_bytes(_txids) == merkle_root_bytes(_txids + _txids[4:]),
)
try:
    print(
        "RFC 6962 roots equal:", merkle_tree_hash(_txids) == merkle_tree_hash(_txids + _txids[4:])
    )
except NotImplementedError:
    print("Finish merkle_tree_hash (task 1) first.")

# %% [markdown] nbgrader={"grade_id": "task5_text", "locked": true}
# ## Task 5: written answer (4 points, graded by a person)
# ## 任务 5：简答题（人工评分）
#
# In the cell below, in a few sentences each:
#
# 1. Bitcoin's tree pairs the last hash of an odd level with itself. Explain, with the
#    example from the cell above, why two different transaction lists can have the same
#    Bitcoin Merkle root (CVE-2012-2459), and why that was dangerous for a node that
#    remembers blocks it has rejected as invalid.
# 2. Explain the two design choices of your task-1 tree that rule this out and that stop
#    an inner node from being passed off as a leaf.
# 3. From the table above: how many hashes does a miner need on average for `k` leading
#    zero bits, and why? How does the cost change with every extra zero bit?
#
# 中文说明：请在下面的单元格中每题用几句话回答：(1) 结合上面的例子，解释为什么两个不同的
# 交易列表可能得到相同的比特币默克尔根（CVE-2012-2459），以及这对“记住已拒绝的无效区块”的
# 节点为何危险；(2) 说明任务 1 的树的哪两个设计排除了这一问题，并防止把内部节点冒充叶子；
# (3) 根据上表，得到 `k` 个前导零比特平均需要多少次哈希，为什么？每多一个零比特，代价如何变化？
#
# 可以用中文或英文作答。

# %% [markdown] nbgrader={"grade_id": "written", "grade": true, "solution": true, "points": 4}
# **Model answer.**
#
# 1. With an odd number of hashes, Bitcoin hashes the last one with a copy of itself, so
#    the lists `[t1..t6]` and `[t1..t6, t5, t6]` give level hashes `H(t5||t6)` twice and
#    the same root. A block with the second (invalid: duplicate transactions) list has the
#    same header hash as the valid block. A node that rejects the mutated block and caches
#    "this block hash is invalid" would then refuse the valid block with the same hash:
#    an attacker could split the network or stall a node (CVE-2012-2459).
# 2. (a) The tree splits at the largest power of two smaller than `n` and never
#    duplicates a hash, so each list length has one shape and different lists give
#    different roots (barring SHA-256 collisions). (b) Leaves are hashed with prefix
#    `0x00` and inner nodes with `0x01`, so the 64 bytes of two child hashes presented
#    as a leaf hash differently from the node: no second preimage by moving up or down
#    the tree.
# 3. Each nonce succeeds independently with probability `2**-k`, so the number of tries
#    is geometric with mean `2**k`; the table's means are close to `2**k` (noisy for 40
#    samples). Every extra zero bit doubles the expected work; verifying costs one hash.
#
# === BEGIN MARK SCHEME ===
# * 1 point: explains that duplication of the last hash makes `[..., t5, t6]` and
#   `[..., t5, t6, t5, t6]` (or the cell's example) share a root.
# * 1 point: explains the danger: an invalid (mutated) block with a valid block's hash,
#   so caching it as invalid makes a node reject the valid block (denial of service or
#   chain split).
# * 1 point: names both the no-duplication split rule and the 0x00/0x01 prefixes, with
#   what each prevents (half a point each).
# * 1 point: mean `2**k` hashes (geometric distribution with success probability
#   `2**-k`), cost doubles per bit; half a point if only "about 2**k" without why.
# === END MARK SCHEME ===
