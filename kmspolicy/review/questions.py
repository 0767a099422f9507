"""The questions the access graph answers: who can do what with a key, and by which path.

`access` lists, per key and action, every principal that can perform it directly or transitively
(through roles it can assume or pass to a service, and escalations), with the shortest path, the
conditions collected on the way, and whether the principal is outside the zone of trust. `paths` lists
the shortest and every simple path from one principal to one key action, each step explained by the
evaluator's decision.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Sequence

from pydantic import Field

from kmspolicy.model import Account, ContextValue, Document, Frozen, StatementRef
from kmspolicy.review.graph import AccessGraph, applicable, build_graph

_FINAL = ("access", "escalate")
# edges onto a role whose access the source then holds: assuming it, or passing it to a service that
# runs the source's code as it (`via` the service principal)
_BECOME = ("assume", "pass")
_MAX_PATHS = 50


class Step(Frozen):
    """One edge of a path: `kind` is access, assume, pass or escalate; `reason` and `refs` are the
    decision's. For `pass`, `via` is the service principal the role is passed to and `method` the actions
    that make the service run as it.

    `caller` is set when the step holds only for one of the principals its source stands for, which the
    decision names one by one: a session of the role with that name (its session ARN), or the account's
    root user (`kmspolicy.review.graph._Builder._callers`)."""

    source: str
    target: str
    kind: str
    action: str
    reason: str
    refs: tuple[StatementRef, ...] = ()
    conditions: dict[str, ContextValue] = Field(default_factory=dict)
    method: str | None = None
    via: str | None = None
    caller: str | None = None


class Reach(Frozen):
    principal: str
    path: tuple[Step, ...]
    conditions: dict[str, ContextValue] = Field(default_factory=dict)
    external: bool = False


class KeyAccess(Frozen):
    """Who can perform `action` on `key`; `applicable` is False where KMS refuses the action on a key of
    this usage whatever the policies say (`kms:Sign` on a symmetric encryption key): nobody can."""

    key: str
    action: str
    principals: tuple[Reach, ...]
    applicable: bool = True


def _graph(source: AccessGraph | Account | Document) -> AccessGraph:
    return source if isinstance(source, AccessGraph) else build_graph(source)


def _step(source: str, target: str, data: dict[str, object]) -> Step:
    return Step.trusted(
        source=source,
        target=target,
        kind=str(data["kind"]),
        action=str(data.get("action", "")),
        reason=str(data.get("reason", "")),
        refs=tuple(data.get("refs", ())),  # type: ignore[arg-type]
        conditions=dict(data.get("conditions", {})),  # type: ignore[call-overload]
        method=data.get("method"),  # type: ignore[arg-type]
        via=data.get("via"),  # type: ignore[arg-type]
        caller=data.get("caller"),  # type: ignore[arg-type]
    )


def _reach(ag: AccessGraph, node: str, path: Sequence[Step]) -> Reach:
    conditions: dict[str, ContextValue] = {}
    for step in path:
        conditions.update(step.conditions)
    return Reach.trusted(
        principal=node,
        path=tuple(path),
        conditions=conditions,
        external=bool(ag.graph.nodes[node]["external"]),
    )


def _finals(ag: AccessGraph, key: str, action: str) -> dict[str, list[Step]]:
    """Principal -> its last steps onto `key` for `action`, the best first (direct access before
    escalation, its own caller before named ones), one per caller."""
    found: dict[tuple[str, str | None], Step] = {}
    for source, _, data in ag.graph.in_edges(key, data=True):
        if data["kind"] in _FINAL and data["action"] == action:
            state = (source, data.get("caller"))
            current = found.get(state)
            if current is None or (current.kind == "escalate" and data["kind"] == "access"):
                found[state] = _step(source, key, data)
    by_source: dict[str, list[Step]] = {}
    for (source, _), step in found.items():
        by_source.setdefault(source, []).append(step)
    for steps in by_source.values():
        if len(steps) > 1:
            steps.sort(key=lambda s: (s.kind != "access", s.caller is not None, s.caller or ""))
    return by_source


def _session_fits(step: Step, then: Step) -> bool:
    """Whether `then` can follow `step`: a trust that let its caller in only under a session name
    (`sts:RoleSessionName` among the conditions its `assume` edge holds under, §2.2, §2.6) makes it that
    session, so a step made as another named session of the role is not its to take. A step made as the
    role's own caller holds for a session of any name (policies naming sessions one by one are decided
    as those sessions, `caller`)."""
    if step.kind != "assume" or then.caller is None or ":assumed-role/" not in then.caller:
        return True
    wanted = next((v for k, v in step.conditions.items() if k.lower() == "sts:rolesessionname"), None)
    if wanted is None:
        return True
    names = wanted if isinstance(wanted, list | tuple) else (wanted,)
    return then.caller.rsplit("/", 1)[-1] in {str(n) for n in names}


def _assume_in(ag: AccessGraph, node: str) -> tuple[tuple[str, Step], ...]:
    """The callers that can assume `node` or pass it to a service, with their steps, by name: built once
    per node however many questions walk it, and in an order that does not depend on the order the graph
    was built in (an `assume` step before a `pass` one)."""
    found = ag.steps.get((node, node, "assumed-by"))
    if isinstance(found, tuple):
        return found
    callers = sorted(
        (
            (source, _step(source, node, data))
            for source, _, data in ag.graph.in_edges(node, data=True)
            if data["kind"] in _BECOME
        ),
        key=lambda pair: (pair[0], pair[1].kind != "assume", pair[1].via or ""),
    )
    found = tuple(callers)
    ag.steps[(node, node, "assumed-by")] = found
    return found


def who_can(
    ag: AccessGraph, key: str, action: str, *, through: Callable[[str], bool] | None = None
) -> KeyAccess:
    """Every principal that can perform `action` on `key`, with a shortest path (breadth-first from it;
    among equally short paths, direct access first, then callers by name).

    `through` limits the paths to those whose roles assumed on the way all pass it: a role that fails it
    is listed, if it reaches the key, but who reaches the key only by assuming it is not.

    An action the graph was built without is decided first (`AccessGraph.analysed`)."""
    action = ag.analysed(action)
    finals = _finals(ag, key, action)
    # one path per node and caller of its first step, the shortest first (breadth-first): which of a
    # node's paths a caller assuming it may continue with depends on the session it makes (`_session_fits`)
    paths: dict[str, list[Step]] = {}
    seen: set[str | tuple[str, str]] = set()  # a node, or a node and a named caller
    queue: deque[tuple[str, list[Step]]] = deque()
    for node in sorted(finals, key=lambda n: (finals[n][0].kind != "access", n)):
        paths[node] = [finals[node][0]]
        for step in finals[node]:
            seen.add(node if step.caller is None else (node, step.caller))
            queue.append((node, [step]))
    while queue:
        node, rest = queue.popleft()
        if through is not None and not through(node):
            continue
        head = rest[0]
        free = head.caller is None
        for source, step in _assume_in(ag, node):
            state = source if step.caller is None else (source, step.caller)
            if state not in seen and (free or _session_fits(step, head)):
                seen.add(state)
                path = [step, *rest]
                paths.setdefault(source, path)
                queue.append((source, path))
    reaches = tuple(_reach(ag, node, path) for node, path in sorted(paths.items()))
    return KeyAccess.trusted(key=key, action=action, principals=reaches)


def access(
    source: AccessGraph | Account | Document,
    *,
    key: str | None = None,
    principal: str | None = None,
    action: str | None = None,
) -> list[KeyAccess]:
    """Per key and action: who can perform it. With `principal`, only what that principal can reach.

    `key` is a key ARN, key id or alias name; `principal` an ARN, a user or role name, an account id (the
    owner's names its root user; another's, any principal there) or `*`. `action` is any action on a key
    (decided on demand when the graph was built without it); without it, the graph's actions, each only
    on the keys whose usage accepts it. Unknown names and actions raise `KeyError` (a usage error).
    """
    ag = _graph(source)
    keys = sorted(ag.keys)
    if key is not None:
        found = ag.find_key(key)
        if found is None:
            raise KeyError(f"no key `{key}` in the input")
        keys = [found]
    node = None
    if principal is not None:
        node = ag.find_principal(principal)
        if node is None:
            raise KeyError(f"no principal `{principal}` in the input")
    actions = [ag.analysed(action)] if action is not None else list(ag.actions)
    out = []
    for arn in keys:
        for act in actions:
            if not applicable(ag.keys[arn], act):
                if action is not None and node is None:
                    out.append(KeyAccess.trusted(key=arn, action=act, principals=(), applicable=False))
                continue
            answer = who_can(ag, arn, act)
            if node is not None:
                answer = answer.model_copy(
                    update={"principals": tuple(r for r in answer.principals if r.principal == node)}
                )
                if not answer.principals:
                    continue
            out.append(answer)
    return out


def access_json(answers: Sequence[KeyAccess]) -> list[dict[str, object]]:
    """The JSON form: `{"key", "action", "principals": [{"principal", "path", "conditions", "external"}]}`,
    with `"applicable": false` where KMS refuses the action on a key of that usage."""
    found = []
    for answer in answers:
        dumped = answer.model_dump(mode="json", exclude_none=True)
        if answer.applicable:
            del dumped["applicable"]
        found.append(dumped)
    return found


class PathsAnswer(Frozen):
    principal: str
    key: str
    action: str
    shortest: tuple[Step, ...] | None
    paths: tuple[tuple[Step, ...], ...]


def paths(source: AccessGraph | Account | Document, principal: str, key: str, action: str) -> PathsAnswer:
    """The shortest and every simple path (up to 50) from `principal` to `action` on `key`."""
    ag = _graph(source)
    action = ag.analysed(action)
    start = ag.find_principal(principal)
    arn = ag.find_key(key)
    if start is None:
        raise KeyError(f"no principal `{principal}` in the input")
    if arn is None:
        raise KeyError(f"no key `{key}` in the input")
    finals_by_source: dict[str, list[Step]] = {}
    for source_node, _, data in ag.graph.in_edges(arn, data=True):
        if data["kind"] in _FINAL and data["action"] == action:
            finals_by_source.setdefault(source_node, []).append(_step(source_node, arn, data))
    import networkx as nx  # imported on use: start-up of every lint run stays small

    assume = nx.DiGraph()
    assume.add_node(start)
    # one hop per pair: an `assume` edge, else the first `pass` edge by service
    for kind in _BECOME:
        for u, v, data in sorted(ag.edges(kind), key=lambda e: (e[0], e[1], str(e[2].get("via")))):  # type: ignore[arg-type]
            if not assume.has_edge(u, v):
                assume.add_edge(u, v, data=data)
    found: list[tuple[Step, ...]] = []
    for end, lasts in sorted(finals_by_source.items()):
        if end == start:
            chains: list[list[str]] = [[start]]
        elif end in assume and nx.has_path(assume, start, end):
            chains = list(nx.all_simple_paths(assume, start, end))
        else:
            continue
        for chain in chains:
            hops = [_step(a, b, assume.edges[a, b]["data"]) for a, b in itertools.pairwise(chain)]
            for last in lasts:
                path = (*hops, last)
                if not all(_session_fits(a, b) for a, b in itertools.pairwise(path)):
                    continue
                found.append(path)
                if len(found) >= _MAX_PATHS:
                    break
    found.sort(key=lambda p: (len(p), p[-1].kind != "access"))
    return PathsAnswer(
        principal=start, key=arn, action=action, shortest=found[0] if found else None, paths=tuple(found)
    )
