"""`Resource: "*"` in an identity policy for KMS actions that accept key ARNs.

## What it flags
An identity-policy `Allow` with `"Resource": "*"` whose KMS actions could be scoped to key ARNs. Never
reported for key policies (where `*` means "this key") and never for actions that require `*`
(`kms:CreateKey`, `kms:List*`, `kms:GenerateRandom`, custom key store actions). Statements giving all
of KMS, or `kms:Decrypt`, are reported by their more specific rules instead.

## Why it is risky
`*` reaches every key of every account that trusts yours, including keys created later. Naming the
keys keeps a policy's reach reviewable.

## Example
```json
{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"], "Resource": "*"}
```

## Use instead
`"Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-..."`, or an account-scoped pattern
with a condition on `aws:ResourceTag` / `kms:ResourceAliases`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html
- parliament RESOURCE_STAR; checkov CKV_AWS_355/356 (and their false positives on key policies)
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy import catalog
from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import all_kms_actions

_ELSEWHERE = frozenset({"kms:Decrypt", "kms:ReEncryptFrom"})  # KMS033


def _keyed(action: str) -> bool:
    info = catalog.action(action)
    return info is not None and not info.key_less


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    everything = all_kms_actions()
    for facts in target.facts:
        if not facts.allow or facts.kms_actions == everything or facts.kms_actions & _ELSEWHERE:
            continue
        keyed = sorted(a for a in facts.kms_actions if _keyed(a))
        star = next((i for i in facts.statement.resource or () if i.value == "*"), None)
        if not keyed or star is None:
            continue
        yield target.report(
            RULE,
            f"`Resource` `*` for {', '.join(f'`{a}`' for a in keyed[:3])}{' ...' if len(keyed) > 3 else ''}, "
            "which can be scoped to key ARNs",
            star.span,
            facts.statement,
        )


RULE = PolicyRule(
    id="KMS088",
    name="syn-resource-star-unneeded",
    severity=Severity.LOW,
    summary="`Resource: *` on identity-policy KMS actions that accept key ARNs",
    help="name the key ARNs (or an account-scoped key pattern)",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
