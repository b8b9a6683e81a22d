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

Each (block, node) pair then costs about three heap events plus a loop over the
node's neighbours. Message counts: ``inv`` messages are counted as the SimPy engine
sends them (neighbours except the sender and nodes whose ``inv`` was handled before
acceptance); every queued upload and request is counted.
"""

from __future__ import annotations

import math
from heapq import heappop, heappush
from typing import Any

from chainsim.blocktree import longest, most_work
from chainsim.engine.relay import MESSAGE_KINDS, RunOutput, RunSetup, compact_failures

__all__ = ["run_fast"]

_MINE, _INV, _GETDATA, _BLOCK, _CMPCT, _GETBTXN = range(6)


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
    seq = 0
    n_inv = n_getdata = n_block = n_cmpct = n_getbtxn = n_btxn = 0
    n_events = 0
    n_mined = 0
    end_time = INF
    now = 0.0

    def schedule_mining(now: float) -> None:
        nonlocal seq, end_time
        t_next = sched.draw_time + sched.delay
        if t_next > max_time:
            sched.stop()
            end_time = max_time
            return
        heappush(heap, (t_next, seq, _MINE, sched.version))
        seq += 1

    def accept(v: int, b: int, t: float, s: int) -> None:
        """Node v accepts block b at t (from s), then any orphans waiting for it."""
        nonlocal seq, n_inv, n_block, n_cmpct
        stack = [(b, s)]
        while stack:
            b, s = stack.pop()
            ab = acc[b]
            ab[v] = t
            tip = tips[v]
            if fc_kind == 0:
                new = b if tw[b] > tw[tip] else tip
            elif fc_kind == 1:
                new = b if hts[b] > hts[tip] else tip
            else:
                new = fc(tree, tip, b)
            if new != tip:
                tips[v] = new
                if retarget:
                    mi = miner_of_node[v]
                    if mi >= 0 and sched.set_work(mi, child_work[new], t):
                        schedule_mining(t)
            fb = first[b]
            fr = frm[b]
            nbrs = adj[v]
            lats = adj_lat[v]
            if mode == 0:
                for j in range(len(nbrs)):
                    w = nbrs[j]
                    lat = lats[j]
                    c = t + lat + proc
                    if c < fb[w]:
                        fb[w] = c
                        fr[w] = v
                        heappush(heap, (c, seq, _INV, b, w, v, lat))
                        seq += 1
                        n_inv += 1
                    elif w != s and ab[w] + lat + proc > t:
                        n_inv += 1
            else:
                fu = free[v]
                upv = up[v]
                bits = blk_bits if mode == 1 else cmp_bits
                kind = _BLOCK if mode == 1 else _CMPCT
                for j in range(len(nbrs)):
                    w = nbrs[j]
                    if w == s:
                        continue
                    lat = lats[j]
                    bw = down[w]
                    if upv < bw:
                        bw = upv
                    fu = (t if t > fu else fu) + bits / bw
                    h = fu + lat + hblk
                    if h < fb[w]:
                        fb[w] = h
                        fr[w] = v
                        heappush(heap, (h, seq, kind, b, w, v, lat))
                        seq += 1
                free[v] = fu
                if mode == 1:
                    n_block += len(nbrs) - (s >= 0)
                else:
                    n_cmpct += len(nbrs) - (s >= 0)
            if orphans:
                waiting = orphans.pop(b * n + v, None)
                if waiting:
                    waiting.sort(reverse=True)
                    stack.extend(waiting)

    def handle_block(w: int, b: int, h: float, u: int) -> None:
        p = parents[b]
        if acc[p][w] < INF:
            accept(w, b, h, u)
        else:
            orphans.setdefault(p * n + w, []).append((b, u))

    sched.start(0.0)
    schedule_mining(0.0)
    while heap:
        ev = heappop(heap)
        now = ev[0]
        if now > end_time and not drain:
            now = end_time
            break
        kind = ev[2]
        if kind == _INV:
            _, _, _, b, w, u, lat = ev
            if first[b][w] != now or frm[b][w] != u:
                continue  # superseded by an earlier inv
            n_getdata += 1
            heappush(heap, (now + lat + proc, seq, _GETDATA, b, w, u, lat))
            seq += 1
        elif kind in (_GETDATA, _GETBTXN):
            # u handles w's request and queues the full block (or blocktxn) upload
            _, _, _, b, w, u, lat = ev
            bw = down[w]
            if up[u] < bw:
                bw = up[u]
            fu = free[u]
            fu = (now if now > fu else fu) + blk_bits / bw
            free[u] = fu
            heappush(heap, (fu + lat + hblk, seq, _BLOCK, b, w, u, lat))
            seq += 1
            if kind == _GETDATA:
                n_block += 1
            else:
                n_btxn += 1
        elif kind == _BLOCK:
            _, _, _, b, w, u, _ = ev
            if mode == 1 and (first[b][w] != now or frm[b][w] != u):
                continue  # a pushed copy that is not the first one handled
            handle_block(w, b, now, u)
        elif kind == _CMPCT:
            _, _, _, b, w, u, lat = ev
            if first[b][w] != now or frm[b][w] != u:
                continue
            fl = fails.get(b)
            if fl is None:
                fl = fails[b] = compact_failures(streams, b, n, fail_rate)
            if fl[w]:
                n_getbtxn += 1
                heappush(heap, (now + lat + proc, seq, _GETBTXN, b, w, u, lat))
                seq += 1
            else:
                handle_block(w, b, now, u)
        else:  # _MINE
            if ev[3] != sched.version:
                continue  # an outdated draw
            i = sched.fire(now)
            if i < 0:  # a hash-rate shock; the schedule has drawn again
                schedule_mining(now)
                n_events += 1
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
            accept(v, b, now, -1)
            if on_block is not None:
                on_block()
            if n_mined < n_blocks:
                sched.draw(now)
                schedule_mining(now)
            else:
                sched.stop()
                end_time = now
        n_events += 1

    counts = {
        "inv": [n_inv, n_inv * cfg.network.inv_bytes],
        "getdata": [n_getdata, n_getdata * cfg.network.inv_bytes],
        "block": [n_block, n_block * size],
        "cmpctblock": [n_cmpct, n_cmpct * cfg.network.compact_block_bytes],
        "getblocktxn": [n_getbtxn, n_getbtxn * cfg.network.inv_bytes],
        "blocktxn": [n_btxn, n_btxn * size],
    }
    messages = {k: counts[k] for k in MESSAGE_KINDS if counts[k][0]}
    if not drain and end_time < INF:
        now = end_time
    return RunOutput(accepted=acc, tips=tips, messages=messages, n_events=n_events, sim_time_s=now)
