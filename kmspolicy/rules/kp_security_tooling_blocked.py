"""A key policy that security tooling in the owner account cannot read.

## What it flags
A key policy under which the IAM Access Analyzer service-linked role of the owner account (standing
in for every auditor that reads keys through IAM) cannot call `kms:DescribeKey`,
`kms:GetKeyPolicy` and `kms:ListGrants`, even with an IAM policy that allows them: the policy
neither delegates these actions to the account nor names the role. The evaluator decides, with the
role's IAM permissions in place.

## Why it is risky
Access Analyzer then reports an `ACCESS_DENIED` error instead of findings, and other scanners (Security
Hub, Prowler, ScoutSuite) skip the key: a blind spot exactly where someone restricted the policy by
hand.

## Example
```json
{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, "Action": "kms:*",
  "Resource": "*"}]}
```

## Use instead
Keep the account principal statement, or at least allow the account (or the auditor roles)
`kms:DescribeKey`, `kms:GetKeyPolicy`, `kms:List*` and `kms:Get*`.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html#access-analyzer-kms-key
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings-errors.html
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from kmspolicy.model import Finding, Key, Policy, PolicyKind, Request, Severity, Situation, Span, Statement
from kmspolicy.parse.context import ReadContext, pointer_join
from kmspolicy.rules.exposure import cut_policy, owner_org, probe_key, remembered, shortlist
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import is_account_root, principal_account

READ = ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants")
_READ = frozenset(READ)
_ROLE = "AWSServiceRoleForAccessAnalyzer"
# The service-linked role's path: its sessions' `aws:PrincipalArn` carries it, which the session ARN
# (and so the evaluator's derivation) leaves out.
_ROLE_PATH = "/aws-service-role/access-analyzer.amazonaws.com/"


@cache
def _auditor_policy() -> Policy:
    """The IAM side of the service-linked role: it may read every key.

    One object for the whole run: the evaluator compiles a policy once per object. Read by the parser,
    like any policy, so it has the nodes and positions every policy has.
    """
    from kmspolicy.parse.policy import read_policy
    from kmspolicy.parse.source import SourceSet

    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(READ), "Resource": "*"}],
    }
    policy = read_policy(
        document,
        ReadContext(file="<access-analyzer-role>", sources=SourceSet()),
        "",
        kind=PolicyKind.IDENTITY,
        name=_ROLE,
    )
    assert policy is not None  # a fixed, valid document
    return policy


def _blocked(situation: Situation, owner: str, statements: tuple[Statement, ...]) -> _Blocked:
    """The reads the evaluator refuses the Access Analyzer role of `owner` under `situation`, and the
    place in `statements` of the first Deny that refuses one (None when none is denied explicitly)."""
    from kmspolicy.evaluate import evaluate

    caller = f"arn:aws:sts::{owner}:assumed-role/{_ROLE}/access-analyzer"
    context = {"aws:PrincipalArn": f"arn:aws:iam::{owner}:role{_ROLE_PATH}{_ROLE}"}
    arn = str(situation.key.arn) if situation.key is not None else ""
    blocked: list[str] = []
    deny: int | None = None
    for action in READ:
        request = Request.trusted(principal=caller, action=action, resource=arn, context=context)
        decision = evaluate(situation, request, trace=False)
        if decision.effect == "ALLOW":
            continue
        blocked.append(action)
        if deny is None and decision.effect == "EXPLICIT_DENY":
            indexes = [r.index for r in decision.determining if r.layer == "key_policy"]
            deny = next((i for i, s in enumerate(statements) if s.index in indexes), None)
    return blocked, deny


# The refused reads, and which of the probed statements is the Deny that refuses one.
_Blocked = tuple[list[str], int | None]


def _blocked_under(
    question: str, statements: tuple[Statement, ...], key: Key, target: PolicyTarget, org: str | None
) -> _Blocked:
    owner = str(target.trust.owner)

    def blocked() -> _Blocked:
        policy = cut_policy(target.policy, statements)
        situation = Situation.trusted(
            key=key, key_policy=policy, identity_policies=(_auditor_policy(),), caller_org_id=org
        )
        return _blocked(situation, owner, statements)

    return remembered(question, target, statements, org, blocked)


def check(target: PolicyTarget) -> Iterator[Finding]:
    owner = target.trust.owner
    unsure = any(f.statement.effect is None or f.has_unknowns for f in target.facts)
    if not target.is_key_policy or owner is None or unsure:
        return
    delegating = [
        f
        for f in target.facts
        if f.allow
        and f.kms_actions >= _READ
        and any(is_account_root(v) and principal_account(v) == owner for _, v in f.principal_values("AWS"))
    ]
    # The usual case settles without evaluating: an unconditioned delegation and no Deny of these actions.
    denied = any(f.deny and not _READ.isdisjoint(f.kms_actions) for f in target.facts)
    if not denied and any(not f.statement.conditions for f in delegating):
        return
    key = probe_key(target.key, target.trust)
    org = owner_org(target.policy, target.trust)
    plain = [f for f in delegating if not f.statement.conditions]
    if plain:
        # An unconditioned delegation, but a Deny may refuse the auditor: first try the shortlist of that
        # delegation (the one with the fewest Action entries, cheapest to compile) and the Denies.
        cheapest = min(plain, key=lambda f: len(f.item_actions))
        kept = shortlist(target, (cheapest,), READ)
        if not _blocked_under("tooling-shortlist", kept, key, target, org)[0]:
            return
    statements = target.policy.statements
    blocked, deny = _blocked_under("tooling", statements, key, target, org)
    if not blocked:
        return
    refused = ", ".join(f"`{a}`" for a in blocked)
    if deny is not None:
        # A Deny refuses the auditor: point at it, as the fix is there (an exception for the role).
        statement = statements[deny]
        yield target.report(
            RULE,
            f"this Deny refuses {refused} to auditors in account `{owner}`, IAM Access Analyzer included: "
            "the key is a blind spot for security tooling",
            statement.span,
            statement,
        )
        return
    where = Span(file=target.policy.span.file, pointer=pointer_join(target.policy.span.pointer, "Statement"))
    yield target.report(
        RULE,
        f"auditors in account `{owner}`, IAM Access Analyzer included, cannot {refused} under this key "
        "policy: the key is a blind spot for security tooling",
        where,
        None,
    )


RULE = PolicyRule(
    id="KMS025",
    name="kp-security-tooling-blocked",
    severity=Severity.LOW,
    summary="key policy does not let Access Analyzer / auditors read key metadata",
    help="delegate `kms:DescribeKey`, `kms:GetKeyPolicy` and `kms:List*` to the account principal",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
)
