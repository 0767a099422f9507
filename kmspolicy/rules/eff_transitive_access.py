"""A principal that cannot decrypt by itself can, by assuming or passing a role that can.

## What it flags
Principals with no `kms:Decrypt` of their own on the key, but a chain of steps to a role that can
decrypt, each step decided by the evaluator: `sts:AssumeRole` (the trust policy and the caller's
identity policies), or passing the role to a service that then runs the principal's code as it
(`iam:PassRole` with `iam:PassedToService` the service, a trust policy admitting the service, and the
principal allowed to create or update the service's compute: `lambda:CreateFunction` or
`lambda:UpdateFunctionConfiguration` for Lambda, `ecs:RegisterTaskDefinition` and `ecs:RunTask` for
ECS tasks, `ec2:RunInstances` or `ec2:AssociateIamInstanceProfile` for EC2; other services are not
followed). One finding per such principal, with the chain in the message, at the statement that lets
the principal into the chain: its own identity-policy statement allowing `sts:AssumeRole` or
`iam:PassRole` where that decided the first step, else the first role's trust-policy statement (the
key-policy statement is the same for every principal and says nothing about the path). Service
principals assuming their own service roles are not reported.

## Why it is risky
Key-policy reviews list the roles named in the key policy. Whoever can become those roles holds the
same access, and trust policies that name a whole account or a CI role widen it unseen.

## Example
A user allowed to assume `Hop1`, which may assume `Hop2`, which may assume `Hop3`; the key policy
names only `Hop3`. Or a user allowed `iam:PassRole` on `DataRole` to `lambda.amazonaws.com` and
`lambda:CreateFunction`, where `DataRole` trusts Lambda and may decrypt.

## Use instead
Narrow the trust policies of the roles that can decrypt (name the principals, require MFA or an
external id), scope `iam:PassRole` to the roles each service needs, or give the key to the principals
that need it directly.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
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
        hops = [s for s in reach.path if s.kind in ("assume", "pass")]
        if not hops or graph.graph.nodes[reach.principal]["kind"] == "service":
            continue
        chain = " -> ".join(
            f"`{label(graph, s.target)}`" + (f" (passed to `{s.via}`)" if s.kind == "pass" else "")
            for s in hops
        )
        how = "by assuming" if all(s.kind == "assume" for s in hops) else "through"
        span, ref = step_span(target, hops[0], prefer="identity")
        yield target.make(
            RULE,
            # the finding points at IAM, not at the key: name the key
            f"`{label(graph, reach.principal)}` can decrypt with key `{label(graph, key)}` {how} {chain}",
            span,
            statement=ref,
        )


RULE = KeyRule(
    id="KMS061",
    name="eff-transitive-access",
    severity=Severity.MEDIUM,
    summary="a principal can decrypt with the key through roles it can assume or pass to a service",
    help="narrow the trust policies and `iam:PassRole` along the chain, or grant the key directly to who"
    " needs it",
    check=check,
)
