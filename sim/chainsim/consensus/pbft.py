"""PBFT: practical Byzantine fault tolerance (Castro and Liskov 1999).

``n = 3f + 1`` replicas agree on the order of client requests although up to ``f``
of them may be Byzantine (arbitrarily faulty). The replica ``view mod n`` is the
*primary*; the others are *backups*.

Normal case, for a request ``m``:

1. the client sends ``m`` to the primary;
2. the primary assigns the next sequence number ``s`` and sends PRE-PREPARE(v, s, m)
   to every backup;
3. a backup that accepts the pre-prepare sends PREPARE(v, s, d(m)) to everyone; a
   replica is *prepared* once it holds the pre-prepare and ``2f`` matching prepares
   from backups (its own counts);
4. a prepared replica sends COMMIT(v, s, d(m)) to everyone; it *commits* once it holds
   ``2f + 1`` matching commits (its own counts);
5. committed requests are executed in sequence order and each replica replies to the
   client, which accepts the result when ``f + 1`` replies match.

Every ``checkpoint_interval`` executions a replica sends CHECKPOINT(s, state digest);
``2f + 1`` matching ones make the checkpoint *stable*: the log up to ``s`` is
discarded, the low watermark ``h`` moves to ``s``, and the primary may assign
sequence numbers up to ``h + log_window``. A replica that finds itself behind a
stable checkpoint fetches the state (state transfer).

View change: a backup that waits longer than ``view_change_timeout_s`` for a
request it knows about to execute sends VIEW-CHANGE(v + 1) carrying its stable
checkpoint and its prepared certificates; a replica that sees ``f + 1`` view
changes for higher views joins them. The new primary, holding ``2f + 1`` view
changes, sends NEW-VIEW re-proposing, for every sequence number above the latest
stable checkpoint, the request of the highest-view prepared certificate (or a null
request), so that committed requests keep their sequence numbers. If the new view
does not start within the timeout once ``2f + 1`` view changes are in, replicas try
the next view with twice the timeout. Clients that get no answer within
``client_timeout_s`` send their request to every replica (and again after twice as
long each time); backups forward it to the primary and start their timers.

Byzantine behaviours (``("byzantine", replica, behaviour)`` in ``faults``):

``silent``
    sends nothing at all (a crash from the start).
``delay``
    follows the protocol but adds ``byzantine_delay_s`` to every message it sends (a
    slow primary triggers a view change when the delay exceeds the request timer).
``equivocate``
    as primary, gives one half of the honest replicas the request and the other half
    a forged one for the same sequence number, and sends each half commits for its
    own version; as a backup it votes like ``conflict``.
``conflict``
    sends prepares and commits for a forged request (and a wrong reply to the
    client); when a Byzantine primary equivocates, it colludes: each honest replica
    receives votes for the version that replica was given.

The faulty replicas collude (they know the equivocation split). With at most ``f``
of them no two honest replicas commit different requests at one sequence number;
with ``f + 1`` (an equivocating primary and ``f`` conflicting voters) they can.

Quorums: with ``n = 3f + 1`` the sizes are Castro and Liskov's (``2f`` prepares,
``2f + 1`` commits, checkpoints and view changes, ``f + 1`` replies); for other
``n`` the commit quorum grows to ``ceil((n + f + 1) / 2)`` so that any two quorums
still share an honest replica (see :func:`quorum_size`).

Modelling choices
-----------------
Messages are authenticated and never lost: channels are reliable, as PBFT
assumes, so a message between replicas that a partition separates (``partition``
and ``heal`` in ``faults``) is held back and delivered when they are reunited (it
counts as dropped only if they never are; clients reach every replica). A
Byzantine replica cannot forge another replica's messages, so it follows the
view-change rules (it may be silent), and a Byzantine new primary computes NEW-VIEW
like an honest one: backups check it against the view changes it carries.
Messages for a view a replica has not entered yet are kept until it enters it
(implementations buffer them).

Speed: the prepare, commit and checkpoint phases are all-to-all (``n^2`` messages
per request). Instead of one event per message, a vote broadcast writes the arrival
time at every receiver into an ``n x n`` matrix per (phase, view, sequence number,
digest) and schedules one event per receiver, at the time its quorum completes
(the ``q``-th smallest arrival time in its column); an earlier arrival registered
later moves that event. Messages are still counted one by one.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
import simpy

from chainsim.analysis import pbft_quorums
from chainsim.consensus.bft_common import (
    ConsensusResults,
    MessageCounter,
    arrival_times,
    call_at,
    latency_matrix,
    make_network,
)
from chainsim.consensus.config import PBFTConfig
from chainsim.consensus.faults import Byzantine, Crash, Heal, Partition, PartitionTimeline
from chainsim.errors import ConfigError
from chainsim.network import Network
from chainsim.rng import RandomStreams, SeedLike

__all__ = ["NULL_DIGEST", "PBFT_MESSAGE_KINDS", "PBFTSimulation", "quorum_size", "run_pbft"]

#: Digest of the null request a new primary proposes for an empty sequence number.
NULL_DIGEST = -1

#: Message kinds counted in the ``messages`` table.
PBFT_MESSAGE_KINDS: tuple[str, ...] = (
    "request",
    "pre-prepare",
    "prepare",
    "commit",
    "reply",
    "checkpoint",
    "view-change",
    "new-view",
)

_MOD = (1 << 61) - 1


def _forged(seq: int) -> int:
    """Digest of the forged request Byzantine replicas push at ``seq``."""
    return -(2 + seq)


def _state_step(state: int, digest: int) -> int:
    return (state * 1_000_003 + digest + 7) % _MOD


def quorum_size(n: int) -> int:
    """Commit quorum of PBFT with ``n`` replicas: ``2f + 1`` when ``n = 3f + 1``.

    Two quorums of ``q`` replicas share at least ``2q - n`` of them; safety needs at
    least one honest replica in common, ``2q - n >= f + 1``, so
    ``q = ceil((n + f + 1) / 2)`` with ``f = (n - 1) // 3``. For ``n = 3f + 1`` this
    is Castro and Liskov's ``2f + 1`` (:func:`chainsim.analysis.pbft_quorums`); for
    other ``n`` the plain ``2f + 1`` would let two quorums meet only in a faulty
    replica (``n = 5``: two quorums of 3 share one replica).

    >>> [quorum_size(n) for n in (1, 2, 4, 5, 6, 7, 64)]
    [1, 2, 3, 4, 4, 5, 43]
    """
    f = pbft_quorums(n).f
    return max(2 * f + 1, (n + f + 2) // 2)


class _Votes:
    """Arrival times of the votes for one digest in one (phase, view, sequence number).

    ``arr[s, r]`` is when sender ``s``'s vote reaches receiver ``r`` (``inf``: never);
    ``kth[r]`` is when ``r``'s quorum completes (``inf`` once handled or never);
    one event is pending, at ``next_t``, for the earliest of them.
    """

    __slots__ = ("arr", "fired", "kth", "n_senders", "next_t")

    def __init__(self, n: int) -> None:
        self.arr = np.full((n, n), np.inf)
        self.fired = np.zeros(n, dtype=bool)
        self.kth = np.full(n, np.inf)
        self.n_senders = 0
        self.next_t = np.inf


class _Replica:
    __slots__ = (
        "active",
        "assigned",
        "byz",
        "commit_q",
        "committed",
        "committed_in",
        "crashed",
        "executed",
        "i",
        "last_exec",
        "log_pp",
        "next_seq",
        "nv_sent",
        "pending",
        "prep_q",
        "prepared",
        "prepared_in",
        "queue",
        "stable",
        "stable_digest",
        "state",
        "timer_deadline",
        "timer_scheduled",
        "vc_msgs",
        "vc_target",
        "vc_timer_for",
        "view",
        "voted",
    )

    def __init__(self, i: int, byz: str | None) -> None:
        self.i = i
        self.byz = byz
        self.crashed = False
        self.view = 0
        self.active = True
        self.vc_target = 0
        self.log_pp: dict[tuple[int, int], int] = {}
        self.prep_q: set[tuple[int, int, int]] = set()
        self.commit_q: set[tuple[int, int, int]] = set()
        self.prepared_in: set[tuple[int, int]] = set()
        self.committed_in: set[tuple[int, int]] = set()
        self.prepared: dict[int, tuple[int, int]] = {}
        self.committed: dict[int, int] = {}
        self.last_exec = 0
        self.executed: set[int] = set()
        self.state = 0
        self.stable = 0
        self.stable_digest = 0
        self.pending: dict[int, float] = {}
        self.timer_deadline: float | None = None
        self.timer_scheduled = False
        self.vc_msgs: dict[int, dict[int, tuple[int, int, dict[int, tuple[int, int]]]]] = {}
        self.vc_timer_for = -1
        self.nv_sent: set[int] = set()
        self.next_seq = 1
        self.assigned: dict[int, int] = {}
        self.queue: list[int] = []
        self.voted: set[tuple[int, int]] = set()

    @property
    def up(self) -> bool:
        return not self.crashed and self.byz != "silent"

    @property
    def honest(self) -> bool:
        return self.byz is None or self.byz == "delay"


class PBFTSimulation:
    """One PBFT run: replicas, clients and the message flow on a SimPy clock.

    Most users call :func:`run_pbft`. Build, then :meth:`run` once.

    Parameters
    ----------
    config
        The protocol, workload and fault settings.
    seed
        Seed of the run (int, SeedSequence or None).
    network
        A prebuilt complete network of ``n_replicas + n_clients`` nodes (optional).
    """

    def __init__(
        self, config: PBFTConfig, seed: SeedLike = None, *, network: Network | None = None
    ) -> None:
        if not isinstance(config, PBFTConfig):
            raise ConfigError(f"config must be a PBFTConfig, got {type(config).__name__}")
        self.config = config
        self.streams = RandomStreams(seed)
        self.network = make_network(config.network_config(), self.streams, network)
        n = config.n_replicas
        self.n = n
        q = pbft_quorums(n)
        self.f = q.f
        self.q_commit = quorum_size(n)
        self.q_prepare = self.q_commit - 1  # the pre-prepare stands for the primary's vote
        self.q_reply = q.reply
        self.env = simpy.Environment()
        proc = config.processing_ms / 1000.0
        self.proc = proc
        lat = latency_matrix(self.network)
        self.delay = lat[:n, :n] + proc  # replica -> replica, incl. processing
        self.client_delay = lat[:n, n:] + proc  # replica -> client
        self.to_replica = lat[n:, :n] + proc  # client -> replica
        byz = {f.node: f.behaviour for f in config.faults if isinstance(f, Byzantine)}
        self.replicas = [_Replica(i, byz.get(i)) for i in range(n)]
        self.honest_ids = [r.i for r in self.replicas if r.byz is None or r.byz == "delay"]
        # receivers that get quorum events for prepare/commit, and for checkpoints
        self.listen_vote = np.array([r.honest for r in self.replicas])
        self.listen_ckpt = np.array([r.byz != "silent" for r in self.replicas])
        self.extra = [config.byzantine_delay_s if r.byz == "delay" else 0.0 for r in self.replicas]
        self.tallies: dict[tuple[str, int, int], dict[int, _Votes]] = {}
        timeline = PartitionTimeline(config.faults, n)
        self.timeline = timeline if timeline.has_partitions else None
        self.equivocation: dict[tuple[int, int], dict[int, int]] = {}
        self.state_store: dict[int, frozenset[int]] = {0: frozenset()}
        self.msgs = MessageCounter(PBFT_MESSAGE_KINDS)
        self.n_events = 0
        self.min_stable = 0
        # clients
        self.n_requests = config.n_requests
        rng = self.streams["workload"]
        self.t_send = arrival_times(
            config.n_requests, config.request_interval_s, config.arrivals, rng
        )
        self.client_view = [0] * config.n_clients
        self.replies: dict[int, dict[int, set[int]]] = {}
        self.t_accepted = np.full(config.n_requests, np.nan)
        self.n_accepted = 0
        self.done = self.env.event()
        # records
        self.commit_rows: list[tuple[int, int, int, int, float]] = []
        self.exec_rows: list[tuple[int, int, int, float]] = []
        self.vc_rows: list[tuple[float, int, str, int, int]] = []
        self.fault_rows: list[tuple[float, str, str]] = []
        self.n_state_transfers = 0
        self._ran = False

    # ------------------------------------------------------------------ messaging

    def _vote(
        self,
        kind: str,
        view: int,
        seq: int,
        sender: int,
        digest: int,
        mask: np.ndarray | None = None,
    ) -> None:
        """Broadcast a vote; keep one event pending at the earliest new quorum."""
        key = (kind, view, seq)
        tally = self.tallies.get(key)
        if tally is None:
            if seq <= self.min_stable:
                # a late vote for a sequence number every live replica has checkpointed
                self.msgs.add(kind, self.n - 1, self.config.vote_bytes)
                return
            tally = self.tallies[key] = {}
        votes = tally.get(digest)
        if votes is None:
            votes = tally[digest] = _Votes(self.n)
        now = self.env.now
        if self.timeline is None:
            row = self.delay[sender] + (now + self.extra[sender])
        else:  # held back until the partition between the two heals
            row = self.delay[sender] + self.extra[sender] + self.timeline.reunion_row(now, sender)
            n_cut = int(np.isinf(row if mask is None else row[mask]).sum())
            if n_cut:
                self.msgs.drop(kind, n_cut)
        row[sender] = now
        if mask is None:
            n_sent = self.n - 1
        else:
            row[~mask] = np.inf
            row[sender] = now if mask[sender] else np.inf
            n_sent = int(mask.sum()) - (1 if mask[sender] else 0)
        votes.arr[sender] = row
        votes.n_senders += 1
        self.msgs.add(kind, n_sent, self.config.vote_bytes)
        if kind == "checkpoint":
            q, listen = self.q_commit, self.listen_ckpt
        elif kind == "commit":
            q, listen = self.q_commit, self.listen_vote
        else:
            q, listen = self.q_prepare, self.listen_vote
        if q == 0 or votes.n_senders < q:
            return
        kth = np.partition(votes.arr, q - 1, axis=0)[q - 1]
        kth[votes.fired | ~listen] = np.inf
        votes.kth = kth
        first = float(kth.min())
        if first < votes.next_t:
            votes.next_t = first
            call_at(self.env, first - now if first > now else 0.0, self._quorum, key, digest, first)

    def _quorum(self, key: tuple[str, int, int], digest: int, t: float) -> None:
        """Hand the quorums completing now to their replicas."""
        self.n_events += 1
        tally = self.tallies.get(key)
        if tally is None:
            return
        votes = tally[digest]
        if votes.next_t != t:
            return  # superseded by an earlier quorum
        votes.next_t = np.inf
        kth = votes.kth
        ready = np.flatnonzero(kth <= t)
        votes.fired[ready] = True
        kth[ready] = np.inf
        kind, view, seq = key
        for r in ready.tolist():
            rep = self.replicas[r]
            if not rep.up:
                continue
            if kind == "checkpoint":
                self._on_stable(rep, seq, digest)
            elif kind == "prepare":
                rep.prep_q.add((view, seq, digest))
                if rep.active and rep.view == view:
                    self._check_prepared(rep, view, seq)
            else:
                rep.commit_q.add((view, seq, digest))
                if rep.active and rep.view == view:
                    self._check_committed(rep, view, seq)
        if key not in self.tallies:
            return
        first = float(votes.kth.min())
        if first < votes.next_t:
            votes.next_t = first
            now = self.env.now
            call_at(self.env, first - now if first > now else 0.0, self._quorum, key, digest, first)

    def _send(self, kind: str, sender: int, dst: int, size: int, fn: Any, *args: Any) -> None:
        """One point-to-point message between replicas."""
        self.msgs.add(kind, 1, size)
        wait = 0.0
        if self.timeline is not None:
            now = self.env.now
            wait = self.timeline.reunion_s(now, sender, dst) - now
            if math.isinf(wait):
                self.msgs.drop(kind)
                return
        call_at(
            self.env, wait + self.delay[sender, dst] + self.extra[sender], self._deliver, fn, args
        )

    def _deliver(self, fn: Any, args: tuple[Any, ...]) -> None:
        self.n_events += 1
        fn(*args)

    # ------------------------------------------------------------------ clients

    def _client_send(self, req: int, broadcast: bool, attempt: int = 0) -> None:
        self.n_events += 1
        if req < self.n_requests and not math.isnan(self.t_accepted[req]):
            return
        c = req % self.config.n_clients
        targets = range(self.n) if broadcast else [self.client_view[c] % self.n]
        for r in targets:
            self.msgs.add("request", 1, self.config.request_bytes)
            call_at(
                self.env,
                self.to_replica[c, r],
                self._deliver,
                self._on_request,
                (self.replicas[r], req, True),
            )
        # the client waits twice as long after each retransmission
        wait = self.config.client_timeout_s * 2.0**attempt
        call_at(self.env, wait, self._client_send, req, True, attempt + 1)

    def _reply(self, rep: _Replica, req: int, result: int) -> None:
        c = req % self.config.n_clients
        self.msgs.add("reply", 1, self.config.vote_bytes)
        call_at(
            self.env,
            self.client_delay[rep.i, c] + self.extra[rep.i],
            self._deliver,
            self._on_reply,
            (req, rep.i, result, rep.view),
        )

    def _on_reply(self, req: int, replica: int, result: int, view: int) -> None:
        if not math.isnan(self.t_accepted[req]):
            return
        by_result = self.replies.setdefault(req, {})
        voters = by_result.setdefault(result, set())
        voters.add(replica)
        if len(voters) >= self.q_reply:
            self.t_accepted[req] = self.env.now
            c = req % self.config.n_clients
            self.client_view[c] = max(self.client_view[c], view)
            del self.replies[req]
            self.n_accepted += 1
            if self.n_accepted == self.n_requests and not self.done.triggered:
                self.done.succeed()

    # ------------------------------------------------------------------ replicas

    def _primary(self, view: int) -> int:
        return view % self.n

    def _on_request(self, rep: _Replica, req: int, from_client: bool) -> None:
        if not rep.up or req in rep.executed:
            return
        if rep.honest and req not in rep.pending:
            rep.pending[req] = self.env.now
        if rep.active and self._primary(rep.view) == rep.i:
            self._order(rep, req)
            return
        if rep.byz not in (None, "delay"):
            return
        self._arm_timer(rep)
        if from_client and rep.active:
            p = self._primary(rep.view)
            self._send(
                "request",
                rep.i,
                p,
                self.config.request_bytes,
                self._on_request,
                self.replicas[p],
                req,
                False,
            )

    def _order(self, rep: _Replica, req: int) -> None:
        """Primary: assign the next sequence number and send pre-prepares."""
        if req in rep.assigned or req in rep.executed:
            return
        if rep.next_seq > rep.stable + self.config.log_window:
            if req not in rep.queue:
                rep.queue.append(req)
            return
        seq = rep.next_seq
        rep.next_seq += 1
        rep.assigned[req] = seq
        v = rep.view
        size = self.config.vote_bytes + self.config.request_bytes
        if rep.byz == "equivocate":
            others = [i for i in self.honest_ids if i != rep.i]
            half = (len(others) + 1) // 2
            split = {i: (req if k < half else _forged(seq)) for k, i in enumerate(others)}
            self.equivocation[(v, seq)] = split
            for i in range(self.n):
                if i != rep.i:
                    d = split.get(i, req)
                    self._send(
                        "pre-prepare",
                        rep.i,
                        i,
                        size,
                        self._on_preprepare,
                        self.replicas[i],
                        v,
                        seq,
                        d,
                    )
            self._byz_vote(rep, v, seq)
            return
        rep.log_pp[(v, seq)] = req
        for i in range(self.n):
            if i != rep.i:
                self._send(
                    "pre-prepare",
                    rep.i,
                    i,
                    size,
                    self._on_preprepare,
                    self.replicas[i],
                    v,
                    seq,
                    req,
                )
        if rep.byz == "conflict":
            self._byz_vote(rep, v, seq)
            return
        self._check_prepared(rep, v, seq)

    def _byz_vote(self, rep: _Replica, v: int, seq: int) -> None:
        """Colluding votes of a Byzantine replica for (view, sequence number)."""
        if (v, seq) in rep.voted or not rep.up:
            return
        rep.voted.add((v, seq))
        split = self.equivocation.get((v, seq))
        kinds = ("commit",) if self._primary(v) == rep.i else ("prepare", "commit")
        if split is None:
            for kind in kinds:
                self._vote(kind, v, seq, rep.i, _forged(seq))
            return
        for d in sorted(set(split.values())):
            mask = np.zeros(self.n, dtype=bool)
            mask[[i for i, di in split.items() if di == d]] = True
            for kind in kinds:
                self._vote(kind, v, seq, rep.i, d, mask)

    def _on_preprepare(self, rep: _Replica, v: int, seq: int, d: int) -> None:
        if not rep.up:
            return
        if rep.byz in ("equivocate", "conflict"):
            if d >= 0:
                self._reply(rep, d, -1)
            self._byz_vote(rep, v, seq)
            return
        if v != rep.view or not rep.active or seq <= rep.stable:
            return
        if (v, seq) in rep.log_pp:
            return
        self._accept_preprepare(rep, v, seq, d)

    def _accept_preprepare(self, rep: _Replica, v: int, seq: int, d: int) -> None:
        rep.log_pp[(v, seq)] = d
        if d >= 0 and d not in rep.executed and d not in rep.pending:
            rep.pending[d] = self.env.now
            self._arm_timer(rep)
        self._vote("prepare", v, seq, rep.i, d)
        self._check_prepared(rep, v, seq)

    def _check_prepared(self, rep: _Replica, v: int, seq: int) -> None:
        d = rep.log_pp.get((v, seq))
        if d is None or (v, seq) in rep.prepared_in:
            return
        if self.q_prepare and (v, seq, d) not in rep.prep_q:
            return
        rep.prepared_in.add((v, seq))
        old = rep.prepared.get(seq)
        if old is None or old[0] <= v:
            rep.prepared[seq] = (v, d)
        self._vote("commit", v, seq, rep.i, d)
        self._check_committed(rep, v, seq)

    def _check_committed(self, rep: _Replica, v: int, seq: int) -> None:
        if (v, seq) not in rep.prepared_in or (v, seq) in rep.committed_in:
            return
        d = rep.log_pp[(v, seq)]
        if (v, seq, d) not in rep.commit_q:
            return
        rep.committed_in.add((v, seq))
        self.commit_rows.append((rep.i, seq, v, d, self.env.now))
        if seq not in rep.committed and seq > rep.last_exec:
            rep.committed[seq] = d
            self._execute(rep)

    def _execute(self, rep: _Replica) -> None:
        now = self.env.now
        k = self.config.checkpoint_interval
        executed_any = False
        while rep.last_exec + 1 in rep.committed:
            seq = rep.last_exec + 1
            d = rep.committed[seq]
            rep.last_exec = seq
            if d != NULL_DIGEST and d not in rep.executed:
                rep.executed.add(d)
                rep.state = _state_step(rep.state, d)
                rep.pending.pop(d, None)
                executed_any = True
                if d >= 0:
                    self._reply(rep, d, seq)
            self.exec_rows.append((rep.i, seq, d, now))
            if seq % k == 0:
                if rep.state not in self.state_store:
                    self.state_store[rep.state] = frozenset(rep.executed)
                self._vote("checkpoint", 0, seq, rep.i, rep.state)
        if executed_any:
            if rep.pending:
                rep.timer_deadline = now + self.config.view_change_timeout_s
                self._schedule_timer(rep)
            else:
                rep.timer_deadline = None

    def _on_stable(self, rep: _Replica, seq: int, digest: int) -> None:
        if seq <= rep.stable:
            return
        if rep.honest and seq > rep.last_exec:
            snapshot = self.state_store.get(digest)
            if snapshot is None:
                return
            self._state_transfer(rep, seq, digest, snapshot)
        rep.stable = seq
        rep.stable_digest = digest
        rep.log_pp = {key: d for key, d in rep.log_pp.items() if key[1] > seq}
        rep.prepared = {s: vd for s, vd in rep.prepared.items() if s > seq}
        rep.committed = {s: d for s, d in rep.committed.items() if s > seq}
        if rep.active and self._primary(rep.view) == rep.i and rep.queue:
            queued, rep.queue = rep.queue, []
            for req in queued:
                self._order(rep, req)
        self._collect_garbage()

    def _state_transfer(
        self, rep: _Replica, seq: int, digest: int, snapshot: frozenset[int]
    ) -> None:
        self.n_state_transfers += 1
        rep.executed = set(snapshot)
        rep.state = digest
        rep.last_exec = seq
        for d in list(rep.pending):
            if d in rep.executed:
                del rep.pending[d]
        self._execute(rep)

    def _collect_garbage(self) -> None:
        live = [r.stable for r in self.replicas if r.honest and not r.crashed]
        low = min(live) if live else 0
        if low <= self.min_stable:
            return
        self.min_stable = low
        for key in [key for key in self.tallies if key[2] <= low]:
            del self.tallies[key]

    # ------------------------------------------------------------------ timers

    def _arm_timer(self, rep: _Replica) -> None:
        if rep.timer_deadline is None and rep.pending and rep.honest:
            rep.timer_deadline = self.env.now + self.config.view_change_timeout_s
            self._schedule_timer(rep)

    def _schedule_timer(self, rep: _Replica) -> None:
        if not rep.timer_scheduled and rep.timer_deadline is not None:
            rep.timer_scheduled = True
            call_at(self.env, rep.timer_deadline - self.env.now, self._timer, rep)

    def _timer(self, rep: _Replica) -> None:
        self.n_events += 1
        rep.timer_scheduled = False
        if rep.timer_deadline is None or not rep.up:
            return
        if self.env.now < rep.timer_deadline - 1e-12:
            self._schedule_timer(rep)
            return
        rep.timer_deadline = None
        if not rep.pending or not rep.active or self._primary(rep.view) == rep.i:
            return
        self._start_view_change(rep, rep.view + 1)

    # ------------------------------------------------------------------ view change

    def _start_view_change(self, rep: _Replica, new_v: int) -> None:
        current = rep.view if rep.active else rep.vc_target
        if new_v <= current or not rep.up:
            return
        rep.active = False
        rep.vc_target = new_v
        rep.timer_deadline = None
        self.vc_rows.append((self.env.now, rep.i, "view-change", rep.view, new_v))
        certs = {s: vd for s, vd in rep.prepared.items() if s > rep.stable}
        msg = (rep.stable, rep.stable_digest, certs)
        size = self.config.vote_bytes * (1 + len(certs))
        self._on_view_change(rep, new_v, rep.i, msg)
        for i in range(self.n):
            if i != rep.i:
                self._send(
                    "view-change",
                    rep.i,
                    i,
                    size,
                    self._on_view_change,
                    self.replicas[i],
                    new_v,
                    rep.i,
                    msg,
                )

    def _on_view_change(
        self,
        rep: _Replica,
        new_v: int,
        sender: int,
        msg: tuple[int, int, dict[int, tuple[int, int]]],
    ) -> None:
        if not rep.up or new_v <= rep.view:
            return
        rep.vc_msgs.setdefault(new_v, {})[sender] = msg
        current = rep.view if rep.active else rep.vc_target
        # join: f + 1 replicas want a higher view
        higher = {s: v for v, by in rep.vc_msgs.items() if v > current for s in by}
        if len(higher) >= self.f + 1:
            self._start_view_change(rep, min(v for v in rep.vc_msgs if v > current))
        if rep.active:
            return
        target = rep.vc_target
        got = rep.vc_msgs.get(target, {})
        if len(got) >= self.q_commit and rep.vc_timer_for != target:
            rep.vc_timer_for = target
            timeout = self.config.view_change_timeout_s * 2.0 ** max(0, target - rep.view - 1)
            call_at(self.env, timeout, self._vc_timer, rep, target)
        if (
            self._primary(target) == rep.i
            and target not in rep.nv_sent
            and len([s for s in got if s != rep.i]) >= self.q_prepare
            and rep.i in got
        ):
            self._send_new_view(rep, target)

    def _vc_timer(self, rep: _Replica, target: int) -> None:
        self.n_events += 1
        if rep.up and not rep.active and rep.vc_target == target:
            self._start_view_change(rep, target + 1)

    def _send_new_view(self, rep: _Replica, new_v: int) -> None:
        rep.nv_sent.add(new_v)
        got = rep.vc_msgs[new_v]
        chosen = [rep.i, *[s for s in got if s != rep.i][: self.q_prepare]]
        vset = [got[s] for s in chosen]
        min_s, min_digest = max((m[0], m[1]) for m in vset)
        max_s = max([min_s] + [s for m in vset for s in m[2]])
        proposals: list[tuple[int, int]] = []
        for seq in range(min_s + 1, max_s + 1):
            best: tuple[int, int] | None = None
            for m in vset:
                cert = m[2].get(seq)
                if cert is not None and (best is None or cert[0] > best[0]):
                    best = cert
            proposals.append((seq, best[1] if best is not None else NULL_DIGEST))
        size = self.config.vote_bytes * (len(vset) + len(proposals) + 1)
        for i in range(self.n):
            if i != rep.i:
                self._send(
                    "new-view",
                    rep.i,
                    i,
                    size,
                    self._on_new_view,
                    self.replicas[i],
                    new_v,
                    min_s,
                    min_digest,
                    proposals,
                )
        self._enter_view(rep, new_v, min_s, min_digest, proposals)

    def _on_new_view(
        self,
        rep: _Replica,
        new_v: int,
        min_s: int,
        min_digest: int,
        proposals: list[tuple[int, int]],
    ) -> None:
        if not rep.up or new_v <= rep.view:
            return
        if not rep.active and new_v < rep.vc_target:
            return
        self._enter_view(rep, new_v, min_s, min_digest, proposals)

    def _enter_view(
        self,
        rep: _Replica,
        new_v: int,
        min_s: int,
        min_digest: int,
        proposals: list[tuple[int, int]],
    ) -> None:
        self.vc_rows.append((self.env.now, rep.i, "new-view", rep.view, new_v))
        rep.view = new_v
        rep.vc_target = new_v
        rep.active = True
        rep.vc_msgs = {v: by for v, by in rep.vc_msgs.items() if v > new_v}
        is_primary = self._primary(new_v) == rep.i
        if rep.honest and rep.last_exec < min_s:
            snapshot = self.state_store.get(min_digest)
            if snapshot is not None:
                self._state_transfer(rep, min_s, min_digest, snapshot)
        if min_s > rep.stable and (rep.last_exec >= min_s or not rep.honest):
            rep.stable, rep.stable_digest = min_s, min_digest
        max_s = max([min_s] + [s for s, _ in proposals])
        if is_primary:
            rep.next_seq = max(max_s, rep.stable) + 1
            rep.assigned = {d: s for s, d in proposals if d >= 0}
            rep.queue = []
        for seq, d in proposals:
            if seq <= rep.stable:
                continue
            if not rep.honest:
                self._byz_vote(rep, new_v, seq)
                continue
            if is_primary:
                rep.log_pp[(new_v, seq)] = d
                self._check_prepared(rep, new_v, seq)
            else:
                self._accept_preprepare(rep, new_v, seq, d)
        if not rep.honest:
            return
        proposed = {d for _, d in proposals}
        waiting = [d for d in rep.pending if d not in rep.executed and d not in proposed]
        if is_primary:
            for d in waiting:
                self._order(rep, d)
        else:
            p = self._primary(new_v)
            for d in waiting:
                self._send(
                    "request",
                    rep.i,
                    p,
                    self.config.request_bytes,
                    self._on_request,
                    self.replicas[p],
                    d,
                    False,
                )
        rep.timer_deadline = None
        self._arm_timer(rep)

    # ------------------------------------------------------------------ faults

    def _crash(self, node: int) -> None:
        self.n_events += 1
        self.replicas[node].crashed = True
        self.fault_rows.append((self.env.now, "crash", str(node)))
        self._collect_garbage()

    def _partition(self, fault: Partition | Heal) -> None:
        self.n_events += 1
        if isinstance(fault, Partition):
            detail = str([list(g) for g in fault.groups])
            self.fault_rows.append((self.env.now, "partition", detail))
        else:
            self.fault_rows.append((self.env.now, "heal", ""))

    # ------------------------------------------------------------------ run

    def run(self) -> ConsensusResults:
        """Run to the last accepted request or the time limit.

        After the last acceptance (or the last scheduled fault, if later) the run
        goes on for four message delays so that slower replicas commit too.
        """
        if self._ran:
            raise ConfigError("a PBFTSimulation runs once; build a new one to run again")
        self._ran = True
        wall = time.perf_counter()
        env = self.env
        cfg = self.config
        for fault in cfg.faults:
            if isinstance(fault, Crash):
                call_at(env, fault.t_s, self._crash, fault.node)
            elif isinstance(fault, Partition | Heal):
                call_at(env, fault.t_s, self._partition, fault)
        for req in range(self.n_requests):
            call_at(env, float(self.t_send[req]), self._client_send, req, False)
        if self.n_requests == 0:
            self.done.succeed()
        limit = cfg.max_time_s
        env.run(until=simpy.AnyOf(env, [self.done, env.timeout(limit)]))
        if env.now < limit:
            drain = 4.0 * (float(self.delay.max()) + self.proc) + (
                cfg.byzantine_delay_s if any(r.byz == "delay" for r in self.replicas) else 0.0
            )
            last_fault = max((getattr(f, "t_s", 0.0) for f in cfg.faults), default=0.0)
            end = min(max(env.now, last_fault) + drain, limit)
            if end > env.now:
                env.run(until=end)
        return self._results(time.perf_counter() - wall)

    def _results(self, wall_s: float) -> ConsensusResults:
        cfg = self.config
        commits = pd.DataFrame(
            self.commit_rows, columns=["replica", "seq", "view", "digest", "t_committed_s"]
        )
        executions = pd.DataFrame(
            self.exec_rows, columns=["replica", "seq", "digest", "t_executed_s"]
        )
        first = (
            commits[commits["digest"] >= 0]
            .groupby("digest")
            .agg(seq=("seq", "min"), t_first_commit_s=("t_committed_s", "min"))
        )
        req_ids = np.arange(cfg.n_requests)
        requests = pd.DataFrame(
            {
                "request_id": req_ids,
                "client": req_ids % cfg.n_clients,
                "t_sent_s": self.t_send,
            }
        )
        requests["seq"] = first["seq"].reindex(req_ids).to_numpy()
        requests["t_first_commit_s"] = first["t_first_commit_s"].reindex(req_ids).to_numpy()
        requests["t_accepted_s"] = self.t_accepted
        requests["latency_s"] = requests["t_accepted_s"] - requests["t_sent_s"]
        views = pd.DataFrame(
            self.vc_rows, columns=["t_s", "replica", "event", "old_view", "new_view"]
        )
        byz = {r.i: r.byz for r in self.replicas if r.byz is not None}
        meta: dict[str, Any] = {
            "seed": self.streams.entropy,
            "config": cfg.to_dict(),
            "protocol": "pbft",
            "n_replicas": self.n,
            "f": self.f,
            "quorums": {"prepare": self.q_prepare, "commit": self.q_commit, "reply": self.q_reply},
            "byzantine": {str(k): v for k, v in byz.items()},
            "honest": [r.i for r in self.replicas if r.byz in (None, "delay")],
            "sim_time_s": float(self.env.now),
            "wall_time_s": wall_s,
            "n_events": self.n_events,
            "n_view_changes": int(views.loc[views["event"] == "new-view", "new_view"].nunique()),
            "final_view": max((r.view for r in self.replicas if r.honest), default=0),
            "n_state_transfers": self.n_state_transfers,
        }
        return ConsensusResults(
            protocol="pbft",
            tables={
                "requests": requests,
                "commits": commits,
                "executions": executions,
                "messages": self.msgs.table(),
                "view_changes": views,
                "faults": pd.DataFrame(self.fault_rows, columns=["t_s", "kind", "detail"]),
            },
            meta=meta,
        )


def run_pbft(
    config: PBFTConfig | None = None, seed: SeedLike = None, *, network: Network | None = None
) -> ConsensusResults:
    """Simulate PBFT and return its tables.

    Parameters
    ----------
    config
        Settings (default :class:`PBFTConfig`).
    seed
        Seed of the run; the same seed gives identical tables.
    network
        Optional prebuilt complete network of ``n_replicas + n_clients`` nodes.

    Returns
    -------
    ConsensusResults
        Tables:

        ``requests``: ``request_id, client, t_sent_s, seq`` (lowest sequence number an
        honest replica committed it at), ``t_first_commit_s``, ``t_accepted_s`` (the
        client holds ``f + 1`` matching replies; NaN if never), ``latency_s``
        (accepted minus sent, seconds).
        ``commits``: ``replica, seq, view, digest, t_committed_s`` (each honest
        replica's committed-local events; digest = request id, -1 null request,
        < -1 forged).
        ``executions``: ``replica, seq, digest, t_executed_s``.
        ``messages``: ``kind, n_messages, n_bytes, n_dropped``.
        ``view_changes``: ``t_s, replica, event`` (``view-change`` sent,
        ``new-view`` entered), ``old_view, new_view``.
        ``faults``: ``t_s, kind, detail`` (crashes, partitions, heals).

    Examples
    --------
    >>> res = run_pbft(PBFTConfig(n_replicas=4, n_requests=3, latency_ms=10), seed=1)
    >>> bool(res.requests["t_accepted_s"].notna().all())
    True
    >>> int(res.messages.set_index("kind").loc["prepare", "n_messages"])  # 3 requests x 3 x 3
    27
    >>> len(pbft_safety_violations(res))
    0
    """
    return PBFTSimulation(config or PBFTConfig(), seed, network=network).run()


def _int(x: Any) -> int:
    return int(x)


def pbft_safety_violations(results: ConsensusResults) -> pd.DataFrame:
    """Sequence numbers at which honest replicas committed different requests.

    Parameters
    ----------
    results
        A PBFT run (:func:`run_pbft`).

    Returns
    -------
    pandas.DataFrame
        One row per such sequence number: ``seq``, ``digests`` (sorted list),
        ``replicas`` (the honest replicas that committed there). Empty when safe.

    Examples
    --------
    >>> pbft_safety_violations(run_pbft(PBFTConfig(n_requests=2), seed=3)).empty
    True
    """
    commits = results.tables["commits"]
    honest = set(results.meta["honest"])
    c = commits[commits["replica"].isin(honest)]
    rows = []
    for seq, grp in c.groupby("seq"):
        digests = sorted(set(grp["digest"].tolist()))
        if len(digests) > 1:
            rows.append(
                {
                    "seq": _int(seq),
                    "digests": digests,
                    "replicas": sorted(set(grp["replica"].tolist())),
                }
            )
    return pd.DataFrame(rows, columns=["seq", "digests", "replicas"])


__all__ += ["pbft_safety_violations"]
