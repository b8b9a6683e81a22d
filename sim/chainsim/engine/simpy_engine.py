"""The message-level SimPy engine: every message is a SimPy process.

This is the model written the way one would explain it. Each :class:`PeerNode` has an
upload link (a :class:`simpy.Resource` of capacity 1, so a node uploads one block at a
time, first come first served) and reacts to the messages it handles:

* ``inv`` (a neighbour announces a block): the first one for an unknown block is
  answered with ``getdata``;
* ``getdata``: queue the ``block`` upload to the requester;
* ``block`` / ``blocktxn``: the block has arrived; accept it if its parent is
  accepted, otherwise keep it until the parent is;
* ``cmpctblock``: rebuild the block (or, on failure, ask with ``getblocktxn``);
* ``getblocktxn``: queue the ``blocktxn`` upload.

One more process runs the mining schedule (:mod:`chainsim.engine.mining`). The rules
and the timing arithmetic are documented in :mod:`chainsim.engine.relay`; the fast
engine (:mod:`chainsim.engine.fast`) computes the same results without SimPy.

With ``log=True`` the engine records ``(time_s, event, node, block)`` tuples: ``mined``
and ``accepted`` events, and every message kind when the receiving node handles it.

Attacks and faults (:mod:`chainsim.engine.adversary`) plug in here: an adversary
decides for the nodes it controls, a fault schedule drops or delays messages, crashes
and restarts nodes. A fork-choice rule that needs each node's own view of the tree
(:class:`~chainsim.blocktree.Ghost`) is told about every block each node accepts.
Without these the engine runs exactly the honest model above.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any, NamedTuple

import simpy

from chainsim.blocktree import longest, most_work
from chainsim.engine.adversary import (
    Adversary,
    Crash,
    Delay,
    Eclipse,
    FaultState,
    Heal,
    Loss,
    NetworkFault,
    Partition,
    Restart,
)
from chainsim.engine.relay import (
    MESSAGE_KINDS,
    RunOutput,
    RunSetup,
    check_tip,
    compact_failures,
)

__all__ = ["Message", "PeerNode", "SimPyEngine"]


class Message(NamedTuple):
    """A message in flight: its kind, the block it is about, who sent it."""

    kind: str
    block: int
    sender: int


class PeerNode:
    """One node of the peer-to-peer network (see the module docstring).

    Attributes
    ----------
    id : int
        Node id.
    tip : int
        The block the node currently follows.
    upload : simpy.Resource
        The node's upload link (capacity 1).
    """

    def __init__(self, engine: SimPyEngine, node_id: int) -> None:
        self.engine = engine
        self.id = node_id
        net = engine.setup.network
        self.neighbours: list[int] = net.adjacency[node_id]
        self.latency: dict[int, float] = dict(
            zip(self.neighbours, net.adjacency_latency_s[node_id], strict=True)
        )
        self.upload = simpy.Resource(engine.env, capacity=1)
        self.tip = 0
        self.known: set[int] = {0}  # blocks requested, handled or mined (and genesis)
        self.have: set[int] = {0}  # blocks handled (block, blocktxn, rebuilt) or mined
        self.announcers: dict[int, set[int]] = {}
        self.orphans: dict[int, list[tuple[int, int]]] = {}
        self.fetching: set[int] = set()  # parents requested (re-synchronisation)
        adv = engine.adversary
        self.adversary: Adversary | None = adv if adv is not None and node_id in adv.nodes else None

    # --- sending --------------------------------------------------------------
    def send_small(self, kind: str, block: int, dst: int) -> None:
        """Send a small message (no upload queue): handled latency + processing later."""
        engine = self.engine
        engine.count(kind)
        extra = 0.0
        if engine.faults is not None:
            x = engine.faults.check(kind, block, self.id, dst, engine.setup.tree.miners[block])
            if x is None:
                engine.faults.drop(kind)
                return
            extra = x
        engine.env.process(self._small(Message(kind, block, self.id), dst, extra))

    def _small(self, msg: Message, dst: int, extra: float) -> Generator[simpy.Event, Any, None]:
        env = self.engine.env
        yield env.timeout(self.latency[dst] + extra)  # arrives
        yield env.timeout(self.engine.processing_s)  # handled
        self.engine.nodes[dst].handle(msg)

    def send_queued(self, kind: str, block: int, dst: int, size_bytes: int) -> None:
        """Queue a block-carrying message on the upload link (first in, first out)."""
        engine = self.engine
        engine.count(kind)
        extra = 0.0
        if engine.faults is not None:
            x = engine.faults.check(kind, block, self.id, dst, engine.setup.tree.miners[block])
            if x is None:
                engine.faults.drop(kind)
                return
            extra = x
        request = self.upload.request()  # joins the queue now, in call order
        engine.env.process(
            self._queued(Message(kind, block, self.id), dst, size_bytes, request, extra)
        )

    def _queued(
        self,
        msg: Message,
        dst: int,
        size_bytes: int,
        request: simpy.resources.resource.Request,
        extra: float,
    ) -> Generator[simpy.Event, Any, None]:
        engine = self.engine
        env = engine.env
        yield request  # our turn on the upload link
        if engine.faults is not None and engine.faults.crashed[self.id]:
            self.upload.release(request)  # crashed while the upload waited
            engine.faults.drop(msg.kind)
            return
        up, down = engine.up[self.id], engine.down[dst]
        yield env.timeout(size_bytes * 8.0 / (up if up < down else down))  # transfer
        self.upload.release(request)
        yield env.timeout(self.latency[dst] + extra)  # arrives
        yield env.timeout(engine.block_handling_s)  # processed and validated
        engine.nodes[dst].handle(msg)

    # --- receiving ------------------------------------------------------------
    def handle(self, msg: Message) -> None:
        """React to a message that has just been processed."""
        engine = self.engine
        kind, b, sender = msg
        if engine.faults is not None and engine.faults.crashed[self.id]:
            engine.faults.drop(kind)
            return
        if engine.log is not None:
            engine.log.append((engine.env.now, kind, self.id, b))
        if kind == "inv":
            if b in self.known:
                self.announcers.setdefault(b, set()).add(sender)
                return
            self.known.add(b)
            self.announcers.setdefault(b, set()).add(sender)
            self.send_small("getdata", b, sender)
        elif kind == "getdata":
            self.send_queued("block", b, sender, engine.block_size_bytes)
        elif kind == "getblocktxn":
            self.send_queued("blocktxn", b, sender, engine.block_size_bytes)
        elif kind == "cmpctblock":
            if b in self.known:
                return
            self.known.add(b)
            if engine.compact_fails(b, self.id):
                self.send_small("getblocktxn", b, sender)
            else:
                self.block_arrived(b, sender)
        else:  # block, blocktxn
            if b in self.have:
                return
            self.known.add(b)
            self.block_arrived(b, sender)

    def block_arrived(self, b: int, sender: int) -> None:
        """The node has the block: accept it, or wait for its parent."""
        self.have.add(b)
        engine = self.engine
        parent = engine.setup.tree.parents[b]
        if engine.accepted[parent][self.id] < math.inf:
            self.accept(b, sender)
        else:
            self.orphans.setdefault(parent, []).append((b, sender))
            if (
                engine.faults is not None
                and sender >= 0
                and parent not in self.have
                and parent not in self.fetching
            ):
                self.fetching.add(parent)  # re-synchronise: fetch the missing parent
                self.known.add(parent)
                self.send_small("getdata", parent, sender)

    def accept(self, b: int, sender: int) -> None:
        """Accept ``b`` (and then any blocks that waited for it), update tip, relay."""
        engine = self.engine
        now = engine.env.now
        stack = [(b, sender)]
        while stack:
            b, sender = stack.pop()
            engine.accepted[b][self.id] = now
            if engine.log is not None:
                engine.log.append((now, "accepted", self.id, b))
            self.choose(b)
            adv = self.adversary
            if adv is None or adv.relays(self, b):
                self.relay(b, sender)
            if adv is not None and sender >= 0:
                adv.on_accepted(self, b, sender)
            waiting = self.orphans.pop(b, None)
            if waiting:
                stack.extend(sorted(waiting, reverse=True))

    def choose(self, b: int) -> None:
        """Apply the fork-choice rule (and the adversary's tie rule) to accepted ``b``."""
        engine = self.engine
        setup = engine.setup
        if engine.view_rule is not None:
            new = engine.view_rule.accept(self.id, b, self.tip)
        else:
            new = setup.fork_choice(setup.tree, self.tip, b)
            if not engine.builtin_rule:
                new = check_tip(setup.fork_choice, new, engine.accepted, self.id, self.tip, b)
        if engine.adversary is not None:
            new = engine.adversary.prefer(self.id, self.tip, b, new)
        if new != self.tip:
            self.tip = new
            engine.tip_changed(self.id, new)

    def keep_private(self, b: int) -> None:
        """The node holds block ``b`` (it mined it) without announcing it or following it."""
        engine = self.engine
        engine.accepted[b][self.id] = engine.env.now
        if engine.log is not None:
            engine.log.append((engine.env.now, "private", self.id, b))

    def publish(self, b: int) -> None:
        """Release private block ``b``: the node follows it if its rule says so and
        announces it to every neighbour."""
        engine = self.engine
        if engine.log is not None:
            engine.log.append((engine.env.now, "published", self.id, b))
        self.choose(b)
        self.relay(b, -1)

    def announce_tip(self, dst: int) -> None:
        """Announce the node's tip to ``dst`` (re-synchronisation after a fault)."""
        if self.tip != 0:
            self.send_small("inv", self.tip, dst)

    def relay(self, b: int, sender: int) -> None:
        """Pass an accepted block on, as the relay protocol says."""
        engine = self.engine
        relay = engine.relay
        if relay == "inv":
            skip = self.announcers.get(b, set())
            for w in self.neighbours:
                if w != sender and w not in skip:
                    self.send_small("inv", b, w)
        elif relay == "push":
            for w in self.neighbours:
                if w != sender:
                    self.send_queued("block", b, w, engine.block_size_bytes)
        else:
            for w in self.neighbours:
                if w != sender:
                    self.send_queued("cmpctblock", b, w, engine.compact_block_bytes)


class SimPyEngine:
    """Runs a :class:`~chainsim.engine.relay.RunSetup` message by message in SimPy.

    Parameters
    ----------
    setup
        The run set-up.
    log
        Keep the ``(time_s, event, node, block)`` log.

    Attributes
    ----------
    env : simpy.Environment
    nodes : list of PeerNode
    """

    def __init__(
        self,
        setup: RunSetup,
        *,
        log: bool = False,
        adversary: Adversary | None = None,
        faults: tuple[NetworkFault, ...] = (),
    ) -> None:
        self.setup = setup
        cfg = setup.config
        self.env = simpy.Environment()
        self.adversary = adversary
        fc: Any = setup.fork_choice
        self.view_rule: Any = fc if hasattr(fc, "accept") and hasattr(fc, "attach") else None
        self.fault_schedule = tuple(faults)
        self.faults: FaultState | None = None
        if self.fault_schedule:
            self.faults = FaultState(
                setup.network.n_nodes,
                setup.streams["faults"],
                frozenset(adversary.nodes if adversary is not None else ())
                | frozenset(
                    v for f in self.fault_schedule if isinstance(f, Eclipse) for v in f.attackers
                ),
                setup.tree.miners,
                setup.tree.parents,
            )
        self._stop = False
        self.n_lost_blocks = 0
        self.relay = cfg.network.relay
        self.processing_s = setup.processing_s
        self.block_handling_s = setup.block_handling_s
        self.block_size_bytes = cfg.mining.block_size_bytes
        self.compact_block_bytes = cfg.network.compact_block_bytes
        self.inv_bytes = cfg.network.inv_bytes
        net = setup.network
        self.up = [float(x) for x in net.upload_bps.tolist()]
        self.down = [float(x) for x in net.download_bps.tolist()]
        self.n = net.n_nodes
        self.accepted: list[list[float]] = [[0.0] * self.n]
        self.nodes = [PeerNode(self, v) for v in range(self.n)]
        self.miner_of_node = [-1] * self.n
        for i, v in enumerate(setup.miner_nodes):
            self.miner_of_node[v] = i
        self.log: list[tuple[float, str, int, int]] | None = [] if log else None
        self._counts = dict.fromkeys(MESSAGE_KINDS, 0)
        self._fails: dict[int, list[bool]] = {}
        self._redraw = self.env.event()
        self.fault_log: list[tuple[float, str, int, int, str]] = []
        self._end_time = math.inf
        self.n_mined = 0
        self.builtin_rule = setup.fork_choice in (most_work, longest)
        if self.view_rule is not None:
            self.view_rule.attach(setup.tree, self.n)
        if adversary is not None:
            adversary.attach(self)

    def request_stop(self) -> None:
        """Stop mining now (an attack that has collected what it needs)."""
        self._stop = True
        if not self._redraw.triggered:
            self._redraw.succeed()

    def _fault_events(self) -> list[tuple[float, int, str, Any]]:
        events: list[tuple[float, int, str, Any]] = []
        for k, f in enumerate(self.fault_schedule):
            if isinstance(f, Crash | Restart | Partition | Heal):
                events.append((f.t_s, k, "start", f))
            elif isinstance(f, Eclipse | Delay | Loss):
                events.append((f.t_s, k, "start", f))
                if f.until_s < math.inf:
                    events.append((f.until_s, k, "end", f))
        events.sort(key=lambda e: (e[0], e[1], e[2] != "end"))
        return events

    def _fault_process(self) -> Generator[simpy.Event, Any, None]:
        """Apply the fault schedule at its times."""
        fs = self.faults
        assert fs is not None
        env = self.env
        for t, _, what, f in self._fault_events():
            if t > env.now:
                yield env.timeout(t - env.now)
            self._apply(fs, what, f)

    def _apply(self, fs: FaultState, what: str, f: NetworkFault) -> None:
        nodes = self.nodes
        adv = self.adversary
        net = self.setup.network

        def note(event: str, node: int, detail: str = "") -> None:
            if adv is not None and adv.engine is self:
                adv.record(event, node, -1, detail)
            self.fault_log.append((float(self.env.now), event, node, -1, detail))

        if isinstance(f, Crash):
            fs.crashed[f.node] = True
            note("crash", f.node)
        elif isinstance(f, Restart):
            if fs.crashed[f.node]:
                fs.crashed[f.node] = False
                node = nodes[f.node]
                node.known = set(node.have)  # requests in flight were lost
                node.fetching.clear()
                note("restart", f.node)
                for w in node.neighbours:
                    node.announce_tip(w)
                    nodes[w].announce_tip(f.node)
        elif isinstance(f, Partition):
            from chainsim.consensus.faults import partition_groups

            fs.group = partition_groups(f, self.n)
            note("partition", -1, repr([list(g) for g in f.groups]))
        elif isinstance(f, Heal):
            old = fs.group
            fs.group = None
            note("heal", -1)
            if old is not None:
                for u in range(self.n):
                    for w in net.adjacency[u]:
                        if old[u] != old[w]:
                            nodes[u].announce_tip(w)
        elif isinstance(f, Eclipse):
            if what == "start":
                fs.eclipses[f.victim] = f
                note("eclipse", f.victim, repr(list(f.attackers)))
            else:
                fs.eclipses.pop(f.victim, None)
                note("eclipse-end", f.victim)
                v = nodes[f.victim]
                for w in v.neighbours:
                    v.announce_tip(w)
                    nodes[w].announce_tip(f.victim)
        elif isinstance(f, Delay):
            if what == "start":
                fs.delays.append(f)
            else:
                fs.delays.remove(f)
            note(f"delay-{what}", -1, f"{f.extra_s:g} s")
        elif isinstance(f, Loss):
            if what == "start":
                fs.losses.append(f)
            else:
                fs.losses.remove(f)
            note(f"loss-{what}", -1, f"rate {f.rate:g}")

    def count(self, kind: str) -> None:
        self._counts[kind] += 1

    def compact_fails(self, b: int, v: int) -> bool:
        fl = self._fails.get(b)
        if fl is None:
            cfg = self.setup.config
            fl = compact_failures(self.setup.streams, b, self.n, cfg.network.compact_failure_rate)
            self._fails[b] = fl
        return fl[v]

    def tip_changed(self, v: int, tip: int) -> None:
        """A node moved to a new tip; a miner may now mine at another difficulty."""
        diff = self.setup.difficulty
        mi = self.miner_of_node[v]
        if (
            diff.retarget
            and mi >= 0
            and self.setup.schedule.set_work(mi, diff.child_work[tip], self.env.now)
            and not self._redraw.triggered
        ):
            self._redraw.succeed()

    def _mining(self) -> Generator[simpy.Event, Any, None]:
        """The mining process: wait for the scheduled block, mine it, draw the next."""
        setup = self.setup
        sched = setup.schedule
        tree = setup.tree
        env = self.env
        sched.start(env.now)
        while True:
            if sched.draw_time + sched.delay > setup.max_time_s:
                sched.stop()
                self._end_time = setup.max_time_s
                return
            version = sched.version
            self._redraw = env.event()
            # created at env.now == sched.draw_time, so it fires at draw_time + delay
            yield env.timeout(sched.delay) | self._redraw
            if self._stop:
                sched.stop()
                self._end_time = env.now
                return
            if sched.version != version:
                continue  # drawn again (a miner's difficulty changed)
            now = env.now
            i = sched.fire(now)
            if i < 0:
                continue  # hash-rate shock, already drawn again
            v = setup.miner_nodes[i]
            if self.faults is not None and self.faults.crashed[v]:
                self.n_lost_blocks += 1  # a crashed miner finds nothing
                sched.draw(now)
                continue
            node = self.nodes[v]
            adv = node.adversary
            p = node.tip if adv is None else adv.mining_parent(node)
            uncles = () if self.view_rule is None else self._uncles(v, p)
            b = len(tree)
            tree.add(b, p, v, now, self.block_size_bytes, setup.difficulty.child_work[p], uncles)
            setup.difficulty.block_added(b)
            self.accepted.append([math.inf] * self.n)
            node.known.add(b)
            node.have.add(b)
            if self.log is not None:
                self.log.append((now, "mined", v, b))
            self.n_mined += 1
            if adv is None:
                node.accept(b, -1)
            else:
                adv.on_mined(node, b)
            if setup.on_block is not None:
                setup.on_block()
            if self._stop:
                sched.stop()
                self._end_time = now
                return
            if self.n_mined >= setup.n_blocks:
                sched.stop()
                self._end_time = now
                return
            sched.draw(now)

    def _uncles(self, v: int, parent: int) -> tuple[int, ...]:
        f = getattr(self.view_rule, "uncles_for", None)
        return () if f is None else tuple(f(v, parent))

    def run(self) -> RunOutput:
        """Run to the end and return the raw output."""
        env = self.env
        env.process(self._mining())
        if self.faults is not None:
            env.process(self._fault_process())
        drain = self.setup.config.run.drain
        n_events = 0
        while True:
            t = env.peek()
            if t == math.inf:
                break
            if not drain and t > self._end_time:
                break
            env.step()
            n_events += 1
        size = {
            "inv": self.inv_bytes,
            "getdata": self.inv_bytes,
            "getblocktxn": self.inv_bytes,
            "block": self.block_size_bytes,
            "blocktxn": self.block_size_bytes,
            "cmpctblock": self.compact_block_bytes,
        }
        messages = {k: [c, c * size[k]] for k, c in self._counts.items() if c}
        return RunOutput(
            accepted=self.accepted,
            tips=[node.tip for node in self.nodes],
            messages=messages,
            n_events=n_events,
            mining_end_s=self._end_time,
            log=self.log,
            extra=self._extra(),
        )

    def _extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.adversary is not None:
            self.adversary.finish()
            extra["adversary"] = self.adversary
        if self.faults is not None:
            extra["dropped"] = dict(self.faults.dropped)
            extra["fault_log"] = list(self.fault_log)
            extra["n_lost_blocks"] = self.n_lost_blocks
        return extra
