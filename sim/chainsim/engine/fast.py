"""The fast engine: the message-level model with a lean event loop.

It computes exactly what the SimPy engine (:mod:`chainsim.engine.simpy_engine`)
computes, with a plain ``heapq`` of ``(time, seq, kind, ...)`` tuples, Python lists
indexed by block and node, and no object per message. Two tricks keep it small:

* Messages that are certain to be ignored are not scheduled. A node acts only on the
  *first* ``inv`` (or ``cmpctblock``, or pushed ``block``) it handles for a block, so
  for every (block, node) the engine keeps the earliest handling time scheduled so
  far and its sender; a new message that would be handled later is only counted, an
  earlier one replaces the candidate (the old heap entry is skipped when popped).
* A block upload's timing is fixed when it is queued (first in, first out, one at a
  time), so each node only needs the time its upload link becomes free.
* An ``inv`` needs no event of its own: the ``getdata`` it would trigger is scheduled
  at once, for the time it would reach the announcer, and skipped if by then another
  announcer's ``inv`` turned out to be the first one handled.

Each (block, node) pair then costs about two heap events plus a loop over the node's
neighbours.

Message counts are the SimPy engine's: every queued upload and every request is
counted as it is made, and ``inv`` messages, which this engine does not schedule one by
one, are counted after the run from the acceptance times (a node announces to every
neighbour except its sender and those whose ``inv`` it handled by the time it
accepted the block).

Ties. Events at exactly the same float time are processed in the order they were
scheduled (a sequence number breaks ties in the heap); SimPy also processes them in
scheduling order, but the two engines do not schedule the same events (this one skips
messages that will be ignored), so when two messages for the same block reach a node
at exactly the same instant the engines may credit different senders, and equal-time
comparisons such as "was the inv handled before the block was accepted" may go
either way. With latency jitter > 0 such ties have probability zero; the engine
equivalence tests use jitter, and the hand-computed scenarios avoid ties.
"""

from __future__ import annotations

import math
from heapq import heappop, heappush
from typing import Any

import numpy as np

from chainsim.blocktree import longest, most_work
from chainsim.engine.relay import (
    MESSAGE_KINDS,
    RunOutput,
    RunSetup,
    check_tip,
    compact_failures,
)
from chainsim.network import Network

__all__ = ["run_fast"]

_MINE, _GETDATA, _BLOCK, _CMPCT, _GETBTXN = range(5)


def run_fast(setup: RunSetup) -> RunOutput:
    """Run the model of ``setup`` and return the raw output."""
    cfg = setup.config
    net = setup.network
    n = net.n_nodes
    adj = net.adjacency
    adj_lat = net.adjacency_latency_s
    up = [float(x) for x in net.upload_bps.tolist()]
    down = [float(x) for x in net.download_bps.tolist()]
    relay = cfg.network.relay
    mode = {"inv": 0, "push": 1, "compact": 2}[relay]
    proc = setup.processing_s
    hblk = setup.block_handling_s
    size = cfg.mining.block_size_bytes
    blk_bits = size * 8.0
    cmp_bits = cfg.network.compact_block_bytes * 8.0
    fail_rate = cfg.network.compact_failure_rate
    streams = setup.streams
    tree = setup.tree
    diff = setup.difficulty
    child_work = diff.child_work
    retarget = diff.retarget
    sched = setup.schedule
    fc = setup.fork_choice
    fc_kind = 0 if fc is most_work else 1 if fc is longest else 2
    tw = tree.total_works
    hts = tree.heights
    parents = tree.parents
    miner_nodes = setup.miner_nodes
    miner_of_node = [-1] * n
    for i, v in enumerate(miner_nodes):
        miner_of_node[v] = i
    n_blocks = setup.n_blocks
    max_time = setup.max_time_s
    drain = cfg.run.drain
    on_block = setup.on_block
    INF = math.inf

    acc: list[list[float]] = [[0.0] * n]  # accepted[b][v]
    first: list[list[float]] = [[]]  # earliest scheduled first inv / cmpct / block
    frm: list[list[int]] = [[]]  # its sender
    fails: dict[int, list[bool]] = {}
    tips = [0] * n
    free = [0.0] * n  # time each node's upload link becomes free
    orphans: dict[int, list[tuple[int, int]]] = {}
    heap: list[tuple[Any, ...]] = []
    push = heappush
    pop = heappop
    seq = 0
    n_getdata = n_block = n_cmpct = n_getbtxn = n_btxn = 0
    n_events = 0
    n_mined = 0
    end_time = INF
    mining_version = -1

    sched.start(0.0)
    t_next = sched.draw_time + sched.delay
    if t_next > max_time:
        sched.stop()
        end_time = max_time
    else:
        mining_version = sched.version
        push(heap, (t_next, -1, _MINE, mining_version))

    while heap:
        ev = pop(heap)
        now = ev[0]
        if now > end_time and not drain:
            push(heap, ev)  # not processed: back for the message count below
            break
        n_events += 1
        kind = ev[2]
        # --- events that end with node v accepting block b from sender s -------
        if kind == _BLOCK:
            _, _, _, b, v, s, _ = ev
            if mode == 1 and (first[b][v] != now or frm[b][v] != s):
                n_events -= 1
                continue  # a pushed copy that is not the first one handled
            p = parents[b]
            if acc[p][v] == INF:
                orphans.setdefault(p * n + v, []).append((b, s))
                continue
        elif kind in (_GETDATA, _GETBTXN):
            # u handles w's request and queues the full block (or blocktxn) upload
            _, _, _, b, w, u, lat = ev
            if kind == _GETDATA:
                # scheduled when u accepted b, for the time w's getdata would reach u
                # if u's inv were the first w handles: skip it if another came first
                if frm[b][w] != u:
                    n_events -= 1
                    continue
                n_getdata += 1
            bw = down[w]
            if up[u] < bw:
                bw = up[u]
            fu = free[u]
            fu = (now if now > fu else fu) + blk_bits / bw
            free[u] = fu
            push(heap, (fu + lat + hblk, seq, _BLOCK, b, w, u, lat))
            seq += 1
            if kind == _GETDATA:
                n_block += 1
            else:
                n_btxn += 1
            continue
        elif kind == _CMPCT:
            _, _, _, b, v, s, lat = ev
            if first[b][v] != now or frm[b][v] != s:
                n_events -= 1
                continue
            fl = fails.get(b)
            if fl is None:
                fl = fails[b] = compact_failures(streams, b, n, fail_rate)
            if fl[v]:
                n_getbtxn += 1
                push(heap, (now + lat + proc, seq, _GETBTXN, b, v, s, lat))
                seq += 1
                continue
            p = parents[b]
            if acc[p][v] == INF:
                orphans.setdefault(p * n + v, []).append((b, s))
                continue
        else:  # _MINE
            if ev[3] != mining_version:
                n_events -= 1
                continue  # an outdated draw
            i = sched.fire(now)
            if i < 0:  # a hash-rate shock; the schedule has drawn again
                t_next = sched.draw_time + sched.delay
                if t_next > max_time:
                    sched.stop()
                    end_time = max_time
                else:
                    mining_version = sched.version
                    push(heap, (t_next, seq, _MINE, mining_version))
                    seq += 1
                continue
            v = miner_nodes[i]
            p = tips[v]
            b = len(parents)
            tree.add(b, p, v, now, size, child_work[p])
            diff.block_added(b)
            acc.append([INF] * n)
            fb = [INF] * n
            fb[v] = now if mode == 0 else -INF
            first.append(fb)
            frm.append([-1] * n)
            n_mined += 1
            s = -1
            if on_block is not None:
                on_block()

        # --- v accepts b (from s), then the blocks that waited for it ----------
        t = now
        stack = None
        while True:
            acc[b][v] = t
            tip = tips[v]
            if fc_kind == 0:
                new = b if tw[b] > tw[tip] else tip
            elif fc_kind == 1:
                new = b if hts[b] > hts[tip] else tip
            else:
                new = check_tip(fc, fc(tree, tip, b), acc, v, tip, b)
            if new != tip:
                tips[v] = new
                if retarget:
                    mi = miner_of_node[v]
                    if mi >= 0 and sched.set_work(mi, child_work[new], t):
                        t_next = sched.draw_time + sched.delay
                        if t_next > max_time:
                            sched.stop()
                            end_time = max_time
                        else:
                            mining_version = sched.version
                            push(heap, (t_next, seq, _MINE, mining_version))
                            seq += 1
            fb = first[b]
            fr = frm[b]
            if mode == 0:
                for w, lat in zip(adj[v], adj_lat[v], strict=True):
                    c = t + lat + proc
                    if c < fb[w]:
                        fb[w] = c
                        fr[w] = v
                        push(heap, (c + lat + proc, seq, _GETDATA, b, w, v, lat))
                        seq += 1
            else:
                fu = free[v]
                upv = up[v]
                if mode == 1:
                    bits = blk_bits
                    ekind = _BLOCK
                    n_block += len(adj[v]) - (s >= 0)
                else:
                    bits = cmp_bits
                    ekind = _CMPCT
                    n_cmpct += len(adj[v]) - (s >= 0)
                for w, lat in zip(adj[v], adj_lat[v], strict=True):
                    if w == s:
                        continue
                    bw = down[w]
                    if upv < bw:
                        bw = upv
                    fu = (t if t > fu else fu) + bits / bw
                    h = fu + lat + hblk
                    if h < fb[w]:
                        fb[w] = h
                        fr[w] = v
                        push(heap, (h, seq, ekind, b, w, v, lat))
                        seq += 1
                free[v] = fu
            if orphans:
                waiting = orphans.pop(b * n + v, None)
                if waiting:
                    waiting.sort(reverse=True)
                    if stack is None:
                        stack = waiting
                    else:
                        stack.extend(waiting)
            if not stack:
                break
            b, s = stack.pop()

        if kind == _MINE:
            if n_mined < n_blocks:
                sched.draw(now)
                t_next = sched.draw_time + sched.delay
                if t_next > max_time:
                    sched.stop()
                    end_time = max_time
                else:
                    mining_version = sched.version
                    push(heap, (t_next, seq, _MINE, mining_version))
                    seq += 1
            else:
                sched.stop()
                mining_version = -1
                end_time = now

    n_inv = _count_invs(net, acc, frm, proc) if mode == 0 else 0
    if mode == 0 and not drain:
        # getdata messages already sent (first inv handled) but not yet handled
        for ev in heap:
            if ev[2] == _GETDATA:
                b, w, u = ev[3], ev[4], ev[5]
                if frm[b][w] == u and first[b][w] <= end_time:
                    n_getdata += 1
    counts = {
        "inv": [n_inv, n_inv * cfg.network.inv_bytes],
        "getdata": [n_getdata, n_getdata * cfg.network.inv_bytes],
        "block": [n_block, n_block * size],
        "cmpctblock": [n_cmpct, n_cmpct * cfg.network.compact_block_bytes],
        "getblocktxn": [n_getbtxn, n_getbtxn * cfg.network.inv_bytes],
        "blocktxn": [n_btxn, n_btxn * size],
    }
    messages = {k: counts[k] for k in MESSAGE_KINDS if counts[k][0]}
    return RunOutput(
        accepted=acc, tips=tips, messages=messages, n_events=n_events, mining_end_s=end_time
    )


def _count_invs(net: Network, acc: list[list[float]], frm: list[list[int]], proc: float) -> int:
    """Number of ``inv`` messages the SimPy engine sends, computed after the run.

    Node ``v`` that accepted block ``b`` at ``t_v`` announces it to each neighbour
    ``w`` except its sender and the neighbours whose own ``inv`` it handled by then,
    i.e. unless ``(t_w + latency) + processing <= t_v``.
    """
    src = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    dst = np.asarray(net.indices)
    lat = np.asarray(net.latency_s, dtype=float)
    total = 0
    for b in range(1, len(acc)):
        t = np.asarray(acc[b], dtype=float)
        sender = np.asarray(frm[b])
        t_src = t[src]
        sent = (t_src < np.inf) & (dst != sender[src]) & ~(t[dst] + lat + proc <= t_src)
        total += int(np.count_nonzero(sent))
    return total
