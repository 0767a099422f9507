"""The input allows access that the baseline did not: the CI gate for key and IAM policy changes.

## What it flags
Every (principal, action) on the key that the evaluator allows under the input and denies under the
baseline, for the principals, accounts and actions either version mentions plus any other account;
each with a witness request (principal, action, request context) that shows the difference.
Conditions count: a loosened `StringLike`, a dropped `aws:PrincipalOrgID` or `kms:ViaService` is
new access, and so is `Principal: *` pinned to any organisation (`StringLike aws:PrincipalOrgID o-*`,
`ForAnyValue:StringLike aws:PrincipalOrgPaths o-*/*`) or to one outside the trusted organisations: the
stand-in for other accounts is placed in such an organisation, at a place its path names. One finding
per principal and key, at the statement or grant that allows the first action the message lists now.

An action whose witness needs `kms:GrantIsForAWSResource` (the console's "Allow attachment of persistent
resources": `kms:CreateGrant`, `kms:ListGrants`, `kms:RevokeGrant`) is new access, but only through an
AWS service acting for the principal, never a grant the principal mints for itself: the message lists
such actions apart and says so, after the actions usable directly.

The baseline is the lint configuration's `access_baseline` (a path to the previous snapshot,
template, plan or policy; findings are High). Without one, the baseline is the key's default key
policy (the owner account delegating to IAM, nothing else), and findings are Info: what this key
policy opens beyond AWS's default. `kmspolicy diff OLD NEW` runs the same comparison on any two
inputs and exits 1 when new access appears.

## Why it is risky
A change that looks like a cleanup can open a key: a principal list turned into `*` with a weak
condition, an `Equals` turned into `Like`, a grant without constraints. Reviewing text diffs does not
show who gains what.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, "Action": "kms:Decrypt",
 "Resource": "*", "Condition": {"StringLike": {"kms:EncryptionContext:app": "orders*"}}}
```
(was `StringEquals` `orders`: `orders-archive` is new access)

## Use instead
Review each new access in the change request; keep intended ones, and pin the others with exact
conditions.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-checks-validating-policies.html#access-analyzer-checks-no-new-access
- https://github.com/awslabs/aws-cloudformation-iam-policy-validator
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Account, Finding, Severity
from kmspolicy.parse import parse_paths
from kmspolicy.review.diff import Change, diff
from kmspolicy.review.graph import account_of
from kmspolicy.rules.eff_graph import first_ref, key_graph, key_span, label
from kmspolicy.rules.framework import KeyRule, KeyTarget


def _baseline(target: KeyTarget, current: Account, arn: str) -> tuple[Account, Severity] | None:
    path = target.options.access_baseline
    key = next(k for k in current.keys if k.arn == arn)
    if path is None:
        default = key.model_copy(update={"policy": None, "policy_declared": False})
        return current.model_copy(update={"keys": (default,)}), Severity.INFO
    # read with the lint run's owner account, or the baseline's ARNs lack the account the input's have
    documents = parse_paths([str(path)], account=target.trust.owner or current.account_id).documents
    if not documents:
        return None
    old = account_of(documents[0], account=current.account_id)
    return old.model_copy(update={"keys": tuple(k for k in old.keys if k.arn == arn)}), RULE.severity


def check(target: KeyTarget) -> Iterator[Finding]:
    found = key_graph(target)
    if found is None:
        return
    graph, arn = found
    configured = target.options.access_baseline is not None
    if not configured and graph.keys[arn].key_manager == "AWS":
        return  # AWS writes the policies of its managed keys: comparing them with the default says nothing
    current = graph.account
    baseline = _baseline(target, current, arn)
    if baseline is None:
        return
    old, severity = baseline
    new = current.model_copy(update={"keys": tuple(k for k in current.keys if k.arn == arn)})
    result = diff(
        old,
        new,
        actions=graph.actions,
        trusted_accounts=target.trust.accounts,
        trusted_orgs=target.trust.orgs,
        transitive=False,  # who reaches the key through roles or escalations is eff-transitive-access's
    )
    by_principal: dict[str, list[Change]] = {}
    for change in result.added:
        if change.resource == arn:
            by_principal.setdefault(change.principal, []).append(change)
    for principal, changes in sorted(by_principal.items()):
        # what the principal can call itself first, then what only a service can use for it
        changes.sort(key=lambda c: (_for_aws_resource(c), c.action))
        direct = [c.action for c in changes if not _for_aws_resource(c)]
        through_services = [c.action for c in changes if _for_aws_resource(c)]
        ref = first_ref(changes[0].new.refs)
        span = ref.span if ref is not None and ref.span is not None else key_span(target)
        name = label(graph, principal) if principal in graph.graph else principal
        compared = "compared with the baseline" if configured else "beyond the default key policy"
        gains = _listed(direct)
        if through_services:
            limited = f"{_listed(through_services)} for AWS resources only (`kms:GrantIsForAWSResource`)"
            gains = f"{gains}, and {limited}" if gains else limited
        yield target.make(
            RULE,
            f"`{name}` gains {gains} on this key {compared}",
            span,
            statement=ref,
            severity=severity,
        )


def _for_aws_resource(change: Change) -> bool:
    """Whether the new access holds only for grants an AWS service creates for the principal."""
    value = change.witness.context.get("kms:grantisforawsresource")
    return isinstance(value, str) and value.lower() == "true"


def _listed(actions: list[str]) -> str:
    return ", ".join(f"`{a}`" for a in actions[:4]) + (" and more" if len(actions) > 4 else "")


RULE = KeyRule(
    id="KMS063",
    name="eff-new-access",
    severity=Severity.HIGH,
    summary="the input allows access to the key that the baseline did not",
    help="review each new access; `kmspolicy diff OLD NEW` shows a witness request for each",
    check=check,
)
