"""Run a simulation: a config and a seed go in, result tables come out.

:func:`simulate` is the one call lessons, the command line and experiments use.
:class:`Simulation` is the same run, step by step, for those who want to look inside
(the network, the miners, the block tree, the SimPy environment).

Two engines compute the same model (see :mod:`chainsim.engine`):

``"simpy"``
    message by message in SimPy, easy to read and to extend (attacks, logging);
``"fast"``
    the same events in a lean loop, for thousands of nodes;
``"auto"`` (default)
    ``fast``, unless something only the SimPy engine does is asked for: ``log=True``,
    an attack (``attack=``), a fault schedule (``faults=``) or a fork-choice rule that
    needs each node's own view (GHOST, ``consensus.fork_choice="ghost"``).

Attacks and faults (:mod:`chainsim.attacks`) are keyword arguments::

    simulate(config, seed, attack=SelfishMining(node=3), faults=[("crash", 60.0, 7)])

and add ``results.meta["attack"]`` (the attack's summary), ``results.meta["faults"]``
(dropped messages by kind, crashed miners' lost blocks, the fault log) and the table
``results.extras["attack_events"]`` (``time_s, event, node, block, detail``: the
attack's and the fault schedule's log, also :attr:`Simulation.attack_events`). Every
run adds ``results.meta["forks"]`` (stale blocks, fork points); GHOST runs add
``results.extras["uncles"]`` (``block_id, uncle_id``) and ``results.extras["rewards"]``
(:meth:`Simulation.rewards`). The ``messages`` table counts messages *sent*, those a
fault dropped included; ``meta["faults"]["dropped"]`` counts the dropped ones by kind.

On the same seed both give identical tables (ties between events at exactly the
same float time aside; with random latency jitter they do not happen).

Examples
--------
>>> from chainsim.config import SimConfig
>>> cfg = SimConfig().override({"network.n_nodes": 30, "mining.n_miners": 5,
...                             "mining.block_interval_s": 60, "run.n_blocks": 20})
>>> res = simulate(cfg, seed=1)
>>> len(res.blocks), res.meta["seed"], res.meta["engine"]
(21, 1, 'fast')
>>> simulate(cfg, seed=1, engine="simpy").receipts.equals(res.receipts)
True
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from chainsim.blocktree import (
    BlockTree,
    ForkChoice,
    Ghost,
    block_rewards,
    final_tip,
    get_fork_choice,
)
from chainsim.config import ENGINES, REGIONS, SimConfig
from chainsim.engine.adversary import Adversary, NetworkFault
from chainsim.engine.fast import run_fast
from chainsim.engine.mining import (
    INITIAL_BITS,
    Difficulty,
    MiningSchedule,
    Schedule,
    place_miners,
)
from chainsim.engine.relay import RunOutput, RunSetup
from chainsim.engine.simpy_engine import SimPyEngine
from chainsim.errors import ConfigError
from chainsim.network import Network, build_network
from chainsim.results import TABLES, Results
from chainsim.rng import RandomStreams, SeedLike

__all__ = ["Simulation", "simulate"]


def _version() -> str:
    import chainsim

    return str(chainsim.__version__)


class Simulation:
    """One run of the model, set up and ready to :meth:`run`.

    Parameters
    ----------
    config
        The run's configuration.
    seed
        Non-negative int, :class:`numpy.random.SeedSequence` or None (fresh entropy,
        stored in ``results.meta["seed"]``).
    graph
        A networkx graph for ``network.topology == "custom"``.
    fork_choice
        A fork-choice function ``(tree, current_tip, candidate) -> tip``; default: the
        rule named by ``config.consensus.fork_choice``.
    engine
        ``"auto"``, ``"simpy"`` or ``"fast"``; default ``config.run.engine``.
    log
        Keep an event log (SimPy engine only): :attr:`log` becomes a list of
        ``(time_s, event, node, block)`` tuples.
    progress
        Show a progress bar over mined blocks (``TQDM_DISABLE=1`` hides it).
    miner_nodes
        Node id of each miner instead of a random placement (``n_miners`` of them).
    schedule
        A mining schedule to use instead of the random one, e.g. a
        :class:`~chainsim.engine.mining.ScriptedSchedule` with fixed block times.
    network
        An already built :class:`~chainsim.network.Network` to use.
    attack
        An attacker (:mod:`chainsim.attacks`, e.g.
        :class:`~chainsim.attacks.selfish.SelfishMining`) or an
        :class:`~chainsim.attacks.config.AttackConfig` (whose faults are added to
        ``faults``); SimPy engine only.
    faults
        A fault schedule: records or tuples as read by
        :func:`chainsim.attacks.faults.parse_schedule`; SimPy engine only.

    Attributes
    ----------
    network : Network
    miner_nodes : list of int
    tree : BlockTree
        Filled by :meth:`run`.
    tips : list of int
        Each node's tip after :meth:`run`.
    env : simpy.Environment or None
        The SimPy environment (SimPy engine, after :meth:`run`).
    nodes : list of chainsim.engine.simpy_engine.PeerNode
        The SimPy engine's nodes after :meth:`run` (empty for the fast engine).
    log : list of tuple or None
    attack_events : pandas.DataFrame
        After :meth:`run`: ``time_s, event, node, block, detail`` rows logged by the
        attack and the fault schedule (empty without them).

    Examples
    --------
    >>> from chainsim.config import SimConfig
    >>> cfg = SimConfig().override({"network.n_nodes": 10, "mining.n_miners": 2,
    ...                             "run.n_blocks": 3})
    >>> sim = Simulation(cfg, seed=4, log=True)
    >>> res = sim.run()
    >>> sim.engine, [e[1] for e in sim.log[:2]]
    ('simpy', ['mined', 'accepted'])
    """

    def __init__(
        self,
        config: SimConfig,
        seed: SeedLike = None,
        *,
        graph: nx.Graph | None = None,
        fork_choice: ForkChoice | None = None,
        engine: str | None = None,
        log: bool = False,
        progress: bool = False,
        miner_nodes: list[int] | None = None,
        schedule: Schedule | None = None,
        network: Network | None = None,
        attack: Any = None,
        faults: Any = None,
    ) -> None:
        if not isinstance(config, SimConfig):
            raise ConfigError(f"config must be a SimConfig, got {type(config).__name__}")
        if config.consensus.protocol not in ("nakamoto", "ghost"):
            raise ConfigError(
                f"consensus.protocol must be 'nakamoto' or 'ghost' for this engine, got "
                f"{config.consensus.protocol!r}"
            )
        engine = config.run.engine if engine is None else engine
        if engine not in ENGINES:
            raise ConfigError(
                f"engine must be one of {', '.join(repr(e) for e in ENGINES)}, got {engine!r}"
            )
        if fork_choice is None:
            name = config.consensus.fork_choice
            if config.consensus.protocol == "ghost":
                name = "ghost"
            fork_choice = get_fork_choice(name)
        elif not callable(fork_choice):
            raise ConfigError(
                f"fork_choice must be a function (tree, current_tip, candidate) -> tip, "
                f"got {fork_choice!r}"
            )
        extra_faults: tuple[NetworkFault, ...] = ()
        if attack is not None and not isinstance(attack, Adversary):
            from chainsim.attacks.config import AttackConfig

            if isinstance(attack, AttackConfig):
                attack, extra_faults = attack.build(config.network.n_nodes)
        if attack is not None and not isinstance(attack, Adversary):
            raise ConfigError(
                f"attack must be an attack from chainsim.attacks (an Adversary), got {attack!r}"
            )
        fault_records: tuple[NetworkFault, ...] = ()
        if faults is not None:
            from chainsim.attacks.faults import parse_schedule

            fault_records = parse_schedule(faults, config.network.n_nodes)
        fault_records = extra_faults + fault_records
        view_rule = hasattr(fork_choice, "accept") and hasattr(fork_choice, "attach")
        needs_simpy = [
            what
            for what, flag in (
                ("log=True", log),
                ("an attack", attack is not None),
                ("a fault schedule", bool(fault_records)),
                (f"fork choice {getattr(fork_choice, '__name__', 'rule')!r}", view_rule),
            )
            if flag
        ]
        if engine == "auto":
            engine = "simpy" if needs_simpy else "fast"
        if needs_simpy and engine != "simpy":
            raise ConfigError(
                f"{needs_simpy[0]} needs engine='simpy' (or 'auto'), got engine={engine!r}"
            )
        if attack is not None:
            for v in attack.nodes:
                if not 0 <= v < config.network.n_nodes:
                    raise ConfigError(
                        f"attack nodes must be in 0..{config.network.n_nodes - 1}, got {v}"
                    )
        self.attack = attack
        self.faults = fault_records
        self.config = config
        self.engine = engine
        self.fork_choice = fork_choice
        self.streams = RandomStreams(seed)
        self.seed = self.streams.entropy
        self.progress = progress
        self.network = (
            network if network is not None else build_network(config.network, self.streams, graph)
        )
        n = self.network.n_nodes
        if n != config.network.n_nodes:
            raise ConfigError(
                f"network has {n} nodes but network.n_nodes is {config.network.n_nodes}"
            )
        m = config.mining.n_miners
        if miner_nodes is None:
            miner_nodes = place_miners(n, m, self.streams["placement"])
        else:
            miner_nodes = [int(v) for v in miner_nodes]
            if (
                len(miner_nodes) != m
                or len(set(miner_nodes)) != m
                or not all(0 <= v < n for v in miner_nodes)
            ):
                raise ConfigError(
                    f"miner_nodes must be {m} distinct node ids in 0..{n - 1} "
                    f"(mining.n_miners), got {miner_nodes}"
                )
        self.miner_nodes: list[int] = miner_nodes
        self.shares = list(config.mining.shares)
        self.tree = BlockTree()
        self.difficulty = Difficulty(
            self.tree,
            retarget=config.mining.retarget,
            period=config.mining.retarget_period_blocks,
            block_interval_s=config.mining.block_interval_s,
        )
        if schedule is None:
            schedule = MiningSchedule(
                self.shares,
                config.mining.block_interval_s,
                config.mining.hashrate_shocks,
                self.streams["mining"],
            )
        self.schedule = schedule
        self._log = bool(log)
        self.log: list[tuple[float, str, int, int]] | None = None
        self.tips: list[int] = [0] * n
        self.env: Any = None
        self.nodes: list[Any] = []
        self.attack_events = pd.DataFrame(
            {"time_s": [], "event": [], "node": [], "block": [], "detail": []}
        )
        self._ran = False

    def run(self) -> Results:
        """Run the simulation (once) and return its :class:`~chainsim.results.Results`."""
        if self._ran:
            raise ConfigError("a Simulation runs once; make a new one to run again")
        self._ran = True
        bar = None
        on_block = None
        if self.progress:
            from tqdm.auto import tqdm

            disable = os.environ.get("TQDM_DISABLE", "").strip().lower() in ("1", "true", "yes")
            bar = tqdm(total=self.config.run.n_blocks, unit="block", desc="mining", disable=disable)
            on_block = bar.update
        setup = RunSetup(
            config=self.config,
            streams=self.streams,
            network=self.network,
            miner_nodes=self.miner_nodes,
            shares=self.shares,
            tree=self.tree,
            difficulty=self.difficulty,
            schedule=self.schedule,
            fork_choice=self.fork_choice,
            on_block=on_block,
        )
        t0 = time.perf_counter()
        try:
            if self.engine == "simpy":
                sim = SimPyEngine(setup, log=self._log, adversary=self.attack, faults=self.faults)
                self.env = sim.env
                self.nodes = sim.nodes
                out = sim.run()
            else:
                out = run_fast(setup)
        finally:
            if bar is not None:
                bar.close()
        wall = time.perf_counter() - t0
        self.tips = out.tips
        self.log = out.log
        rows = list(out.extra.get("fault_log", []))
        if self.attack is not None:
            rows += [r for r in self.attack.events if r not in rows]
        rows.sort(key=lambda r: r[0])
        if rows:
            self.attack_events = pd.DataFrame(
                rows, columns=["time_s", "event", "node", "block", "detail"]
            )
        return self._results(out, wall)

    def rewards(self, block_reward: float = 1.0) -> pd.DataFrame:
        """Block and uncle rewards after :meth:`run` (see
        :func:`chainsim.blocktree.block_rewards`): one row per block with ``block_id,
        miner, status, reward``; uncles earn only when the rule references them
        (:class:`~chainsim.blocktree.Ghost`).

        >>> from chainsim.config import SimConfig
        >>> cfg = SimConfig().override({"network.n_nodes": 8, "mining.n_miners": 3,
        ...     "mining.block_interval_s": 2.0, "run.n_blocks": 30,
        ...     "consensus.fork_choice": "ghost"})
        >>> sim = Simulation(cfg, seed=2); res = sim.run()
        >>> r = sim.rewards()
        >>> set(r["status"]) <= {"main", "stale", "uncle"}, len(r)
        (True, 30)
        >>> uncles = r[r["status"] == "uncle"]
        >>> len(uncles) == 0 or bool(uncles["reward"].between(0.25, 0.875).all())
        True
        """
        if not self._ran:
            raise ConfigError("run the Simulation before asking for rewards")
        tip = final_tip(self.tree, self.fork_choice)
        depth = getattr(self.fork_choice, "max_uncle_depth", 6)
        rows = block_rewards(self.tree, tip, block_reward=block_reward, max_uncle_depth=depth)
        return pd.DataFrame(rows, columns=["block_id", "miner", "status", "reward"])

    def _results(self, out: RunOutput, wall_time_s: float) -> Results:
        tree = self.tree
        n = self.network.n_nodes
        n_blocks = len(tree)
        tip = final_tip(tree, self.fork_choice)
        blocks = blocks_table(tree, tip)
        main = blocks["main_chain"].to_numpy()
        miners = blocks["miner"].to_numpy()
        receipts, last = receipts_table(out.accepted, blocks["t_mined_s"].to_numpy())
        # the run ends when mining stops or, when draining, when the last block arrives
        sim_time = out.mining_end_s
        if self.config.run.drain or not math.isfinite(sim_time):
            sim_time = max(last, sim_time) if math.isfinite(sim_time) else last
        share = np.zeros(n)
        share[self.miner_nodes] = self.shares
        mined_by = miners[1:]
        nodes = pd.DataFrame(
            {
                "node": np.arange(n, dtype=np.int64),
                "region": np.asarray(REGIONS, dtype=object)[np.asarray(self.network.region)],
                "hash_share": share,
                "n_blocks_mined": np.bincount(mined_by, minlength=n).astype(np.int64),
                "n_main_chain": np.bincount(mined_by[main[1:]], minlength=n).astype(np.int64),
            },
            columns=list(TABLES["nodes"]),
        )
        messages = pd.DataFrame(
            {
                "kind": np.array(list(out.messages), dtype=object),
                "n_messages": np.array([c for c, _ in out.messages.values()], dtype=np.int64),
                "n_bytes": np.array([b for _, b in out.messages.values()], dtype=np.int64),
            },
            columns=list(TABLES["messages"]),
        )
        meta: dict[str, Any] = {
            "seed": self.seed,
            "config": self.config.to_dict(),
            "engine": self.engine,
            "chainsim_version": _version(),
            "sim_time_s": float(sim_time),
            "wall_time_s": wall_time_s,
            "n_events": int(out.n_events),
            "n_nodes": n,
            "n_blocks": n_blocks - 1,
            "miner_nodes": list(self.miner_nodes),
            "fork_choice": getattr(self.fork_choice, "__name__", repr(self.fork_choice)),
            "initial_bits": INITIAL_BITS,
            "final_tip": tip,
        }
        n_children = np.bincount(np.asarray(tree.parents[1:], dtype=np.int64), minlength=n_blocks)
        meta["forks"] = {
            "n_stale": int(n_blocks - main.sum()),
            "n_fork_points": int((n_children > 1).sum()),
            "max_children": int(n_children.max()) if n_blocks > 1 else 0,
        }
        extras: dict[str, pd.DataFrame] = {}
        if isinstance(self.fork_choice, Ghost):
            pairs = [(b, u) for b in range(n_blocks) for u in tree.uncles[b]]
            extras["uncles"] = pd.DataFrame(
                np.array(pairs, dtype=np.int64).reshape(-1, 2), columns=["block_id", "uncle_id"]
            )
            meta["n_uncles"] = len(pairs)
            extras["rewards"] = self.rewards()
        adversary = out.extra.get("adversary")
        if adversary is not None:
            meta["attack"] = adversary.summary()
        if adversary is not None or "fault_log" in out.extra:
            extras["attack_events"] = self.attack_events
            meta["n_attack_events"] = len(self.attack_events)
        if "dropped" in out.extra:
            meta["faults"] = {
                "dropped": out.extra["dropped"],
                "n_lost_blocks": out.extra["n_lost_blocks"],
                "events": [list(r) for r in out.extra["fault_log"]],
            }
        return Results(
            blocks=blocks,
            receipts=receipts,
            nodes=nodes,
            messages=messages,
            meta=meta,
            extras=extras,
        )


def blocks_table(tree: BlockTree, tip: int) -> pd.DataFrame:
    """The ``blocks`` table of a block tree, with the chain ending at ``tip`` as main chain."""
    n_blocks = len(tree)
    main = np.zeros(n_blocks, dtype=bool)
    main[tree.main_chain(tip)] = True
    return pd.DataFrame(
        {
            "block_id": np.arange(n_blocks, dtype=np.int64),
            "parent_id": np.asarray(tree.parents, dtype=np.int64),
            "height": np.asarray(tree.heights, dtype=np.int64),
            "miner": np.asarray(tree.miners, dtype=np.int64),
            "t_mined_s": np.asarray(tree.t_mined_s, dtype=float),
            "size_bytes": np.asarray(tree.size_bytes, dtype=np.int64),
            "work": np.asarray(tree.works, dtype=float),
            "main_chain": main,
        },
        columns=list(TABLES["blocks"]),
    )


def receipts_table(accepted: Any, t_mined_s: np.ndarray) -> tuple[pd.DataFrame, float]:
    """The ``receipts`` table from acceptance times, and the last acceptance time.

    ``accepted[b][v]`` is when node ``v`` accepted block ``b`` (``inf``: never); row 0
    (genesis) is left out.
    """
    if len(accepted) > 1:
        acc = np.array(accepted[1:], dtype=float)
        bi, vi = np.nonzero(acc < math.inf)
        t_recv = acc[bi, vi]
        bi = bi + 1
        last = float(t_recv.max()) if len(t_recv) else 0.0
    else:
        bi = vi = np.zeros(0, dtype=np.int64)
        t_recv = np.zeros(0)
        last = 0.0
    receipts = pd.DataFrame(
        {
            "block_id": bi.astype(np.int64),
            "node": vi.astype(np.int64),
            "t_received_s": t_recv,
            "delay_s": t_recv - t_mined_s[bi],
        },
        columns=list(TABLES["receipts"]),
    )
    return receipts, last


def simulate(
    config: SimConfig,
    seed: SeedLike = None,
    *,
    graph: nx.Graph | None = None,
    fork_choice: ForkChoice | None = None,
    engine: str | None = None,
    progress: bool = False,
    attack: Any = None,
    faults: Any = None,
) -> Results:
    """Simulate ``config`` and return the result tables.

    Parameters
    ----------
    config
        What to simulate (network, mining, consensus, run length).
    seed
        Non-negative int, :class:`numpy.random.SeedSequence` or None; the seed used is
        ``results.meta["seed"]``. Same config and seed give identical tables.
    graph
        A networkx graph when ``config.network.topology == "custom"``.
    fork_choice
        ``fork_choice(tree, current_tip, candidate) -> tip``, e.g. a student's rule;
        default :func:`chainsim.blocktree.most_work` (or the rule the config names).
    engine
        ``"auto"`` (default from ``config.run.engine``), ``"simpy"`` or ``"fast"``.
    progress
        Show a progress bar over mined blocks.
    attack
        An attacker from :mod:`chainsim.attacks` or an
        :class:`~chainsim.attacks.config.AttackConfig` (SimPy engine).
    faults
        A fault schedule (see :func:`chainsim.attacks.faults.parse_schedule`).

    Returns
    -------
    Results
        Tables ``blocks``, ``receipts``, ``nodes``, ``messages`` and ``meta``
        (see :mod:`chainsim.results`).

    Raises
    ------
    ConfigError
        For an invalid config, engine, graph or fork-choice argument.

    Examples
    --------
    >>> from chainsim.config import SimConfig
    >>> cfg = SimConfig().override({"network.n_nodes": 20, "run.n_blocks": 5})
    >>> res = simulate(cfg, seed=7)
    >>> int(res.nodes["n_blocks_mined"].sum()), bool((res.receipts["delay_s"] >= 0).all())
    (5, True)
    """
    if isinstance(config, SimConfig) and config.consensus.protocol in ("pos", "pbft", "raft"):
        if fork_choice is not None or attack is not None or faults is not None:
            raise ConfigError(
                f"fork_choice, attack and faults apply to proof-of-work protocols, not to "
                f"consensus.protocol {config.consensus.protocol!r}"
            )
        from chainsim.protocols import run_protocol

        return run_protocol(config, seed, graph=graph)
    return Simulation(
        config,
        seed,
        graph=graph,
        fork_choice=fork_choice,
        engine=engine,
        progress=progress,
        attack=attack,
        faults=faults,
    ).run()
