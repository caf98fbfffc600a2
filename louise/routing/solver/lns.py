"""Ruin and recreate on the construction's routes: serve more, then travel less.

A large neighbourhood search in the style of SISR (Christiaens & Vanden Berghe, 2020) on the
Builder's exact feasibility (breaks at stops, several windows, capacities, skills, limits):

- **ruin**: around a seed — a served unit, or (half the time) a unit left out, to make room
  for it — remove either the 3–15 served units whose stops are nearest to the seed's, or
  runs of consecutive stops on 1–3 routes near it (``STRINGS`` of the ruins);
- **recreate**: the left-out units nearest to the seed first (most often left out first),
  then the removed units in one of four orders (random, tightest window, most often left
  out, farthest from the depot), each at its cheapest feasible position over the routes near
  it (positions priced with numpy, simulated cheapest first, cached per route until it
  changes); a few are skipped ("blinks");
- **accept** a plan that serves more units (by priority weight), or as many at a cost below
  the current one plus a simulated-annealing threshold that cools to zero by the deadline
  (or by the iteration limit, so runs with one repeat exactly).

It stops early when every unit is served and the best plan has not improved for
``max(STALL, STALL_PER_UNIT × units)`` iterations.

The best plan (served weight first, then cost) is kept. Everything is the model's integer
data, with breaks taken at a stop, so every plan kept is feasible as it stands.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from louise.routing.solver.construction import Builder, RouteState

MIN_RUIN = 3
MAX_RUIN = 15
NEAR_OUT = 6  # left-out units tried again after each ruin, nearest to the seed
NEAR_UNITS = 25  # an insertion looks at the routes of the unit's nearest served units
STRINGS = 0.5  # share of ruins that remove runs of consecutive stops, not nearest units
CHECKS_PER_ROUTE = 6  # cheapest positions of a route simulated before giving up on it
STALL = 300  # with nothing left out, stop after this many iterations without a better plan
STALL_PER_UNIT = 5  # ... or this many per unit, if more
CACHE_SIZE = 400_000  # (route, unit) insertions remembered; routes untouched keep theirs


@dataclass
class LnsResult:
    routes: list[RouteState]
    placed: set[int]
    iterations: int
    accepted: int
    improved: int
    stopped: str  # "deadline", "iterations" (the limit) or "stall" (all served, no progress)


def _copy(r: RouteState) -> RouteState:
    """A copy the Builder may change (it replaces arrays, it does not write into them)."""
    c = RouteState(r.vi, list(r.tasks), list(r.cumul), list(r.taken), r.latest, dict(r.force))
    c.breaks, c.load, c.travel, c.metres = list(r.breaks), r.load, r.travel, r.metres
    c.arr, c.starts, c.base, c.pre, c.suf = r.arr, r.starts, r.base, r.pre, r.suf
    return c


class Lns:
    """Ruin and recreate over the model's units (see the module's docstring)."""

    def __init__(self, builder: Builder, seed: int) -> None:
        self.b = builder
        self.m = builder.model
        self.rng = random.Random(seed)
        m = self.m
        self.weight = [1 + u.priority for u in m.units]
        n_units = len(m.units)
        # unit-to-unit nearness: the closest pair of their stops (travel there and back)
        nodes = [np.asarray(ns, dtype=np.int64) for ns in m.unit_nodes]
        flat = np.concatenate(nodes) if n_units else np.zeros(0, np.int64)
        owner = np.concatenate([np.full(len(ns), ui, np.int64) for ui, ns in enumerate(nodes)])
        sub = builder.near[np.ix_(flat, flat)]
        both = sub + sub.T
        far = np.iinfo(np.int64).max
        dist = np.full((n_units, n_units), far, dtype=np.int64)
        at = 0
        for ui, ns in enumerate(nodes):
            rows = both[at : at + len(ns)].min(axis=0)
            at += len(ns)
            np.minimum.at(dist[ui], owner, rows)
            dist[ui, ui] = -1
        self.order = np.argsort(dist, axis=1, kind="stable")  # nearest units first
        self.width = [
            min(
                (int(builder.last_end[n]) - int(builder.first_start[n]) for n in ns),
                default=0,
            )
            for ns in m.unit_nodes
        ]
        self.absent = [0] * n_units
        # (vehicle, its stops, unit) -> cheapest feasible insertion; routes not touched by a
        # ruin keep their answers
        self.cache: dict[tuple[Any, ...], list[list[Any]]] = {}

    def positions(self, r: RouteState, ui: int) -> list[list[Any]]:
        """The cheapest positions of unit ``ui`` in route ``r``: [cost, p, q, checked].

        ``checked``: None (not simulated yet), False (does not fit) or the new stop list.
        Cached per (vehicle, stops, unit): a route untouched by a ruin keeps its answers.
        """
        key = (r.vi, tuple(r.tasks), ui)
        hit = self.cache.get(key)
        if hit is None:
            nodes = self.m.unit_nodes[ui]
            hit = [[c, p, q, None] for c, p, q in self.b.candidates(r, nodes, CHECKS_PER_ROUTE)]
            if len(self.cache) > CACHE_SIZE:
                self.cache.clear()
            self.cache[key] = hit
        return hit

    def insert(self, state: list[RouteState], ui: int, where: dict[int, int]) -> RouteState | None:
        """Insert unit ``ui`` at its cheapest feasible position on the routes near it.

        Near: the routes serving one of its ``NEAR_UNITS`` nearest units, and one unused
        vehicle of each kind it may use. Positions are simulated cheapest first over all
        those routes; the first that fits is taken.
        """
        seen_empty: set[Any] = set()
        allowed = self.m.units[ui].allowed
        if len(allowed) > 2:
            near = {where[u] for u in self.order[ui][: NEAR_UNITS + 1].tolist() if u in where}
            allowed = [vi for vi in allowed if vi in near or not state[vi].tasks]
        cands: list[tuple[int, int, list[Any]]] = []
        for vi in allowed:
            r = state[vi]
            if not r.tasks:
                sig = self.b.signature[vi]
                if sig in seen_empty:
                    continue
                seen_empty.add(sig)
            cands.extend((c[0], vi, c) for c in self.positions(r, ui) if c[3] is not False)
        cands.sort(key=lambda x: (x[0], x[1]))
        nodes = self.m.unit_nodes[ui]
        for _, vi, c in cands:
            r = state[vi]
            if c[3] is None:
                c[3] = self.b.fits(r, nodes, c[1], c[2]) or False
            if c[3] is False:
                continue
            old = r.tasks
            r.tasks = list(c[3])
            if self.b.refresh(r):
                return r
            r.tasks = old
            self.b.refresh(r)
        return None

    def string(self, r: RouteState, ui: int, k: int, removed: list[int]) -> list[int]:
        """Units of a run of consecutive stops of ``r`` around unit ``ui``'s first stop."""
        m, rng = self.m, self.rng
        tasks = r.tasks
        at = tasks.index(m.unit_nodes[ui][0]) if m.unit_nodes[ui][0] in tasks else 0
        length = rng.randint(1, max(1, min(len(tasks), 2 * k // 3)))
        lo = max(0, min(at - rng.randint(0, length - 1), len(tasks) - length))
        out: list[int] = []
        for n in tasks[lo : lo + length]:
            u = m.nodes[n].unit
            if u is not None and u not in removed and u not in out:
                out.append(u)
        return out

    def cost(self, r: RouteState) -> int:
        if not r.tasks:
            return 0
        s = np.asarray(self.b.seq(r), dtype=np.int64)
        return int(self.b.cls[r.vi].cost[s[:-1], s[1:]].sum()) + self.b.fixed[r.vi]

    def run(
        self,
        routes: list[RouteState],
        deadline: float,
        iteration_limit: int | None = None,
        on_best: Callable[[int, int], None] | None = None,
    ) -> LnsResult:
        """Search from ``routes`` until ``deadline`` (or ``iteration_limit`` iterations).

        ``on_best(weight_left_out, cost)`` is called with every new best plan.
        """
        b, m, rng = self.b, self.m, self.rng
        n_units = len(m.units)
        cur = [_copy(r) for r in routes]
        where: dict[int, int] = {}  # unit -> vehicle
        for r in cur:
            for n in r.tasks:
                u = m.nodes[n].unit
                if u is not None:
                    where[u] = r.vi
        costs = [self.cost(r) for r in cur]
        cur_out = sum(self.weight[ui] for ui in range(n_units) if ui not in where)
        cur_cost = sum(costs)
        best = ([_copy(r) for r in cur], dict(where), cur_out, cur_cost)
        t_start = time.monotonic()
        span = max(1e-3, deadline - t_start)
        # temperature on cost: from about 1 % of a route's cost down to 0
        used = [c for c in costs if c]
        t0 = 0.01 * (sum(used) / len(used)) if used else 1.0
        it = accepted = improved = last_best = 0
        stopped = "deadline"
        stall = max(STALL, STALL_PER_UNIT * n_units)
        while True:
            if iteration_limit is not None and it >= iteration_limit:
                stopped = "iterations"
                break
            now = time.monotonic()
            if now >= deadline:
                stopped = "deadline"
                break
            if best[2] == 0 and it - last_best >= stall and iteration_limit is None:
                stopped = "stall"
                break  # everything served and the cost has not moved for a while: done
            it += 1
            # cooling by count with an iteration limit (runs repeat exactly), else by the clock
            frac = it / iteration_limit if iteration_limit else (now - t_start) / span
            temp = t0 * (1.0 - frac)
            out_units = [ui for ui in range(n_units) if ui not in where]
            if out_units and rng.random() < 0.5:
                seed_u = rng.choice(out_units)
            elif where:
                seed_u = rng.choice(list(where))
            else:
                break
            k = rng.randint(MIN_RUIN, MAX_RUIN)
            removed: list[int] = []
            near_out: list[int] = []
            strings = rng.random() < STRINGS
            routes_hit: set[int] = set()
            max_routes = rng.randint(1, 3)
            for ui in self.order[seed_u].tolist():
                if ui == seed_u:
                    continue
                if ui in where:
                    if len(removed) >= k or ui in removed:
                        pass
                    elif not strings:
                        removed.append(ui)
                    elif where[ui] not in routes_hit and len(routes_hit) < max_routes:
                        vi = where[ui]
                        routes_hit.add(vi)
                        removed.extend(self.string(cur[vi], ui, k, removed))
                elif len(near_out) < NEAR_OUT:
                    near_out.append(ui)
                if len(near_out) >= NEAR_OUT and (
                    len(removed) >= k or (strings and len(routes_hit) >= max_routes)
                ):
                    break
            if seed_u in where:
                if seed_u not in removed:
                    removed.append(seed_u)
            else:
                near_out.insert(0, seed_u)
            touched = {where[ui] for ui in removed}
            gone = {n for ui in removed for n in m.unit_nodes[ui]}
            state = [_copy(r) for r in cur]
            ok = True
            for vi in touched:
                r = state[vi]
                r.tasks = [n for n in r.tasks if n not in gone]
                r.force = {}
                if not b.refresh(r):
                    ok = False
                    break
            if not ok:
                continue
            todo = removed
            how = rng.random()
            if how < 0.3:
                rng.shuffle(todo)
            elif how < 0.5:
                todo.sort(key=lambda ui: self.width[ui])
            elif how < 0.7:
                todo.sort(key=lambda ui: -self.absent[ui])
            else:
                todo.sort(key=lambda ui: -int(b.near[m.starts[0], m.unit_nodes[ui][0]]))
            # the left-out units first (most often left out first): the room is made for them
            outs = sorted(near_out, key=lambda ui: -self.absent[ui])
            todo = outs + todo
            new_where = dict(where)
            for ui in removed:
                del new_where[ui]
            changed = set(touched)
            for ui in todo:
                if rng.random() < 0.02:
                    continue  # a blink: leave it for a later iteration
                into = self.insert(state, ui, new_where)
                if into is not None:
                    new_where[ui] = into.vi
                    changed.add(into.vi)
            new_out = sum(self.weight[ui] for ui in range(n_units) if ui not in new_where)
            new_costs = {vi: self.cost(state[vi]) for vi in changed}
            new_cost = cur_cost + sum(new_costs[vi] - costs[vi] for vi in changed)
            for ui in todo:
                if ui not in new_where:
                    self.absent[ui] += 1
            take = new_out < cur_out or (
                new_out == cur_out
                and (
                    new_cost <= cur_cost
                    or (temp > 0 and rng.random() < math.exp((cur_cost - new_cost) / temp))
                )
            )
            if not take:
                continue
            accepted += 1
            cur = state
            for vi, c in new_costs.items():
                costs[vi] = c
            where, cur_out, cur_cost = new_where, new_out, new_cost
            if (cur_out, cur_cost) < (best[2], best[3]):
                improved += 1
                last_best = it
                best = ([_copy(r) for r in cur], dict(where), cur_out, cur_cost)
                if on_best is not None:
                    on_best(cur_out, cur_cost)
        return LnsResult(best[0], set(best[1]), it, accepted, improved, stopped)


def lns_stats(result: LnsResult) -> dict[str, Any]:
    return {
        "iterations": result.iterations,
        "accepted": result.accepted,
        "improved": result.improved,
        "stopped": result.stopped,
    }
