"""A key policy under which nobody can run `kms:PutKeyPolicy` any more.

## What it flags
A key policy where no principal it names can change the policy: no `Allow` covers
`kms:PutKeyPolicy`, or every principal that such a statement names is still refused by the evaluator
(a Deny, an unmet condition). The account principal counts: with it, the account's root user and
IAM administrators can manage the key. Principals of other accounts do not: `kms:PutKeyPolicy` is a
same-account operation, so allowing it to an external account or role has no effect.

## Why it is risky
Once such a policy is in place, nobody can fix it; only AWS Support can restore access. KMS rejects
such a policy at `PutKeyPolicy` time unless the lockout safety check is bypassed, and IaC tools
sometimes bypass it.

## Example
```json
{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
  "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}
```

## Use instead
Keep the account principal statement (`"Principal": {"AWS": "arn:aws:iam::111122223333:root"}`,
`"Action": "kms:*"`), or name a key administrator role with `kms:PutKeyPolicy`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
- https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html (lockout safety check)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from kmspolicy.model import Finding, PolicyKind, Request, Severity, Situation, Span, Statement
from kmspolicy.parse.context import pointer_join
from kmspolicy.rules.exposure import (
    cut_policy,
    owner_org,
    probe_key,
    remembered,
    satisfying_context,
    shortlist,
)
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts, is_account_root, principal_account

ACTION = "kms:PutKeyPolicy"


def _callers(value: str, owner: str | None) -> list[str]:
    """Who a principal value stands for, as request principals of the key's own account."""
    if value == "*":
        return [f"arn:aws:sts::{owner or '111122223333'}:assumed-role/kmspolicy-admin/probe"]
    account = principal_account(value)
    if account is None or not _same_account(value, owner):
        return []
    if is_account_root(value):
        return [f"arn:aws:iam::{account}:root"]
    resource = value.split(":", 5)[5] if value.count(":") >= 5 else ""
    if resource.startswith("role/"):
        return [f"arn:aws:sts::{account}:assumed-role/{resource.rsplit('/', 1)[-1]}/probe"]
    return [value]


def _same_account(value: str, owner: str | None) -> bool:
    """Whether a principal value can call `kms:PutKeyPolicy` on the key: only the owner account's can
    (an unknown owner is taken to be the principal's)."""
    return value == "*" or owner is None or principal_account(value) == owner


def _can_admin(situation: Situation, admins: Sequence[StatementFacts], target: PolicyTarget) -> bool:
    """Whether the evaluator allows `kms:PutKeyPolicy` to some principal that `admins` name."""
    from kmspolicy.evaluate import evaluate

    arn = str(situation.key.arn) if situation.key is not None else ""
    for facts in admins:
        context = satisfying_context(facts.statement)
        for _, value in facts.principal_values("AWS"):
            for caller in _callers(value, target.trust.owner):
                request = Request.trusted(principal=caller, action=ACTION, resource=arn, context=context)
                if evaluate(situation, request, trace=False).effect == "ALLOW":
                    return True
    return False


def check(target: PolicyTarget) -> Iterator[Finding]:
    # A statement with a broken Effect or a value unknown before deployment could be the admin one.
    if not target.is_key_policy or any(f.statement.effect is None or f.has_unknowns for f in target.facts):
        return
    owner = target.trust.owner
    admins = [
        f
        for f in target.facts
        if f.allow and f.covers(ACTION) and any(_same_account(v, owner) for _, v in f.principal_values("AWS"))
    ]
    # Without a Deny that covers the action, an unconditioned Allow naming an AWS principal settles it;
    # no need to evaluate.
    denied = any(f.deny and f.covers(ACTION) for f in target.facts)
    if not denied and any(not f.statement.conditions for f in admins):
        return
    key = probe_key(target.key, target.trust)
    org = owner_org(target.policy, target.trust)

    def can_admin(statements: tuple[Statement, ...], admins: Sequence[StatementFacts]) -> Callable[[], bool]:
        def work() -> bool:
            policy = cut_policy(target.policy, statements)
            situation = Situation.trusted(key=key, key_policy=policy, caller_org_id=org)
            return _can_admin(situation, admins, target)

        return work

    plain = [f for f in admins if not f.statement.conditions]
    if plain:
        # Some unconditioned admin, but a Deny may refuse it: first try the shortlist of that admin (the
        # one with the fewest Action entries, cheapest to compile) and the Denies.
        cheapest = min(plain, key=lambda f: len(f.item_actions))
        kept = shortlist(target, (cheapest,), (ACTION,))
        if remembered("lockout-shortlist", target, kept, org, can_admin(kept, (cheapest,))):
            return
    if remembered(
        "lockout", target, target.policy.statements, org, can_admin(target.policy.statements, admins)
    ):
        return
    where = Span(file=target.policy.span.file, pointer=pointer_join(target.policy.span.pointer, "Statement"))
    external = any(
        f.allow and f.covers(ACTION) and not _same_account(v, owner)
        for f in target.facts
        for _, v in f.principal_values("AWS")
    )
    aside = " (it is same-account only: allowing it to another account has no effect)" if external else ""
    yield target.report(
        RULE,
        f"no principal named in this key policy can run `kms:PutKeyPolicy`{aside}: the policy could never "
        "be changed again",
        where,
        None,
    )


RULE = PolicyRule(
    id="KMS016",
    name="kp-lockout-no-admin",
    severity=Severity.HIGH,
    summary="no principal can run `kms:PutKeyPolicy` under this key policy (key lockout)",
    help="keep the account principal statement, or allow a key administrator `kms:PutKeyPolicy`",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
)
