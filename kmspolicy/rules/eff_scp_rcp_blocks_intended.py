"""Access the key policy or a grant intends is blocked by an SCP or an RCP.

## What it flags
A principal that the key policy or a grant names explicitly (a partner account or role, a service
principal, a role of the account) for an action that the evaluator would allow without the
organisation's SCPs and RCPs, and denies with them. One finding per principal and action, at the
statement or grant that intends the access, with the evaluator's reason for the denial.

## Why it is risky
Nothing is exposed, but an integration will fail at run time: a partner's decrypt, a service's
encrypt. The denial text (`explicit deny in a resource control policy`) names no statement, so the
failure is hard to trace back.

## Example
A key policy naming partner account `444455556666` for `kms:Decrypt`, and an RCP denying KMS to
principals outside the organisation.

## Use instead
Add an exception for the intended principal to the SCP or RCP (for example an
`aws:PrincipalAccount` condition), or remove the statement if the access is no longer intended.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html
- https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.evaluate import evaluate
from kmspolicy.model import Finding, Key, Severity, StatementRef
from kmspolicy.rules.eff_graph import first_ref, key_graph, key_span, label
from kmspolicy.rules.framework import KeyRule, KeyTarget


def _named(key: Key) -> set[str]:
    names = {g.grantee_principal for g in key.grants if isinstance(g.grantee_principal, str)}
    for statement in key.policy.statements if key.policy is not None else ():
        if statement.effect == "Allow":
            names |= {
                p.value for p in statement.principal or () if isinstance(p.value, str) and p.value != "*"
            }
    return names


def check(target: KeyTarget) -> Iterator[Finding]:
    real = key_graph(target)
    if real is None or not (real[0].account.scps or real[0].account.rcps):
        return
    graph, key = real
    without = key_graph(target, org_policies=False)
    if without is None:
        return
    open_graph = without[0]
    named = _named(graph.keys[key])
    blocked: dict[tuple[str, int], list[tuple[str, str, StatementRef | None]]] = {}
    for source, _, data in open_graph.graph.in_edges(key, data=True):
        if data["kind"] != "access" or source not in named:
            continue
        action = str(data["action"])
        if graph.graph.has_edge(source, key, key=f"access:{action}"):
            continue
        request = graph.request(source, action, key, dict(data["conditions"]))  # type: ignore[call-overload]
        decision = evaluate(graph.situation(source, key), request, trace=False)
        ref = first_ref(data["refs"])  # type: ignore[arg-type]
        blocked.setdefault((source, id(ref)), []).append((action, decision.reason, ref))
    for (source, _), found in sorted(blocked.items(), key=lambda item: item[0][0]):
        actions = ", ".join(f"`{a}`" for a, _, _ in sorted(found))
        ref = found[0][2]
        span = ref.span if ref is not None and ref.span is not None else key_span(target)
        yield target.make(
            RULE,
            f"`{label(graph, source)}` is named for {actions} here, but the organisation's policies block it:"
            f" {found[0][1]}",
            span,
            statement=ref,
        )


RULE = KeyRule(
    id="KMS066",
    name="eff-scp-rcp-blocks-intended",
    severity=Severity.INFO,
    summary="access that the key policy or a grant intends is blocked by an SCP or RCP",
    help="add an exception for the intended principal to the SCP or RCP, or remove the statement",
    check=check,
)
