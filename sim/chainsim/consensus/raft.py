"""Raft: leader election and log replication for crash faults (Ongaro and Ousterhout 2014).

``n = 2f + 1`` servers keep a replicated log and tolerate ``f`` crashed (or cut off)
servers. Time is divided into *terms*; each term has at most one leader.

* Every server is a follower at first. A follower that hears nothing from a leader
  for its *election timeout* (drawn at random, afresh each time, from
  ``[election_timeout_min_ms, election_timeout_max_ms]``) becomes a candidate: it
  increments its term, votes for itself and asks the others for votes
  (REQUEST-VOTE). A server grants one vote per term, and only to a candidate whose
  log is at least as up to date as its own (higher last term, or equal last term
  and at least as long). A majority of votes makes the candidate leader.
* The leader sends APPEND-ENTRIES to every follower, empty every ``heartbeat_ms``
  (heartbeats) and at once when a client request arrives. A follower accepts the
  entries only if its log holds the entry just before them with the same term;
  otherwise the leader steps back one entry and retries. The leader commits an entry
  of its *current* term once a majority stores it (entries of earlier terms commit
  with it), and tells the followers the commit index in later messages. With
  ``leader_noop`` a new leader first appends an empty entry, as etcd does, so that
  entries of earlier terms commit without waiting for a client.
* A server that sees a higher term in any message adopts it and becomes a follower
  (a partitioned leader steps down when the partition heals).
* Clients send each request to the server they think leads; a follower answers with
  the leader it knows; the leader answers the client once the entry is applied. A
  client that hears nothing within ``client_timeout_s`` tries the next server.

Faults: a crashed server sends and receives nothing; when it restarts it keeps its
persistent state (current term, vote, log) and loses the rest (role, commit index,
applied entries). A partition drops every message between servers of different
groups (clients reach every server that is up). Each message between servers is
also lost with probability ``loss_probability``.

Checks (:func:`raft_check`): at most one leader per term (election safety); every
server that learns an index committed learns the same entry, and every later leader
holds every entry committed in an earlier term (state machine safety and leader
completeness); logs that share an entry's index and term are identical up to it (log
matching); every committed entry is still stored on a majority at the end.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import simpy

from chainsim.analysis import raft_majority
from chainsim.consensus.bft_common import (
    ConsensusResults,
    MessageCounter,
    arrival_times,
    call_at,
    latency_matrix,
    make_network,
)
from chainsim.consensus.config import RaftConfig
from chainsim.consensus.faults import Crash, Heal, Partition, Restart, partition_groups
from chainsim.errors import ConfigError
from chainsim.network import Network
from chainsim.rng import RandomStreams, SeedLike

__all__ = [
    "NOOP",
    "RAFT_MESSAGE_KINDS",
    "RaftSimulation",
    "raft_check",
    "raft_election_safety_violations",
    "raft_log_matching_violations",
    "raft_state_machine_violations",
    "run_raft",
]

#: Request id of the empty entry a new leader appends.
NOOP = -1

#: Message kinds counted in the ``messages`` table.
RAFT_MESSAGE_KINDS: tuple[str, ...] = (
    "request-vote",
    "vote-reply",
    "append-entries",
    "append-reply",
    "client-request",
    "client-reply",
)


class _Server:
    __slots__ = (
        "applied",
        "commit_index",
        "crashed",
        "election_row",
        "i",
        "incarnation",
        "leader_id",
        "log_req",
        "log_term",
        "match_index",
        "next_index",
        "role",
        "term",
        "timer_deadline",
        "timer_scheduled",
        "voted_for",
        "votes",
    )

    def __init__(self, i: int, n: int) -> None:
        self.i = i
        self.crashed = False
        self.incarnation = 0
        # persistent
        self.term = 0
        self.voted_for: int | None = None
        self.log_term: list[int] = [0]  # index 0 is a sentinel
        self.log_req: list[int] = [NOOP]
        # volatile
        self.role = "follower"
        self.leader_id: int | None = None
        self.commit_index = 0
        self.applied = 0
        self.votes: set[int] = set()
        self.election_row = -1
        self.next_index = [1] * n
        self.match_index = [0] * n
        self.timer_deadline = 0.0
        self.timer_scheduled = False

    @property
    def last_index(self) -> int:
        return len(self.log_term) - 1


class RaftSimulation:
    """One Raft run: servers, clients and faults on a SimPy clock.

    Most users call :func:`run_raft`. Build, then :meth:`run` once.

    Parameters
    ----------
    config
        The protocol, workload and fault settings.
    seed
        Seed of the run (int, SeedSequence or None).
    network
        A prebuilt complete network of ``n_servers + n_clients`` nodes (optional).
    """

    def __init__(
        self, config: RaftConfig, seed: SeedLike = None, *, network: Network | None = None
    ) -> None:
        if not isinstance(config, RaftConfig):
            raise ConfigError(f"config must be a RaftConfig, got {type(config).__name__}")
        self.config = config
        self.streams = RandomStreams(seed)
        self.network = make_network(config.network_config(), self.streams, network)
        n = config.n_servers
        self.n = n
        self.majority = raft_majority(n)
        self.env = simpy.Environment()
        proc = config.processing_ms / 1000.0
        lat = latency_matrix(self.network)
        self.delay = (lat[:n, :n] + proc).tolist()
        self.client_delay = (lat[:n, n:] + proc).tolist()  # server -> client
        self.to_server = (lat[n:, :n] + proc).tolist()  # client -> server
        self.max_delay = float(np.max(lat[np.isfinite(lat)])) + proc
        self.servers = [_Server(i, n) for i in range(n)]
        self.group = [0] * n
        self.timeout_rng = self.streams["raft-timeouts"]
        self.loss_rng = self.streams["raft-loss"]
        self.loss = config.loss_probability
        self.msgs = MessageCounter(RAFT_MESSAGE_KINDS)
        self.n_events = 0
        self.hb_s = config.heartbeat_ms / 1000.0
        # clients
        self.n_requests = config.n_requests
        self.t_send = arrival_times(
            config.n_requests,
            config.request_interval_s,
            config.arrivals,
            self.streams["workload"],
            start_s=config.first_request_s,
        )
        self.client_guess = [0] * config.n_clients
        self.t_accepted = np.full(config.n_requests, np.nan)
        self.n_accepted = 0
        self.redirects = [0] * config.n_requests
        self.done = self.env.event()
        # records
        self.election_rows: list[list[Any]] = []
        self.commit_rows: list[tuple[int, int, int, int, float]] = []
        self.leader_commits: list[tuple[int, int, int, int, float]] = []
        self.leader_logs: list[tuple[int, int, float, list[int], list[int]]] = []
        self.fault_rows: list[tuple[float, str, str]] = []
        self.initial_timeouts_s: list[float] = []
        self._ran = False

    # ------------------------------------------------------------------ messaging

    def _send(self, kind: str, src: int, dst: int, size: int, fn: Any, *args: Any) -> None:
        self.msgs.add(kind, 1, size)
        if self.group[src] != self.group[dst] or (
            self.loss > 0.0 and self.loss_rng.random() < self.loss
        ):
            self.msgs.drop(kind)
            return
        call_at(self.env, self.delay[src][dst], self._deliver, kind, src, dst, fn, args)

    def _deliver(self, kind: str, src: int, dst: int, fn: Any, args: tuple[Any, ...]) -> None:
        self.n_events += 1
        server = self.servers[dst]
        if server.crashed or self.group[src] != self.group[dst]:
            self.msgs.drop(kind)
            return
        fn(server, *args)

    def _size(self, n_entries: int) -> int:
        return self.config.header_bytes + n_entries * self.config.request_bytes

    # ------------------------------------------------------------------ timers

    def _reset_election_timer(self, s: _Server) -> None:
        cfg = self.config
        timeout = (
            self.timeout_rng.uniform(cfg.election_timeout_min_ms, cfg.election_timeout_max_ms)
            / 1000.0
        )
        s.timer_deadline = self.env.now + timeout
        if not s.timer_scheduled:
            s.timer_scheduled = True
            call_at(self.env, timeout, self._election_timer, s, s.incarnation)

    def _election_timer(self, s: _Server, incarnation: int) -> None:
        self.n_events += 1
        if s.incarnation != incarnation or s.crashed:
            return
        now = self.env.now
        if now < s.timer_deadline - 1e-12:
            call_at(self.env, s.timer_deadline - now, self._election_timer, s, incarnation)
            return
        s.timer_scheduled = False
        if s.role != "leader":
            self._start_election(s)

    # ------------------------------------------------------------------ elections

    def _become_follower(self, s: _Server, term: int) -> None:
        if term > s.term:
            s.term = term
            s.voted_for = None
        s.role = "follower"
        s.votes = set()
        if not s.timer_scheduled:  # a leader's timer lapsed: arm it again
            self._reset_election_timer(s)

    def _start_election(self, s: _Server) -> None:
        s.term += 1
        s.role = "candidate"
        s.voted_for = s.i
        s.votes = {s.i}
        s.leader_id = None
        s.election_row = len(self.election_rows)
        self.election_rows.append([s.term, s.i, self.env.now, np.nan, 1])
        self._reset_election_timer(s)
        last = s.last_index
        args = (s.term, s.i, last, s.log_term[last])
        for j in range(self.n):
            if j != s.i:
                self._send("request-vote", s.i, j, self._size(0), self._on_request_vote, *args)
        self._check_votes(s)

    def _on_request_vote(
        self, s: _Server, term: int, cand: int, last_index: int, last_term: int
    ) -> None:
        if term > s.term:
            self._become_follower(s, term)
        granted = False
        if term == s.term and s.voted_for in (None, cand):
            my_last = s.last_index
            my_term = s.log_term[my_last]
            if last_term > my_term or (last_term == my_term and last_index >= my_last):
                granted = True
                s.voted_for = cand
                self._reset_election_timer(s)
        self._send(
            "vote-reply", s.i, cand, self._size(0), self._on_vote_reply, s.term, s.i, granted
        )

    def _on_vote_reply(self, s: _Server, term: int, voter: int, granted: bool) -> None:
        if term > s.term:
            self._become_follower(s, term)
            return
        if s.role != "candidate" or term != s.term or not granted:
            return
        s.votes.add(voter)
        self.election_rows[s.election_row][4] = len(s.votes)
        self._check_votes(s)

    def _check_votes(self, s: _Server) -> None:
        if s.role != "candidate" or len(s.votes) < self.majority:
            return
        s.role = "leader"
        s.leader_id = s.i
        now = self.env.now
        self.election_rows[s.election_row][3] = now
        self.leader_logs.append((s.term, s.i, now, list(s.log_term), list(s.log_req)))
        s.next_index = [s.last_index + 1] * self.n
        s.match_index = [0] * self.n
        if self.config.leader_noop:
            s.log_term.append(s.term)
            s.log_req.append(NOOP)
        s.match_index[s.i] = s.last_index
        self._advance_commit(s)
        self._heartbeat(s, s.term, s.incarnation)

    # ------------------------------------------------------------------ replication

    def _heartbeat(self, s: _Server, term: int, incarnation: int) -> None:
        self.n_events += 1
        if s.crashed or s.incarnation != incarnation or s.role != "leader" or s.term != term:
            return
        self._replicate(s)
        call_at(self.env, self.hb_s, self._heartbeat, s, term, incarnation)

    def _replicate(self, s: _Server) -> None:
        for j in range(self.n):
            if j != s.i:
                self._append_to(s, j)

    def _append_to(self, s: _Server, j: int) -> None:
        prev = s.next_index[j] - 1
        terms = s.log_term[prev + 1 :]
        reqs = s.log_req[prev + 1 :]
        self._send(
            "append-entries",
            s.i,
            j,
            self._size(len(terms)),
            self._on_append,
            s.term,
            s.i,
            prev,
            s.log_term[prev],
            terms,
            reqs,
            s.commit_index,
        )

    def _on_append(
        self,
        s: _Server,
        term: int,
        leader: int,
        prev: int,
        prev_term: int,
        terms: list[int],
        reqs: list[int],
        leader_commit: int,
    ) -> None:
        if term < s.term:
            self._send(
                "append-reply",
                s.i,
                leader,
                self._size(0),
                self._on_append_reply,
                s.term,
                s.i,
                False,
                0,
            )
            return
        if term > s.term or s.role != "follower":
            self._become_follower(s, term)
        s.leader_id = leader
        self._reset_election_timer(s)
        if prev > s.last_index or s.log_term[prev] != prev_term:
            hint = min(prev, s.last_index + 1)
            self._send(
                "append-reply",
                s.i,
                leader,
                self._size(0),
                self._on_append_reply,
                s.term,
                s.i,
                False,
                hint,
            )
            return
        for k, (t_e, r_e) in enumerate(zip(terms, reqs, strict=True)):
            idx = prev + 1 + k
            if idx <= s.last_index:
                if s.log_term[idx] == t_e:
                    continue
                del s.log_term[idx:]
                del s.log_req[idx:]
            s.log_term.append(t_e)
            s.log_req.append(r_e)
        last_new = prev + len(terms)
        if leader_commit > s.commit_index:
            self._commit_to(s, min(leader_commit, last_new))
        self._send(
            "append-reply",
            s.i,
            leader,
            self._size(0),
            self._on_append_reply,
            s.term,
            s.i,
            True,
            last_new,
        )

    def _on_append_reply(
        self, s: _Server, term: int, follower: int, success: bool, index: int
    ) -> None:
        if term > s.term:
            self._become_follower(s, term)
            return
        if s.role != "leader" or term != s.term:
            return
        if success:
            if index > s.match_index[follower]:
                s.match_index[follower] = index
                s.next_index[follower] = index + 1
                self._advance_commit(s)
            return
        s.next_index[follower] = max(1, min(s.next_index[follower] - 1, index))
        self._append_to(s, follower)

    def _advance_commit(self, s: _Server) -> None:
        s.match_index[s.i] = s.last_index
        n_idx = sorted(s.match_index, reverse=True)[self.majority - 1]
        if n_idx > s.commit_index and s.log_term[n_idx] == s.term:
            old = s.commit_index
            self._commit_to(s, n_idx)
            now = self.env.now
            for idx in range(old + 1, n_idx + 1):
                self.leader_commits.append((idx, s.log_term[idx], s.log_req[idx], s.term, now))

    def _commit_to(self, s: _Server, index: int) -> None:
        if index <= s.commit_index:
            return
        now = self.env.now
        for idx in range(s.commit_index + 1, index + 1):
            req = s.log_req[idx]
            self.commit_rows.append((s.i, idx, s.log_term[idx], req, now))
            if s.role == "leader" and req >= 0:
                c = req % self.config.n_clients
                self.msgs.add("client-reply", 1, self._size(0))
                call_at(self.env, self.client_delay[s.i][c], self._on_client_reply, req, s.i)
        s.commit_index = index
        s.applied = index

    # ------------------------------------------------------------------ clients

    def _client_send(self, req: int, target: int | None, timer: bool) -> None:
        self.n_events += 1
        if not np.isnan(self.t_accepted[req]):
            return
        c = req % self.config.n_clients
        if target is None:
            target = self.client_guess[c]
        self.msgs.add("client-request", 1, self._size(1))
        call_at(self.env, self.to_server[c][target], self._on_client_request, req, target)
        if timer:
            call_at(self.env, self.config.client_timeout_s, self._client_timeout, req, target)

    def _client_timeout(self, req: int, target: int) -> None:
        self.n_events += 1
        if not np.isnan(self.t_accepted[req]):
            return
        c = req % self.config.n_clients
        if self.client_guess[c] == target:
            self.client_guess[c] = (target + 1) % self.n
        self.redirects[req] = 0
        self._client_send(req, None, True)

    def _on_client_request(self, req: int, target: int) -> None:
        self.n_events += 1
        s = self.servers[target]
        if s.crashed:
            return
        if s.role == "leader":
            s.log_term.append(s.term)
            s.log_req.append(req)
            s.match_index[s.i] = s.last_index
            self._replicate(s)
            self._advance_commit(s)  # a one-server cluster commits at once
            return
        hint = s.leader_id
        c = req % self.config.n_clients
        self.msgs.add("client-reply", 1, self._size(0))
        call_at(self.env, self.client_delay[target][c], self._on_redirect, req, target, hint)

    def _on_redirect(self, req: int, server: int, hint: int | None) -> None:
        self.n_events += 1
        if not np.isnan(self.t_accepted[req]) or hint is None or hint == server:
            return
        c = req % self.config.n_clients
        self.client_guess[c] = hint
        if self.redirects[req] < 3:
            self.redirects[req] += 1
            self._client_send(req, hint, False)

    def _on_client_reply(self, req: int, server: int) -> None:
        self.n_events += 1
        if not np.isnan(self.t_accepted[req]):
            return
        self.t_accepted[req] = self.env.now
        self.client_guess[req % self.config.n_clients] = server
        self.n_accepted += 1
        if self.n_accepted == self.n_requests and not self.done.triggered:
            self.done.succeed()

    # ------------------------------------------------------------------ faults

    def _fault(self, fault: Crash | Restart | Partition | Heal) -> None:
        self.n_events += 1
        now = self.env.now
        if isinstance(fault, Crash):
            s = self.servers[fault.node]
            if s.crashed:
                return
            s.crashed = True
            s.incarnation += 1
            s.timer_scheduled = False
            self.fault_rows.append((now, "crash", str(fault.node)))
        elif isinstance(fault, Restart):
            s = self.servers[fault.node]
            if not s.crashed:
                return
            s.crashed = False
            s.role = "follower"
            s.leader_id = None
            s.commit_index = 0
            s.applied = 0
            s.votes = set()
            self._reset_election_timer(s)
            self.fault_rows.append((now, "restart", str(fault.node)))
        elif isinstance(fault, Partition):
            self.group = partition_groups(fault, self.n)
            self.fault_rows.append((now, "partition", str([list(g) for g in fault.groups])))
        else:
            self.group = [0] * self.n
            self.fault_rows.append((now, "heal", ""))

    # ------------------------------------------------------------------ run

    def run(self) -> ConsensusResults:
        """Run to the last accepted request (plus a short drain) or the time limit.

        The drain lasts two heartbeats and four message delays (and at least that long
        after the last scheduled fault), so that followers learn the last commits.
        """
        if self._ran:
            raise ConfigError("a RaftSimulation runs once; build a new one to run again")
        self._ran = True
        wall = time.perf_counter()
        env = self.env
        cfg = self.config
        for s in self.servers:
            self._reset_election_timer(s)
            self.initial_timeouts_s.append(s.timer_deadline)
        for fault in cfg.faults:
            if isinstance(fault, Crash | Restart | Partition | Heal):
                call_at(env, fault.t_s, self._fault, fault)
        for req in range(self.n_requests):
            call_at(env, float(self.t_send[req]), self._client_send, req, None, True)
        last_fault = max((getattr(f, "t_s", 0.0) for f in cfg.faults), default=0.0)
        limit = cfg.max_time_s  # without requests, the run lasts until the limit
        env.run(until=simpy.AnyOf(env, [self.done, env.timeout(limit)]))
        if env.now < limit:
            drain = 2.0 * self.hb_s + 4.0 * self.max_delay
            end = max(env.now + drain, last_fault + drain)
            if min(end, limit) > env.now:
                env.run(until=min(end, limit))
        return self._results(time.perf_counter() - wall)

    def _results(self, wall_s: float) -> ConsensusResults:
        cfg = self.config
        elections = pd.DataFrame(
            self.election_rows,
            columns=["term", "candidate", "t_start_s", "t_elected_s", "n_votes"],
        )
        elections["won"] = elections["t_elected_s"].notna()
        leaders = (
            elections.loc[elections["won"], ["term", "candidate", "t_elected_s"]]
            .rename(columns={"candidate": "leader"})
            .reset_index(drop=True)
        )
        commits = pd.DataFrame(
            self.commit_rows, columns=["server", "index", "term", "request_id", "t_committed_s"]
        )
        lc = pd.DataFrame(
            self.leader_commits,
            columns=["index", "term", "request_id", "leader_term", "t_committed_s"],
        )
        req_ids = np.arange(cfg.n_requests)
        first = (
            lc[lc["request_id"] >= 0]
            .groupby("request_id")
            .agg(
                index=("index", "min"), term=("term", "min"), t_committed_s=("t_committed_s", "min")
            )
        )
        requests = pd.DataFrame(
            {"request_id": req_ids, "client": req_ids % cfg.n_clients, "t_sent_s": self.t_send}
        )
        for col in ("index", "term", "t_committed_s"):
            requests[col] = first[col].reindex(req_ids).to_numpy()
        requests["t_accepted_s"] = self.t_accepted
        requests["latency_s"] = requests["t_accepted_s"] - requests["t_sent_s"]
        logs = pd.DataFrame(
            [
                (s.i, idx, s.log_term[idx], s.log_req[idx])
                for s in self.servers
                for idx in range(1, len(s.log_term))
            ],
            columns=["server", "index", "term", "request_id"],
        )
        faults = pd.DataFrame(self.fault_rows, columns=["t_s", "kind", "detail"])
        meta: dict[str, Any] = {
            "seed": self.streams.entropy,
            "config": cfg.to_dict(),
            "protocol": "raft",
            "n_servers": self.n,
            "majority": self.majority,
            "sim_time_s": float(self.env.now),
            "wall_time_s": wall_s,
            "n_events": self.n_events,
            "n_elections": len(elections),
            "n_leaders": len(leaders),
            "initial_timeouts_s": list(self.initial_timeouts_s),
            "final_terms": [s.term for s in self.servers],
            "final_roles": [s.role for s in self.servers],
        }
        return ConsensusResults(
            protocol="raft",
            tables={
                "requests": requests,
                "elections": elections,
                "leaders": leaders,
                "commits": commits,
                "leader_commits": lc,
                "logs": logs,
                "leader_logs": pd.DataFrame(
                    [
                        (term, leader, t, idx, lt[idx], lr[idx])
                        for term, leader, t, lt, lr in self.leader_logs
                        for idx in range(1, len(lt))
                    ],
                    columns=["term", "leader", "t_elected_s", "index", "entry_term", "request_id"],
                ),
                "messages": self.msgs.table(),
                "faults": faults,
            },
            meta=meta,
        )


def run_raft(
    config: RaftConfig | None = None, seed: SeedLike = None, *, network: Network | None = None
) -> ConsensusResults:
    """Simulate Raft and return its tables.

    Parameters
    ----------
    config
        Settings (default :class:`RaftConfig`).
    seed
        Seed of the run; the same seed gives identical tables.
    network
        Optional prebuilt complete network of ``n_servers + n_clients`` nodes.

    Returns
    -------
    ConsensusResults
        Tables:

        ``requests``: ``request_id, client, t_sent_s, index, term, t_committed_s``
        (first commit by a leader), ``t_accepted_s`` (the client got the leader's
        answer; NaN if never), ``latency_s``.
        ``elections``: ``term, candidate, t_start_s, t_elected_s`` (NaN if it lost),
        ``n_votes, won``. ``leaders``: ``term, leader, t_elected_s``.
        ``commits``: ``server, index, term, request_id, t_committed_s`` (each time a
        server learns an index is committed; again after a restart).
        ``leader_commits``: ``index, term, request_id, leader_term, t_committed_s``.
        ``logs``: every server's final log, ``server, index, term, request_id``.
        ``leader_logs``: each leader's log when elected (``term, leader,
        t_elected_s, index, entry_term, request_id``).
        ``messages``: ``kind, n_messages, n_bytes, n_dropped``.
        ``faults``: ``t_s, kind, detail``.

    Examples
    --------
    >>> res = run_raft(RaftConfig(n_servers=5, n_requests=5, latency_ms=10), seed=2)
    >>> int(res.requests["t_accepted_s"].notna().sum())
    5
    >>> raft_check(res)["ok"]
    True
    """
    return RaftSimulation(config or RaftConfig(), seed, network=network).run()


def _int(x: Any) -> int:
    return int(x)


def raft_election_safety_violations(results: ConsensusResults) -> pd.DataFrame:
    """Terms with more than one leader (columns ``term, leaders``); empty when safe.

    >>> raft_election_safety_violations(run_raft(RaftConfig(n_requests=1), seed=1)).empty
    True
    """
    leaders = results.tables["leaders"]
    rows = [
        {"term": _int(term), "leaders": sorted(set(g["leader"].tolist()))}
        for term, g in leaders.groupby("term")
        if g["leader"].nunique() > 1
    ]
    return pd.DataFrame(rows, columns=["term", "leaders"])


def raft_state_machine_violations(results: ConsensusResults) -> pd.DataFrame:
    """Committed entries that differ, were lost, or are missing from a later leader.

    Three kinds of row (column ``problem``):

    ``different``: servers learned different entries committed at one index;
    ``not-in-leader``: a leader of a higher term than the one that committed an
    entry did not hold it when elected (leader completeness);
    ``lost``: at the end fewer than a majority of servers store a committed entry.

    Columns: ``problem, index, detail``. Empty when safe.
    """
    rows: list[dict[str, Any]] = []
    commits = results.tables["commits"]
    for idx, g in commits.groupby("index"):
        entries = set(zip(g["term"].tolist(), g["request_id"].tolist(), strict=True))
        if len(entries) > 1:
            rows.append({"problem": "different", "index": _int(idx), "detail": sorted(entries)})
    lc = results.tables["leader_commits"]
    llogs = results.tables["leader_logs"]
    leaders = results.tables["leaders"]
    if len(lc) and len(leaders):
        held = {
            (_int(t), _int(i)): (_int(et), _int(r))
            for t, i, et, r in zip(
                llogs["term"],
                llogs["index"],
                llogs["entry_term"],
                llogs["request_id"],
                strict=True,
            )
        }
        first = lc.groupby("index").agg(
            term=("term", "first"),
            request_id=("request_id", "first"),
            leader_term=("leader_term", "min"),
        )
        terms = sorted(set(leaders["term"].tolist()))
        for idx_, row in first.iterrows():
            idx = _int(idx_)
            entry = (_int(row["term"]), _int(row["request_id"]))
            for t in terms:
                if t > row["leader_term"] and held.get((t, _int(idx))) != entry:
                    rows.append(
                        {
                            "problem": "not-in-leader",
                            "index": _int(idx),
                            "detail": f"leader of term {t} lacks {entry}",
                        }
                    )
    logs = results.tables["logs"]
    majority = results.meta["majority"]
    if len(commits):
        committed = commits.drop_duplicates("index").set_index("index")
        stored = logs.merge(
            committed[["term", "request_id"]].reset_index(), on=["index", "term", "request_id"]
        )
        counts = stored.groupby("index")["server"].nunique().reindex(committed.index).fillna(0)
        for idx_, k in counts.items():
            idx = _int(idx_)
            if k < majority:
                rows.append(
                    {"problem": "lost", "index": _int(idx), "detail": f"on {_int(k)} servers"}
                )
    return pd.DataFrame(rows, columns=["problem", "index", "detail"])


def raft_log_matching_violations(results: ConsensusResults) -> pd.DataFrame:
    """Pairs of final logs that share (index, term) but differ at or before it.

    Checks, for every index, that servers holding an entry of the same term there hold
    the same request and the same term one index earlier; by induction their logs
    then agree up to that index. Columns ``index, term, servers``; empty when safe.
    """
    logs = results.tables["logs"]
    prev = logs.assign(index=logs["index"] + 1)[["server", "index", "term"]]
    both = logs.merge(prev, on=["server", "index"], how="left", suffixes=("", "_prev"))
    both["term_prev"] = both["term_prev"].fillna(0)
    rows = []
    for (idx, term), g in both.groupby(["index", "term"]):
        if g["request_id"].nunique() > 1 or g["term_prev"].nunique() > 1:
            rows.append(
                {"index": _int(idx), "term": _int(term), "servers": sorted(g["server"].tolist())}
            )
    return pd.DataFrame(rows, columns=["index", "term", "servers"])


def raft_check(results: ConsensusResults) -> dict[str, Any]:
    """All Raft safety checks at once.

    Returns
    -------
    dict
        ``election_safety``, ``state_machine``, ``log_matching``: the number of
        violations each check found; ``ok``: True when all are zero.
    """
    out: dict[str, Any] = {
        "election_safety": len(raft_election_safety_violations(results)),
        "state_machine": len(raft_state_machine_violations(results)),
        "log_matching": len(raft_log_matching_violations(results)),
    }
    out["ok"] = not any(out.values())
    return out
