"""An identity policy that allows `kms:Decrypt` (or `kms:ReEncryptFrom`) on every key.

## What it flags
An identity-policy `Allow` covering `kms:Decrypt` or `kms:ReEncryptFrom` whose `Resource` reaches
every key (`*`, `arn:aws:kms:*:*:key/*`, `arn:aws:kms:*:111122223333:key/*`). When a condition
narrows it (`kms:ViaService`, `kms:EncryptionContext:*`, `kms:EncryptionContextKeys`,
`aws:ResourceTag/*`, `kms:ResourceAliases`, `kms:RequestAlias`), the severity drops to low.
Statements that grant all of KMS are left to KMS034/KMS041. An action that an unconditional `Deny` of
the same policy refuses on every key but a few (`"NotResource": "<key ARN>"`) does not reach every key
and is not reported: explicit deny wins.

## Why it is risky
The principal can decrypt anything encrypted under any key whose key policy delegates to its
account, and under other accounts' keys that trust it: one compromised role reads every secret.

## Example
```json
{"Effect": "Allow", "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}
```

## Use instead
List the key ARNs, or narrow with `kms:ViaService` / `kms:EncryptionContext:*` conditions.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html
- AWS Security Hub KMS.1, KMS.2; prowler iam_policy_no_kms_decryption_actions
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.resources import confined_by_deny, unscoped
from kmspolicy.rules.statements import all_kms_actions

_DECRYPTING = frozenset({"kms:Decrypt", "kms:ReEncryptFrom"})
_NARROWING = ("kms:viaservice", "kms:encryptioncontextkeys", "kms:resourcealiases", "kms:requestalias")


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    everything = all_kms_actions()
    for facts in target.facts:
        if not facts.allow or facts.kms_actions == everything:
            continue
        actions = facts.kms_actions & _DECRYPTING
        if actions and "deny" in target.features:
            actions -= confined_by_deny(target.facts, actions)
        reach = unscoped(facts) if actions else None
        if reach is None:
            continue
        narrowed = bool(
            facts.conditions_on(*_NARROWING)
            or facts.conditions_with_prefix("kms:encryptioncontext:")
            or facts.conditions_with_prefix("aws:resourcetag/")
        )
        value, span = reach
        names = " and ".join(f"`{a}`" for a in sorted(actions))
        yield target.report(
            RULE,
            f"{names} allowed on every key (`{value}`)" + (", narrowed by conditions" if narrowed else ""),
            span,
            facts.statement,
            severity=Severity.LOW if narrowed else None,
        )


RULE = PolicyRule(
    id="KMS033",
    name="iam-decrypt-all-keys",
    severity=Severity.MEDIUM,
    summary="identity policy allows `kms:Decrypt` / `kms:ReEncryptFrom` on every key",
    help="list the key ARNs, or narrow with `kms:ViaService` / encryption-context conditions",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
