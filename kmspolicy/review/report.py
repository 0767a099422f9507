"""Review reports: the findings, the key-by-key access matrix and a picture of the graph around each key.

`render_review(graph, findings, fmt)` writes one of `text`, `json`, `markdown`, `html`, `dot`,
`mermaid`. The HTML report is a single self-contained file (inline CSS and SVG, no script, nothing
fetched). `render_access`, `render_paths` and `render_diff` write the answers of the `access`, `paths`
and `diff` commands as text, JSON or Markdown.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kmspolicy.model import SEVERITY_RANK, ContextValue, Finding
from kmspolicy.review.diff import Change, DiffResult, diff_json
from kmspolicy.review.graph import ANY_PRINCIPAL_NAME, AccessGraph, applicable, missing_boundaries
from kmspolicy.review.questions import KeyAccess, PathsAnswer, Reach, Step, access_json, who_can

ReviewFormat = Literal["text", "json", "markdown", "html", "dot", "mermaid"]
AnswerFormat = Literal["text", "json", "markdown"]
REVIEW_FORMATS: tuple[str, ...] = ("text", "json", "markdown", "html", "dot", "mermaid")


# --------------------------------------------------------------------------- shared pieces


def _label(graph: AccessGraph, node: str) -> str:
    return str(graph.graph.nodes[node].get("label", node)) if node in graph.graph else node


def _conditions(conditions: dict[str, ContextValue]) -> str:
    if not conditions:
        return ""
    shown = ", ".join(
        f"{k}={v if isinstance(v, str) else ','.join(v)}" for k, v in sorted(conditions.items())
    )
    return f" when {shown}"


def _as(step: Step) -> str:
    """Whom the step's request is made as, when only that one of its source's principals holds it (for
    the stand-in for other accounts, a principal of the one account a condition admits)."""
    if step.caller and step.caller.endswith(f":role/{ANY_PRINCIPAL_NAME}"):
        return f" as a principal of account `{step.caller.split(':')[4]}`"
    return f" as {step.caller}" if step.caller else ""


def _hop(graph: AccessGraph, step: Step) -> str:
    """A role on a path, with the service it is passed to where the step passes it."""
    passed = f" (passed to {step.via})" if step.kind == "pass" else ""
    return _label(graph, step.target) + passed


def _how(graph: AccessGraph, reach: Reach) -> str:
    hops = [_hop(graph, s) for s in reach.path[:-1]]
    last = reach.path[-1]
    how = ("directly" if not hops else "via " + " -> ".join(hops)) + _as(last)
    if last.kind == "escalate":
        how += f", after {last.method} ({last.via})"
    return how


@dataclass(frozen=True)
class MatrixCell:
    actions: tuple[str, ...]
    external: bool
    indirect: bool


def access_matrix(graph: AccessGraph) -> dict[str, dict[str, MatrixCell]]:
    """Key -> principal -> the actions it can perform (directly or by a path)."""
    out: dict[str, dict[str, MatrixCell]] = {}
    for key in sorted(graph.keys):
        row: dict[str, list[tuple[str, Reach]]] = {}
        for action in graph.actions:
            for reach in who_can(graph, key, action).principals:
                row.setdefault(reach.principal, []).append((action, reach))
        out[key] = {
            principal: MatrixCell(
                actions=tuple(a for a, _ in found),
                external=found[0][1].external,
                indirect=any(len(r.path) > 1 or r.path[-1].kind == "escalate" for _, r in found),
            )
            for principal, found in sorted(row.items())
        }
    return out


def _finding_rows(findings: Sequence[Finding]) -> list[dict[str, str]]:
    rows = []
    ordered = sorted(findings, key=lambda f: (-SEVERITY_RANK[f.severity], f.span.file, f.span.pointer, f.id))
    for f in ordered:
        where = (
            f"{f.location.file}:{f.location.line}:{f.location.column}"
            if f.location
            else f"{f.span.file}#{f.span.pointer}"
        )
        rows.append(
            {"id": f.id, "rule": f.rule, "severity": f.severity.value, "message": f.message, "where": where}
        )
    return rows


# --------------------------------------------------------------------------- answers of access / paths / diff


def render_access(
    graph: AccessGraph,
    answers: Sequence[KeyAccess],
    fmt: AnswerFormat = "text",
    *,
    principal: str | None = None,
) -> str:
    """The answers of `questions.access`; `principal` is the one asked about, if any (said when it reaches
    nothing). Text and Markdown end with the review's notes (`_notes`), if any."""
    if fmt == "json":
        return json.dumps(access_json(answers), indent=2)
    notes = _notes(graph)
    if not notes:
        return _answers_text(graph, answers, fmt, principal)
    said = [f"- {n}" for n in notes] if fmt == "markdown" else [f"  {n}" for n in notes]
    head = ["### Notes", ""] if fmt == "markdown" else [f"notes: {len(notes)}"]
    return _answers_text(graph, answers, fmt, principal) + "\n" + "\n".join([*head, *said]) + "\n"


def _answers_text(
    graph: AccessGraph, answers: Sequence[KeyAccess], fmt: AnswerFormat, principal: str | None
) -> str:
    if not answers:
        # a principal that reaches nothing asked about (or an input without keys) still gets an answer
        if principal is None:
            return "no access found for the keys, actions and principal asked about\n"
        who = _label(graph, graph.find_principal(principal) or principal)
        return f"`{who}` cannot perform the actions asked about on the keys asked about\n"
    lines: list[str] = []
    for answer in answers:
        title = f"{_label(graph, answer.key)} ({answer.key}) {answer.action}"
        if not answer.applicable:
            usage = graph.keys[answer.key].key_usage
            said = f"not applicable: KMS refuses `{answer.action}` on a key of usage `{usage}`"
            lines.extend(
                [f"### `{answer.action}` on `{_label(graph, answer.key)}`\n", said, ""]
                if fmt == "markdown"
                else [title, f"  {said}"]
            )
            continue
        if fmt == "markdown":
            lines.append(f"### `{answer.action}` on `{_label(graph, answer.key)}`\n")
            lines.append("| principal | how | conditions | external |")
            lines.append("|---|---|---|---|")
            for r in answer.principals:
                lines.append(
                    f"| `{_label(graph, r.principal)}` | {_how(graph, r)} |"
                    f" {_conditions(r.conditions).strip() or '-'} |"
                    f" {'yes' if r.external else 'no'} |"
                )
            lines.append("")
            continue
        lines.append(title)
        if not answer.principals:
            lines.append("  nobody")
        for r in answer.principals:
            flag = " [external]" if r.external else ""
            lines.append(f"  {_label(graph, r.principal)}{flag}: {_how(graph, r)}{_conditions(r.conditions)}")
    return "\n".join(lines) + "\n"


def _explain_step(graph: AccessGraph, step: Step) -> list[str]:
    verb = {
        "access": f"can {step.action} on",
        "assume": "can assume",
        "pass": "can pass",
        "escalate": f"can obtain {step.action} on",
    }[step.kind]
    lines = [
        f"{_label(graph, step.source)}{_as(step)} {verb} {_label(graph, step.target)}"
        f"{_conditions(step.conditions)}"
    ]
    if step.kind == "escalate":
        lines.append(f"    by {step.method}: {step.via}")
    elif step.kind == "pass":
        lines.append(f"    to {step.via}, which runs code as it after {step.method}")
    lines.append(f"    because {step.reason}")
    for ref in step.refs:
        name = (
            ref.grant_id and f"grant {ref.grant_id}"
        ) or f"{ref.policy or ref.layer} statement {ref.sid or ref.index}"
        where = (
            f" ({ref.span.file}#{ref.span.pointer})"
            if ref.span is not None and not ref.span.file.startswith("<")
            else ""
        )
        lines.append(f"    - {ref.layer}: {name}{where}")
    return lines


def render_paths(graph: AccessGraph, answer: PathsAnswer, fmt: AnswerFormat = "text") -> str:
    if fmt == "json":
        return json.dumps(answer.model_dump(mode="json", exclude_none=True), indent=2)
    head = f"{_label(graph, answer.principal)} -> {answer.action} on {_label(graph, answer.key)}"
    if answer.shortest is None:
        return f"{head}: no path\n"
    lines = [f"{head}: {len(answer.paths)} path(s), shortest has {len(answer.shortest)} step(s)"]
    for number, path in enumerate(answer.paths, 1):
        lines.append("")
        lines.append(f"path {number}:" if fmt == "text" else f"**path {number}**\n")
        for index, step in enumerate(path, 1):
            explained = _explain_step(graph, step)
            lines.append(f"  {index}. {explained[0]}")
            lines.extend(f"   {line}" for line in explained[1:])
    return "\n".join(lines) + "\n"


def render_diff(result: DiffResult, fmt: AnswerFormat = "text", *, removed: bool = True) -> str:
    """New access, and with `removed` the access the change takes away.

    In text and Markdown, changes that differ only by their action (same principal, resource, witness
    context, path and reasons but for the action's name) are one entry listing the actions; JSON keeps
    one object per change."""
    if fmt == "json":
        shown = diff_json(result)
        if not removed:
            del shown["removed"]
        return json.dumps(shown, indent=2)
    lines: list[str] = []
    sections = [("new access", result.added)]
    if removed:
        sections.append(("removed access", result.removed))
    for title, changes in sections:
        entries = _diff_entries(changes)
        count = f"{len(changes)}" + (f" in {len(entries)} entries" if len(entries) != len(changes) else "")
        lines.append(f"{title}: {count}" if fmt == "text" else f"### {title} ({count})\n")
        for entry in entries:
            lines.extend(entry)
    return "\n".join(lines) + "\n"


def _diff_entries(changes: Sequence[Change]) -> list[list[str]]:
    """The text entries of `changes`, in order of first appearance: changes whose lines read the same once
    their action is left out share one entry that lists their actions."""
    groups: dict[tuple[str, ...], list[Change]] = {}
    for change in changes:
        groups.setdefault(tuple(_change_lines(change, ())), []).append(change)
    return [
        _change_lines(group[0], tuple(dict.fromkeys(c.action for c in group))) for group in groups.values()
    ]


def _change_lines(change: Change, actions: Sequence[str]) -> list[str]:
    """The lines of one change standing for the alike changes of `actions`: with more (or fewer) than one
    action, the action's name gives way to the list in the heading and to "these actions" elsewhere."""
    one = tuple(actions) == (change.action,)

    def said(reason: str) -> str:
        return reason if one else reason.replace(f"`{change.action}`", "these actions")

    flag = " [external]" if change.external else ""
    context = _conditions(dict(change.witness.context))
    lines = [
        f"  {'-' if change.removed else '+'} {change.principal}{flag} {', '.join(actions)} on"
        f" {change.resource}{context}",
        f"      now: {change.new.effect} ({said(change.new.reason)});"
        f" before: {change.old.effect} ({said(change.old.reason)})",
    ]
    for index, step in enumerate(change.path, 1):
        how = f" by {step.method}: {step.via}" if step.kind == "escalate" else ""
        if step.kind == "pass":
            how = f" to {step.via}"
        action = step.action if one or index < len(change.path) else "these actions"
        verb = {"assume": "can assume", "pass": "can pass"}.get(step.kind, f"{step.kind} {action} on")
        lines.append(
            f"      {index}. {step.source}{_as(step)} {verb} {step.target}{_conditions(step.conditions)}{how}"
        )
    return lines


# --------------------------------------------------------------------------- the review report


def render_review(graph: AccessGraph, findings: Sequence[Finding], fmt: ReviewFormat) -> str:
    if fmt == "json":
        return _review_json(graph, findings)
    if fmt == "dot":
        return to_dot(graph)
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "html":
        return _review_html(graph, findings)
    return _review_text(graph, findings, markdown=fmt == "markdown")


def _review_json(graph: AccessGraph, findings: Sequence[Finding]) -> str:
    matrix = [
        {
            "key": key,
            "aliases": list(graph.keys[key].aliases),
            "principals": [
                {
                    "principal": p,
                    "label": _label(graph, p),
                    "actions": list(c.actions),
                    "external": c.external,
                    "indirect": c.indirect,
                }
                for p, c in row.items()
            ],
        }
        for key, row in access_matrix(graph).items()
    ]
    body: dict[str, object] = {"findings": _finding_rows(findings), "access": matrix}
    notes = _notes(graph)
    if notes:
        body["notes"] = notes
    return json.dumps(body, indent=2)


def _notes(graph: AccessGraph) -> list[str]:
    """What the review took for granted where the input is silent."""
    return [
        f"the permissions boundary `{boundary}` of `{_label(graph, principal)}` is attached but its document"
        " is not in the input: the review takes it to allow everything (a `Deny` with `NotPrincipal` still"
        " applies to the principal)"
        for principal, boundary in missing_boundaries(graph.account)
    ]


def _review_text(graph: AccessGraph, findings: Sequence[Finding], *, markdown: bool) -> str:
    lines = ["# Access review" if markdown else "ACCESS REVIEW", ""]
    lines.append("## Findings" if markdown else f"findings: {len(findings)}")
    if markdown:
        lines += ["", "| severity | rule | message | where |", "|---|---|---|---|"]
    for row in _finding_rows(findings):
        if markdown:
            lines.append(
                f"| {row['severity']} | {row['id']} {row['rule']} | {row['message']} | `{row['where']}` |"
            )
        else:
            lines.append(f"  {row['severity']:<8} {row['id']} {row['where']}: {row['message']}")
    lines.append("")
    notes = _notes(graph)
    if notes:
        lines.append("## Notes" if markdown else f"notes: {len(notes)}")
        if markdown:
            lines.append("")
        lines += [f"- {n}" if markdown else f"  {n}" for n in notes]
        lines.append("")
    for key, cells in access_matrix(graph).items():
        title = f"{_label(graph, key)} ({key})"
        lines.append(f"## {title}" if markdown else title)
        if markdown:
            lines += ["", "| principal | actions | how |", "|---|---|---|"]
        for principal, cell in cells.items():
            marks = (" external" if cell.external else "") + (" indirect" if cell.indirect else "")
            if markdown:
                lines.append(
                    f"| `{_label(graph, principal)}` | {', '.join(cell.actions)} |"
                    f" {marks.strip() or 'direct'} |"
                )
            else:
                lines.append(
                    f"  {_label(graph, principal)}{' [' + marks.strip() + ']' if marks else ''}:"
                    f" {', '.join(cell.actions)}"
                )
        if not cells:
            lines.append("  nobody")
        lines.append("")
    return "\n".join(lines)


def _dot_id(node: str) -> str:
    return json.dumps(node)


def to_dot(graph: AccessGraph) -> str:
    """Graphviz: principals as boxes (red when external), keys as ellipses, one edge per relation."""
    out = ["digraph access {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node, data in sorted(graph.graph.nodes(data=True)):
        shape = "ellipse" if data["kind"] in ("key", "alias") else "box"
        color = ', color="red"' if data.get("external") else ""
        out.append(
            f"  {_dot_id(node)} [label={json.dumps(str(data.get('label', node)))}, shape={shape}{color}];"
        )
    for source, target, label, style in _edge_summary(graph):
        out.append(f"  {_dot_id(source)} -> {_dot_id(target)} [label={json.dumps(label)}, style={style}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _edge_summary(graph: AccessGraph) -> list[tuple[str, str, str, str]]:
    """One drawn edge per (source, target, kind), its actions joined."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for source, target, data in graph.graph.edges(data=True):
        kind = str(data["kind"])
        grouped.setdefault((source, target, kind), []).append(str(data.get("action", kind)))
    style = {
        "access": "solid",
        "assume": "dashed",
        "pass": "dashed",
        "escalate": "dotted",
        "member": "dotted",
        "alias": "dotted",
    }
    return [
        (s, t, ", ".join(sorted({a.split(":", 1)[-1] for a in actions})), style[k])
        for (s, t, k), actions in sorted(grouped.items())
    ]


def to_mermaid(graph: AccessGraph) -> str:
    ids = {node: f"n{i}" for i, node in enumerate(sorted(graph.graph.nodes))}
    out = ["flowchart LR"]
    for node, data in sorted(graph.graph.nodes(data=True)):
        text = str(data.get("label", node)).replace('"', "'")
        shape = f'(["{text}"])' if data["kind"] in ("key", "alias") else f'["{text}"]'
        out.append(f"  {ids[node]}{shape}")
        if data.get("external"):
            out.append(f"  style {ids[node]} stroke:#c00,stroke-width:2px")
    arrows = {"solid": "-->", "dashed": "-.->", "dotted": "-.->"}
    for source, target, label, style in _edge_summary(graph):
        out.append(f"  {ids[source]} {arrows[style]}|{label}| {ids[target]}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1d2330}
body{background:#fafbfc} h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dde6;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px} .muted{color:#5d6778;font-size:13px}
table{border-collapse:collapse;font-size:13px;background:#fff;margin:6px 0 12px}
th,td{border:1px solid #d8dde6;padding:4px 8px;text-align:left;vertical-align:top} th{background:#eef1f6}
.sev-critical,.sev-high{color:#b00020;font-weight:600}.sev-medium{color:#b25e00;font-weight:600}
.sev-low,.sev-info{color:#35608f} .ext{color:#b00020;font-weight:600} code{font-size:12px}
.yes{background:#e5f4ea;text-align:center}.ind{background:#fff4d6;text-align:center}.exty{background:#fde3e6;text-align:center}
svg{background:#fff;border:1px solid #d8dde6} .legend span{margin-right:14px} .scroll{overflow-x:auto}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _review_html(graph: AccessGraph, findings: Sequence[Finding]) -> str:
    account = graph.account.account_id or "unknown account"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>kmspolicy access review: {_esc(account)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Access review of account {_esc(account)}</h1>",
        f'<p class="muted">{len(graph.keys)} keys, {len(graph.actors)} principals, {len(findings)} findings;'
        f" actions: {_esc(', '.join(graph.actions))}</p>",
        "<h2>Findings</h2>",
        "<table><tr><th>severity</th><th>rule</th><th>message</th><th>where</th></tr>",
    ]
    for row in _finding_rows(findings):
        parts.append(
            f'<tr><td class="sev-{_esc(row["severity"])}">{_esc(row["severity"])}</td>'
            f"<td>{_esc(row['id'])} {_esc(row['rule'])}</td>"
            f"<td>{_esc(row['message'])}</td><td><code>{_esc(row['where'])}</code></td></tr>"
        )
    parts.append("</table>")
    if not findings:
        parts.append('<p class="muted">no findings</p>')
    notes = _notes(graph)
    if notes:
        parts.append("<h2>Notes</h2><ul>")
        parts.extend(f"<li>{_esc(n)}</li>" for n in notes)
        parts.append("</ul>")
    parts.append("<h2>Access matrix</h2>")
    parts.append(
        '<p class="legend muted"><span class="yes">&nbsp;direct&nbsp;</span>'
        '<span class="ind">&nbsp;through roles or an'
        ' escalation&nbsp;</span><span class="exty">&nbsp;outside the zone of trust&nbsp;</span></p>'
    )
    matrix = access_matrix(graph)
    for key, cells in matrix.items():
        parts.append(f'<h3>{_esc(_label(graph, key))} <span class="muted">{_esc(key)}</span></h3>')
        if not cells:
            parts.append('<p class="muted">nobody can use this key</p>')
        else:
            columns = [a for a in graph.actions if applicable(graph.keys[key], a)]
            parts.append(
                '<div class="scroll"><table><tr><th>principal</th>'
                + "".join(f"<th>{_esc(a.split(':', 1)[-1])}</th>" for a in columns)
                + "</tr>"
            )
            for principal, cell in cells.items():
                css = "exty" if cell.external else "ind" if cell.indirect else "yes"
                marks = "".join(
                    f'<td class="{css}">&#10003;</td>' if a in cell.actions else "<td></td>" for a in columns
                )
                name = _esc(_label(graph, principal))
                parts.append(f'<tr><td title="{_esc(principal)}">{name}</td>{marks}</tr>')
            parts.append("</table></div>")
        picture = _key_svg(graph, key)
        if picture:
            parts.append(f'<div class="scroll">{picture}</div>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


_COL, _ROW, _BOX_W, _BOX_H = 340, 46, 200, 30
_STROKE = {
    "access": ("#2b6cb0", ""),
    "assume": ("#4a5568", "6 4"),
    "pass": ("#4a5568", "6 4"),
    "escalate": ("#c53030", "3 3"),
}


def _key_svg(graph: AccessGraph, key: str) -> str:
    """A static picture of every path into the key: the key on the right, each principal placed by how
    many steps it is from the key."""
    steps: dict[tuple[str, str, str], set[str]] = {}
    depth: dict[str, int] = {key: 0}
    for action in graph.actions:
        for reach in who_can(graph, key, action).principals:
            for distance, step in enumerate(reversed(reach.path), 1):
                steps.setdefault((step.source, step.target, step.kind), set()).add(
                    {"assume": "assume", "pass": f"pass to {step.via}"}.get(
                        step.kind, step.action.split(":", 1)[-1]
                    )
                )
                depth[step.source] = min(depth.get(step.source, distance), distance)
    if len(depth) == 1:
        return ""
    columns: dict[int, list[str]] = {}
    for node, d in sorted(depth.items(), key=lambda item: (item[1], _label(graph, item[0]))):
        columns.setdefault(d, []).append(node)
    deepest = max(columns)
    tallest = max(len(c) for c in columns.values())
    width, height = (deepest + 1) * _COL + 20, tallest * _ROW + 30
    place: dict[str, tuple[float, float]] = {}
    for d, nodes in columns.items():
        x = float((deepest - d) * _COL + 10)
        top = (height - len(nodes) * _ROW) / 2
        for i, node in enumerate(nodes):
            place[node] = (x, top + i * _ROW + (_ROW - _BOX_H) / 2)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="access graph of {_esc(_label(graph, key))}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7"'
        ' orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker></defs>',
    ]
    for (source, target, kind), actions in sorted(steps.items()):
        if source not in place or target not in place:
            continue
        (x1, y1), (x2, y2) = place[source], place[target]
        color, dash = _STROKE.get(kind, ("#4a5568", ""))
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        label = ", ".join(sorted(actions))
        out.append(
            f'<line x1="{x1 + _BOX_W}" y1="{y1 + _BOX_H / 2}" x2="{x2}" y2="{y2 + _BOX_H / 2}"'
            f' stroke="{color}" stroke-width="1.6"{dashed} marker-end="url(#arrow)">'
            f"<title>{_esc(kind)}: {_esc(label)}</title></line>"
        )
        # labels sit at the start of each edge: sources have distinct places, edge middles may not
        short = label if len(label) <= 30 else label[:28] + "…"
        out.append(
            f'<text x="{x1 + _BOX_W + 6}" y="{y1 + _BOX_H / 2 - 5}" font-size="10" fill="{color}">'
            f"{_esc(short)}</text>"
        )
    for node, (x, y) in place.items():
        data = graph.graph.nodes[node]
        is_key = data["kind"] == "key"
        fill = "#fde3e6" if data.get("external") else "#e8f0fb" if is_key else "#ffffff"
        stroke = "#b00020" if data.get("external") else "#2b6cb0" if is_key else "#4a5568"
        radius = 14 if is_key else 4
        text = _label(graph, node)
        shown = text if len(text) <= 28 else text[:26] + "…"
        out.append(
            f'<g><title>{_esc(node)}</title><rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}"'
            f' rx="{radius}"'
            f' fill="{fill}" stroke="{stroke}" stroke-width="1.4"/>'
            f'<text x="{x + _BOX_W / 2}" y="{y + _BOX_H / 2 + 4}" font-size="12" text-anchor="middle">'
            f"{_esc(shown)}</text></g>"
        )
    out.append("</svg>")
    return "\n".join(out)


__all__ = [
    "REVIEW_FORMATS",
    "MatrixCell",
    "access_matrix",
    "render_access",
    "render_diff",
    "render_paths",
    "render_review",
    "to_dot",
    "to_mermaid",
]
