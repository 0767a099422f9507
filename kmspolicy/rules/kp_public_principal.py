"""An Allow to every AWS principal (`"*"`) that nothing pins to your accounts or organization.

## What it flags
A key-policy `Allow` statement whose principal is `"*"`, `{"AWS": "*"}` or a list containing `"*"`,
where no condition keeps callers from other accounts out. kmspolicy decides this with the evaluator:
it builds a request from a principal in an untrusted account and the statement still matches, and no
Deny of the same policy refuses it. Only Denies decided by who the caller is count (a data-perimeter
`StringNotEquals aws:PrincipalOrgID`, `kms:CallerAccount`): a Deny on a key the caller sets, such as
an encryption context, can be stepped around.
Every such statement is reported here, whatever its conditions; when they are weak in a recognisable
way, the rule of that weakness (KMS002 to KMS006) reports the same statement beside this one, to say
which condition fails.

An `aws:PrincipalOrgID` / `aws:PrincipalOrgPaths` pin counts only for a trusted organization: when
trusted organizations are configured (`--trusted-org`), a statement pinned to another one is
reported, as every account of that organization can use the key. Without configured organizations
a pinned organization is taken to be your own and the statement is not reported.
When outsiders can only verify signatures or read the public key (`kms:Verify`, `kms:GetPublicKey`,
`kms:DescribeKey`), the finding is low.

## Why it is risky
In a key policy, `"*"` means every principal of every AWS account. Any account whose IAM policies
allow the action can use the key: decrypt your data, or create grants when the statement lists
`kms:CreateGrant`.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
```

## Use instead
Name the principals, or keep `"*"` and pin the caller with `kms:CallerAccount`,
`aws:PrincipalAccount` or `aws:PrincipalOrgID` set to accounts or an organization you trust:
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}
```

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
- AWS Security Hub KMS.5; checkov CKV_AWS_33; prowler kms_key_not_publicly_accessible
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.exposure import describe_actions, exposed, is_probe_org, reduced_severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

# The rule that explains each cause of exposure beside this one (see `exposure_cause`).
_CAUSE_RULES = {
    "ifexists-identity": "cond-ifexists-identity-key",
    "wildcard-identity": "cond-wildcard-identity-value",
    "negated-only": "cond-negated-only",
    "viaservice-only": "kp-viaservice-only",
    "weak-condition": "kp-public-weak-condition",
}


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts, exposure, cause, _ in exposed(target):
        actions = describe_actions(facts, exposure)
        if exposure.org is not None and not is_probe_org(exposure.org):
            message = (
                f"principal `*` lets every account of organization `{exposure.org}` use this key "
                f"({actions}); that organization is not among the trusted ones"
            )
        else:
            conditions = facts.statement.conditions
            # the keys tested, so that the message stands without the cause rule's finding beside it
            keys = ", ".join(f"`{k}`" for k in dict.fromkeys(c.key for c in conditions))
            qualifier = f"its conditions on {keys} do not pin" if conditions else "no condition pins"
            explained = f" (see `{_CAUSE_RULES[cause]}`)" if cause in _CAUSE_RULES else ""
            message = (
                f"principal `*` lets any AWS account use this key ({actions}); {qualifier} the caller to "
                f"trusted accounts or an organization{explained}"
            )
        span = facts.wildcard_principals[0].span
        yield target.report(RULE, message, span, facts.statement, severity=reduced_severity(facts))


RULE = PolicyRule(
    id="KMS001",
    name="kp-public-principal",
    severity=Severity.CRITICAL,
    summary="key policy allows `*` with no condition pinning the caller to trusted accounts or organizations",
    help=(
        "name the principals, or add `kms:CallerAccount` / `aws:PrincipalOrgID` conditions with "
        "trusted values"
    ),
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"wildcard-principal"}),
)
