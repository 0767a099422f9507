"""A principal that cannot decrypt by itself can, by assuming a role that can.

## What it flags
Principals with no `kms:Decrypt` of their own on the key, but a chain of `sts:AssumeRole` steps
(each decided by the evaluator from the trust policy and the caller's identity policies) to a role
that can decrypt. One finding per such principal, with the chain in the message, at the statement
that lets the principal into the chain: its own identity-policy statement allowing `sts:AssumeRole`
where that decided the first step, else the first role's trust-policy statement (the key-policy
statement is the same for every principal and says nothing about the path). Service principals
assuming their own service roles are not reported. Passing a role to a service (`iam:PassRole`, which
the catalogue also names) is not followed yet: the access graph has no such edges.

## Why it is risky
Key-policy reviews list the roles named in the key policy. Whoever can become those roles holds the
same access, and trust policies that name a whole account or a CI role widen it unseen.

## Example
A user allowed to assume `Hop1`, which may assume `Hop2`, which may assume `Hop3`; the key policy
names only `Hop3`.

## Use instead
Narrow the trust policies of the roles that can decrypt (name the principals, require MFA or an
external id), or give the key to the principals that need it directly.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
- https://github.com/nccgroup/PMapper
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.review.questions import who_can
from kmspolicy.rules.eff_graph import DECRYPT, key_graph, label, step_span
from kmspolicy.rules.framework import KeyRule, KeyTarget


def check(target: KeyTarget) -> Iterator[Finding]:
    found = key_graph(target)
    if found is None:
        return
    graph, key = found
    for reach in who_can(graph, key, DECRYPT).principals:
        hops = [s for s in reach.path if s.kind == "assume"]
        if not hops or graph.graph.nodes[reach.principal]["kind"] == "service":
            continue
        chain = " -> ".join(f"`{label(graph, s.target)}`" for s in hops)
        span, ref = step_span(target, hops[0], prefer="identity")
        yield target.make(
            RULE,
            # the finding points at IAM, not at the key: name the key
            f"`{label(graph, reach.principal)}` can decrypt with key `{label(graph, key)}` by assuming "
            f"{chain}",
            span,
            statement=ref,
        )


RULE = KeyRule(
    id="KMS061",
    name="eff-transitive-access",
    severity=Severity.MEDIUM,
    summary="a principal can decrypt with the key through roles it can assume",
    help="narrow the trust policies along the chain, or grant the key directly to who needs it",
    check=check,
)
