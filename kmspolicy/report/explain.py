"""Explanations of one decision: a verdict line, the deciding statements as code frames, the trace by
layer, and what would have allowed a denied request.

Everything shown comes from the `Decision` (effect, reason, determining statements, trace, nearest
misses); nothing is re-derived here. Positions are resolved through `SourceSet.locate` only now, for the
spans that are shown.
"""

from __future__ import annotations

from typing import Any

from kmspolicy.model import Decision, DecisionEffect, Location, Request, Span, StatementRef, TraceStep
from kmspolicy.parse.context import pointer_join
from kmspolicy.parse.source import SourceSet
from kmspolicy.scenario import Scenario, describe_ref

_VERDICT: dict[DecisionEffect, str] = {
    "ALLOW": "ALLOWED",
    "IMPLICIT_DENY": "DENIED (implicit)",
    "EXPLICIT_DENY": "DENIED (explicit)",
}
_LAYER_TITLES = {
    "key": "key identifier",
    "key_policy": "key policy",
    "identity": "identity-based policies",
    "boundary": "permissions boundary",
    "session": "session policies",
    "scp": "service control policies",
    "rcp": "resource control policies",
    "grant": "grants",
    "trust": "trust policy",
    "decision": "decision",
}
_OUTCOME_WORDS = {"match": "match", "no-match": "no match", "skip": "skipped", "info": "note"}
# A statement frame longer than this shows its first lines and an ellipsis.
_MAX_FRAME_LINES = 12
_CONTEXT_LINES = 2

_RESET, _BOLD, _RED, _GREEN, _YELLOW, _BLUE, _DIM = (f"\x1b[{code}m" for code in (0, 1, 31, 32, 33, 34, 2))


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        return "".join(styles) + text + _RESET if self.color and text else text


# --------------------------------------------------------------------------- text


def _refs(refs: tuple[StatementRef, ...]) -> str:
    labels = [describe_ref(ref) for ref in refs]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _verdict(decision: Decision, request: Request | None) -> str:
    head = _VERDICT[decision.effect]
    if decision.effect == "ALLOW" and decision.determining:
        return f"{head} by {_refs(decision.determining)}"
    caller = (
        f" for `{request.principal}`" if request is not None and decision.effect == "IMPLICIT_DENY" else ""
    )
    return f"{head}: {decision.reason}{caller}"


def _request_lines(request: Request) -> list[str]:
    lines = [f"request: `{request.principal}` calls `{request.action}` on `{request.resource}`"]
    for key, value in sorted(request.context.items()):
        shown = ", ".join(value) if isinstance(value, tuple) else value
        lines.append(f"  with `{key}` = `{shown}`")
    if request.grant_tokens:
        lines.append("  using grant tokens " + ", ".join(f"`{token}`" for token in request.grant_tokens))
    if request.grant_id is not None:
        lines.append(f"  naming grant `{request.grant_id}`")
    return lines


def _last_line(where: Location) -> int:
    # the end is exclusive: a span ending at column 1 ends on the line before
    return where.end_line - 1 if where.end_column == 1 and where.end_line > where.line else where.end_line


def _frame(sources: SourceSet, span: Span, mark: Span | None, paint: _Paint) -> list[str]:
    """The lines of `span` with line numbers, and a marker under `mark` when it lies inside them."""
    where = sources.locate(span)
    lines = sources.lines(span.file)
    if where is None or not lines:
        return []
    first, last = where.line, min(_last_line(where), len(lines))
    target = sources.locate(mark) if mark is not None else None
    if target is not None and not (first <= target.line <= last):
        target = None
    if target is not None:
        low = max(first, target.line - _CONTEXT_LINES)
        high = min(last, _last_line(target) + _CONTEXT_LINES)
    else:
        low, high = first, min(last, first + _MAX_FRAME_LINES - 1)
    width = len(str(high))
    gutter = paint(" " * width + " |", _BLUE)
    out = [paint(f"{' ' * width}--> ", _BLUE) + f"{span.file}:{where.line}:{where.column}"]
    if low > first:
        out.append(gutter + " ...")
    for number in range(low, high + 1):
        text = lines[number - 1]
        out.append(paint(f"{number:>{width}} |", _BLUE) + (" " + text if text else ""))
        if target is not None and number == target.line:
            end = target.end_column if target.end_line == number else len(text) + 1
            start = target.column
            marker = "^" * max(1, min(end, len(text) + 1) - start)
            out.append(gutter + " " + " " * (start - 1) + paint(marker, _RED, _BOLD))
    if high < last:
        out.append(gutter + " ...")
    return out


def _element_span(step: TraceStep) -> Span | None:
    """Where the failing element is: the step's span, or its `element` inside the statement it names."""
    if step.span is None:
        return None
    if step.element is None or step.span.pointer.rsplit("/", 1)[-1] == step.element:
        return step.span
    return Span(file=step.span.file, pointer=pointer_join(step.span.pointer, step.element))


def _step_label(step: TraceStep) -> str:
    ref = step.ref
    if ref is None:
        return ""
    if ref.layer == "grant":
        return f"grant `{ref.grant_id}`"
    name = f"`{ref.sid}`" if ref.sid is not None else f"{ref.index}" if ref.index is not None else ""
    policy = f"`{ref.policy}` " if ref.policy is not None and ref.layer in ("identity", "session") else ""
    return f"{policy}statement {name}".strip()


def _trace_lines(trace: tuple[TraceStep, ...], paint: _Paint) -> list[str]:
    groups: dict[str, list[TraceStep]] = {}
    for step in trace:
        groups.setdefault(step.layer, []).append(step)
    styles = {"match": (_GREEN,), "no-match": (_RED,), "skip": (_DIM,), "info": (_YELLOW,)}
    out: list[str] = []
    for layer, steps in groups.items():
        out.append(f"  {_LAYER_TITLES.get(layer, layer)}")
        for step in steps:
            outcome = paint(f"{_OUTCOME_WORDS[step.outcome]:<8}", *styles[step.outcome])
            label = _step_label(step)
            element = f" [{step.element}]" if step.element else ""
            out.append(f"    {outcome} {label + ': ' if label else ''}{step.reason}{element}")
    return out


def render_text(
    scenario: Scenario | None, decision: Decision, sources: SourceSet, *, color: bool = False
) -> str:
    """The explanation a person reads: verdict, deciding statements, trace, and near misses."""
    paint = _Paint(color)
    request = scenario.request if scenario is not None else None
    allowed = decision.effect == "ALLOW"
    out = [paint(_verdict(decision, request), _BOLD, _GREEN if allowed else _RED)]
    if allowed and decision.determining:
        out.append(f"  {decision.reason}")
    if scenario is not None:
        out.append(f"scenario: {scenario.name} ({scenario.file})")
        out.extend(_request_lines(scenario.request))
    if decision.determining:
        out += ["", "determined by:"]
        for ref in decision.determining:
            out.append(f"  {describe_ref(ref)}")
            if ref.span is not None:
                out.extend("    " + line for line in _frame(sources, ref.span, None, paint))
    if decision.trace:
        out += ["", "trace:"]
        out.extend(_trace_lines(decision.trace, paint))
    if decision.nearest:
        out += ["", "would have been allowed if:"]
        for step in decision.nearest:
            where = (
                describe_ref(step.ref) if step.ref is not None else _LAYER_TITLES.get(step.layer, step.layer)
            )
            out.append(f"  {where} matched its {step.element or 'statement'}: {step.reason}")
            if step.span is not None:
                out.extend("    " + line for line in _frame(sources, step.span, _element_span(step), paint))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- JSON


def _position(sources: SourceSet, span: Span | None) -> dict[str, Any]:
    where = sources.locate(span) if span is not None else None
    if where is None:
        return {"file": span.file if span is not None else None, "line": None, "column": None}
    return {"file": where.file, "line": where.line, "column": where.column}


def _ref_json(ref: StatementRef, sources: SourceSet) -> dict[str, Any]:
    fields = {name: getattr(ref, name) for name in ("layer", "policy", "sid", "index", "grant_id")}
    return {**{k: v for k, v in fields.items() if v is not None}, **_position(sources, ref.span)}


def _step_json(step: TraceStep, sources: SourceSet) -> dict[str, Any]:
    out: dict[str, Any] = {"layer": step.layer, "outcome": step.outcome, "reason": step.reason}
    if step.element is not None:
        out["element"] = step.element
    if step.ref is not None:
        out["ref"] = _ref_json(step.ref, sources)
    if step.span is not None:
        out.update(_position(sources, _element_span(step)))
    return out


def render_json(
    scenario: Scenario | None, decision: Decision, sources: SourceSet, file: str | None
) -> dict[str, Any]:
    """The explanation as data: effect, reason, and every statement and step with file/line/column."""
    out: dict[str, Any] = {
        "file": file if file is not None else scenario.file if scenario is not None else None,
        "decision": decision.effect,
        "reason": decision.reason,
    }
    if scenario is not None:
        out["scenario"] = scenario.name
        out["request"] = scenario.request.model_dump(mode="json")
    out["determining"] = [_ref_json(ref, sources) for ref in decision.determining]
    out["trace"] = [_step_json(step, sources) for step in decision.trace]
    out["nearest"] = [_step_json(step, sources) for step in decision.nearest]
    return out
