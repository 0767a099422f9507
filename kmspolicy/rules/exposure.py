"""Who a key-policy statement reaches: can a principal of an untrusted account satisfy it?

The answer comes from the evaluator's own semantics, never from a second reading of the conditions:
we build probe requests from an attacker (a principal in an account outside the zone of trust, with
no organisation or an untrusted one: a made-up one, and, when trusted organizations are configured,
each organization the statement names that is not among them) whose attacker-controlled context
keys (encryption context, algorithm, source IP, transport, time, request alias, via-service,
principal tags, ...) are set to values that satisfy the statement, taken from the policy's own
condition values, while identity keys (caller account, principal account/ARN/org, source
account/ARN, userid, ...) carry the attacker's true values. If `statement_matches` accepts any
probe and no Deny of the policy that depends on identity keys alone matches it, the statement is
exposed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar, cast

from kmspolicy.model import (
    Condition,
    ContextValue,
    Item,
    Key,
    Policy,
    Principal,
    Request,
    Severity,
    Situation,
    Statement,
)
from kmspolicy.rules.framework import PolicyTarget, Trust
from kmspolicy.rules.statements import StatementFacts, text

# Keys whose value is fixed by who the caller is (or which resource is called), so an attacker cannot
# choose them. Every other key is set by the request and the attacker picks a value that passes.
IDENTITY_KEYS: frozenset[str] = frozenset(
    {
        "kms:calleraccount",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalarn",
        "aws:userid",
        "aws:principaltype",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "aws:principalservicenameslist",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:sourceowner",
        "aws:resourceaccount",
        "aws:resourceorgid",
        "aws:resourceorgpaths",
    }
)

# Identity keys that pin the caller to accounts or an organisation (rules 4, 6, 14 look at these).
ACCOUNT_PINNING_KEYS: frozenset[str] = frozenset(
    {
        "kms:calleraccount",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalarn",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:userid",
    }
)

_PRINCIPAL_ORG_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})
_ORG_KEYS = _PRINCIPAL_ORG_KEYS | {"aws:sourceorgid", "aws:sourceorgpaths"}
_SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"})
_ACCOUNT_VALUED = frozenset(
    {"kms:calleraccount", "aws:principalaccount", "aws:sourceaccount", "aws:principalarn", "aws:sourcearn"}
)
_ATTACKER_ACCOUNTS = ("999988887777", "987654321098", "135791357913")
_ATTACKER_ORG = "o-kmspolicyprobe1"
_PROBE_NAME = "kmspolicy-probe"
_WILDCARD = re.compile(r"[*?]")


@dataclass(frozen=True)
class Exposure:
    """A probe request from outside the zone of trust that the statement matches."""

    request: Request
    org: str | None

    @property
    def account(self) -> str:
        return str(self.request.context["kms:CallerAccount"])


def attacker_account(trust: Trust) -> str:
    return next(a for a in _ATTACKER_ACCOUNTS if not trust.trusts_account(a))


def probe_action(facts: StatementFacts) -> str | None:
    """The permission to probe with: Decrypt when covered (the usual prize), else any covered one."""
    actions = facts.kms_actions
    if not actions:
        return None
    return "kms:Decrypt" if "kms:Decrypt" in actions else min(actions)


def key_arn(key: Key | None, trust: Trust) -> str:
    if key is not None and isinstance(key.arn, str) and key.arn.startswith("arn:"):
        return key.arn
    owner = trust.owner or "111122223333"
    return f"arn:aws:kms:us-east-1:{owner}:key/{_PROBE_NAME}"


def find_exposure(
    facts: StatementFacts,
    policy: Policy,
    key: Key | None,
    trust: Trust,
    action: str | None = None,
    denies: Iterable[StatementFacts] = (),
) -> Exposure | None:
    """A probe from an untrusted account that `facts.statement` (an Allow) matches and none of the
    policy's `denies` refuses (a matching Deny wins, §1.6), or None."""
    action = action or probe_action(facts)
    if action is None:
        return None
    # The evaluator is imported only when a statement needs probing; most runs never do.
    from kmspolicy.evaluate import statement_matches

    statement = facts.statement
    # Only Denies decided by who the caller is: the attacker picks every other key's value, and could
    # pick one that the Deny does not match.
    refusing_facts = [d for d in denies if action in d.kms_actions and d.condition_keys <= IDENTITY_KEYS]
    refusing = tuple(d.statement for d in refusing_facts)
    probed = (statement, *refusing)
    resource = key_arn(key, trust)
    keys = facts.condition_keys.union(*(d.condition_keys for d in refusing_facts))
    orgs = _attacker_orgs(probed, trust) if keys & _ORG_KEYS else {None: ()}
    sources = (False, True) if keys & _SOURCE_KEYS else (False,)
    chosen = satisfying_context(statement)
    contexts = (chosen, {}) if chosen else (chosen,)
    # One situation per organization: the evaluator compiles each situation it is given once. The
    # statement alone is matched, so the evaluator gets it alone to compile.
    alone = cut_policy(policy, (statement,))
    situations = {
        org: Situation.trusted(key=key, key_policy=alone, caller_org_id=org, caller_org_paths=paths)
        for org, paths in orgs.items()
    }
    for account in _attacker_accounts(probed, trust):
        for arn in _attacker_arns(statement, account):
            for org, paths in orgs.items():
                situation = situations[org]
                for source in sources:
                    identity = _identity_context(arn, account, org, paths, statement if source else None)
                    for context in contexts:
                        request = Request.trusted(
                            principal=_caller(arn),
                            action=action,
                            resource=resource,
                            context={**context, **identity},
                        )
                        if not statement_matches(statement, alone, request, situation).matched:
                            continue
                        if not any(
                            statement_matches(deny, cut_policy(policy, (deny,)), request, situation).matched
                            for deny in refusing
                        ):
                            return Exposure(request=request, org=org)
    return None


def refused_to(
    arn: str, action: str, policy: Policy, denies: Iterable[StatementFacts], key: Key | None, trust: Trust
) -> bool:
    """Does a Deny of the policy refuse `action` to the principal `arn` (a role or user of another
    account, or that account's root: then any of its principals) whatever else the caller sends? Only
    Denies decided by who the caller is count, as in `find_exposure` (a matching Deny wins, §1.6)."""
    from kmspolicy.evaluate import statement_matches

    account = arn.split(":")[4]
    caller = f"arn:aws:iam::{account}:role/{_PROBE_NAME}" if arn.endswith(":root") else arn
    request = Request.trusted(
        principal=_caller(caller),
        action=action,
        resource=key_arn(key, trust),
        context=_identity_context(caller, account, None, (), None),
    )
    for deny in denies:
        if action in deny.kms_actions and deny.condition_keys <= IDENTITY_KEYS:
            alone = cut_policy(policy, (deny.statement,))
            situation = Situation.trusted(key=key, key_policy=alone)
            if statement_matches(deny.statement, alone, request, situation).matched:
                return True
    return False


# ---------------------------------------------------------------------------------- attacker identity


def _attacker_orgs(statements: tuple[Statement, ...], trust: Trust) -> dict[str | None, tuple[str, ...]]:
    """The organizations to place the attacker in, with its organization paths: none, a made-up one,
    and, when trusted organizations are configured, each one the `aws:PrincipalOrgID` /
    `aws:PrincipalOrgPaths` values of the Allow (the first statement) or of a Deny name that is not
    trusted (a pin to someone else's organization lets every account of it in; a Deny that spares
    it lets it through). Without configured organizations a named one is taken to be the owner's
    own, as `owner_org` does: it cannot be judged."""
    orgs: dict[str | None, tuple[str, ...]] = {
        None: (),
        _ATTACKER_ORG: (f"{_ATTACKER_ORG}/r-probe/ou-probe/",),
    }
    if not trust.orgs:
        return orgs
    conditions = [(c, s.effect == "Deny") for s in statements for c in s.conditions]
    for condition, in_deny in conditions:
        op = condition.operator
        if condition.key_lower not in _PRINCIPAL_ORG_KEYS or op is None or (op.negated and not in_deny):
            continue
        for value in condition.values:
            literal = text(value)
            if literal is None or "${" in literal:
                continue
            org = literal.split("/", 1)[0]
            if _WILDCARD.search(org) or not org.startswith("o-") or trust.trusts_org(org):
                continue
            path = _fill(literal) if "/" in literal else f"{org}/r-probe/ou-probe/"
            orgs[org] = (*orgs.get(org, ()), path)
    return orgs


def _attacker_accounts(statements: tuple[Statement, ...], trust: Trust) -> list[str]:
    """Untrusted accounts to probe from: fixed ones, plus one for each account-id pattern the policy
    writes with a wildcard (`1111222*` is met by some account you do not own), plus each untrusted
    account a Deny names (a Deny that spares it lets it through)."""
    accounts = [attacker_account(trust)]
    for statement in statements:
        for condition in statement.conditions:
            if condition.key_lower not in _ACCOUNT_VALUED or condition.operator is None:
                continue
            for value in condition.values:
                literal = text(value)
                if literal is None:
                    continue
                field = (
                    literal.split(":", 5)[4]
                    if literal.startswith("arn:") and literal.count(":") >= 5
                    else literal
                )
                if _WILDCARD.search(field):
                    candidate = _WILDCARD.sub("9", field.replace("*", "9" * 12))[:12].ljust(12, "9")
                elif statement.effect == "Deny":
                    candidate = field
                else:
                    continue
                if candidate.isdigit() and not trust.trusts_account(candidate) and candidate not in accounts:
                    accounts.append(candidate)
    return accounts


def _attacker_arns(statement: Statement, account: str) -> list[str]:
    """The attacker's role: a default name, plus every role/user name the policy's ARN values spell.

    The attacker chooses names in its own account freely, so `arn:aws:iam::*:role/Deploy` is met by
    a role `Deploy` in the attacker's account.
    """
    arns = [f"arn:aws:iam::{account}:role/{_PROBE_NAME}"]
    for condition in statement.conditions:
        if condition.key_lower not in ("aws:principalarn", "aws:sourcearn"):
            continue
        for value in condition.values:
            literal = text(value)
            if literal is None or not literal.startswith("arn:"):
                continue
            parts = literal.split(":", 5)
            if len(parts) == 6 and parts[2] == "iam" and parts[5].startswith(("role/", "user/")):
                arns.append(f"arn:aws:iam::{account}:{_fill(parts[5])}")
    return arns


def _caller(arn: str) -> str:
    """The request principal for an attacker ARN: a session of a role, or the user itself."""
    parts = arn.split(":", 5)
    if parts[5].startswith("role/"):
        name = parts[5].rsplit("/", 1)[-1]
        return f"arn:aws:sts::{parts[4]}:assumed-role/{name}/{_PROBE_NAME}"
    return arn


def _identity_context(
    arn: str, account: str, org: str | None, paths: tuple[str, ...], source_of: Statement | None
) -> dict[str, ContextValue]:
    """The attacker's true identity keys; `source_of`: also the source keys of a service call it makes."""
    context: dict[str, ContextValue] = {
        "kms:CallerAccount": account,
        "aws:PrincipalAccount": account,
        "aws:PrincipalArn": arn,
        "aws:PrincipalType": "AssumedRole" if ":role/" in arn else "User",
        "aws:userid": f"AROAKMSPOLICYPROBE:{_PROBE_NAME}",
        "aws:PrincipalIsAWSService": "false",
    }
    if org is not None:
        context["aws:PrincipalOrgID"] = org
        context["aws:PrincipalOrgPaths"] = paths
    if source_of is not None:
        context["aws:SourceAccount"] = account
        for condition in source_of.conditions:
            if condition.key_lower == "aws:sourcearn":
                context["aws:SourceArn"] = _attacker_source_arn(condition, account)
                break
    return context


def _attacker_source_arn(condition: Condition, account: str) -> str:
    """A resource ARN in the attacker's account shaped like the policy's value."""
    for value in condition.values:
        literal = text(value)
        if literal is None or not literal.startswith("arn:"):
            continue
        parts = literal.split(":", 5)
        if len(parts) != 6:
            continue
        if parts[4]:
            parts[4] = account
        elif not _WILDCARD.search(parts[5]):
            parts[5] = _PROBE_NAME  # account-less ARN (S3): the attacker cannot own that exact name
        return ":".join(_fill(p) for p in parts)
    return f"arn:aws:s3:::{_PROBE_NAME}"


# ---------------------------------------------------------------------------------- chosen context


def satisfying_context(statement: Statement) -> dict[str, ContextValue]:
    """Attacker-controlled keys set to values that pass the statement's positive conditions.

    Negated and `...IfExists` conditions pass when the key is absent, so they are left out; the second
    probe (empty chosen context) covers statements that only pass with keys absent.
    """
    context: dict[str, ContextValue] = {}
    for condition in statement.conditions:
        if condition.key_lower in IDENTITY_KEYS or condition.key_lower in context:
            continue
        value = _passing_value(condition)
        if value is not None:
            context[condition.key] = value
    return context


def _passing_value(condition: Condition) -> ContextValue | None:
    op = condition.operator
    if op is None or op.negated or op.if_exists:
        return None
    literals = [v for v in condition.values if isinstance(v, str) and "${" not in v]
    if op.family == "Null":
        if any(v.lower() == "false" for v in literals):
            return _PROBE_NAME
        return None
    if not literals:
        return None
    value = _passing_scalar(op.base, op.family, literals[0])
    if value is None:
        return None
    if op.qualifier == "ForAnyValue":
        return (value,)
    if op.qualifier == "ForAllValues":
        return None  # an absent multi-valued key passes ForAllValues vacuously
    return value


def _passing_scalar(base: str, family: str, value: str) -> str | None:
    if family in ("String", "Arn"):
        return _fill(value) if base.endswith("Like") else value
    if family == "IpAddress":
        return value.split("/", 1)[0]
    if family == "Numeric":
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        if base.endswith("LessThan"):
            number -= 1
        elif base.endswith("GreaterThan"):
            number += 1
        return str(number)
    if family == "Date":
        if base.endswith("LessThan"):
            return "1970-01-01T00:00:00Z"
        if base.endswith("GreaterThan"):
            return "2999-12-31T23:59:59Z"
        return value
    return value  # Bool, Binary: the value itself


def _fill(pattern: str) -> str:
    """A string that the glob `pattern` matches: each wildcard replaced by one letter."""
    return _WILDCARD.sub("x", pattern)


# ---------------------------------------------------------------------------------- why it is exposed

Cause = str  # "ifexists-identity" | "wildcard-identity" | "negated-only" | "viaservice-only" | ...


def exposure_cause(facts: StatementFacts) -> tuple[Cause, Condition | None]:
    """Why an exposed statement's conditions fail to keep outsiders out, most specific cause first.

    Rule 1 (`kp-public-principal`) reports every exposed statement; the rule of its cause explains
    the weakness beside it: `ifexists-identity` (rule 6), `wildcard-identity` (rule 4),
    `negated-only` (rule 5), `viaservice-only` (rule 3), `weak-condition` (rule 2). `unpinned` (no
    condition, or an identity pin that still lets outsiders in, such as an untrusted organization) has
    no rule but rule 1.
    """
    conditions = facts.statement.conditions
    for c in conditions:
        # a negated operator already holds on a missing key: there IfExists adds nothing, and the
        # statement is negated-only (rule 5) rather than an IfExists gap
        operator = c.operator
        if (
            c.key_lower in ACCOUNT_PINNING_KEYS
            and operator is not None
            and operator.if_exists
            and not operator.negated
        ):
            return "ifexists-identity", c
    for c in conditions:
        pinning = c.key_lower in ACCOUNT_PINNING_KEYS and c.operator is not None and not c.operator.negated
        if pinning and any(isinstance(v, str) and _WILDCARD.search(v) for v in c.values):
            return "wildcard-identity", c
    if conditions and all(c.operator is not None and c.operator.negated for c in conditions):
        return "negated-only", conditions[0]
    if not any(c.key_lower in ACCOUNT_PINNING_KEYS for c in conditions):
        via = facts.conditions_on("kms:viaservice")
        if via:
            return "viaservice-only", via[0]
        if conditions:
            return "weak-condition", conditions[0]
    return "unpinned", None


def exposed(target: PolicyTarget) -> Iterator[tuple[StatementFacts, Exposure, Cause, Condition | None]]:
    """The key-policy Allow statements an outsider can satisfy, with why (see `exposure_cause`)."""
    if not target.is_key_policy:
        return
    for facts in target.facts:
        exposure = target.exposure(facts)
        if exposure is not None:
            yield facts, exposure, *exposure_cause(facts)


def exposed_statements(
    target: PolicyTarget, cause: Cause
) -> Iterator[tuple[StatementFacts, Exposure, Condition | None]]:
    """The key-policy Allow statements an outsider can satisfy, whose cause is `cause`."""
    for facts, exposure, found, condition in exposed(target):
        if found == cause:
            yield facts, exposure, condition


def is_probe_org(org: str | None) -> bool:
    """Whether `org` is the made-up organization of the probes (rather than one the policy names)."""
    return org == _ATTACKER_ORG


def describe_actions(facts: StatementFacts, exposure: Exposure) -> str:
    """`kms:Decrypt` or `kms:Decrypt` and 3 more, for messages."""
    others = len(facts.kms_actions) - 1
    first = f"`{exposure.request.action}`"
    return first if others <= 0 else f"{first} and {others} more"


def probe_key(key: Key | None, trust: Trust) -> Key:
    """The key to evaluate against: the real one, or a stand-in in the owner account."""
    if key is not None:
        return key
    return _stand_in_key(trust.owner)


@lru_cache(maxsize=1024)
def _stand_in_key(owner: str | None) -> Key:
    # One object per owner: keys are immutable, and most policies linted have no key of their own.
    return Key.trusted(arn=key_arn(None, Trust(owner=owner)), key_id=_PROBE_NAME, account=owner)


_CUTS: dict[tuple[int, tuple[int, ...]], tuple[Policy, Policy]] = {}

_T = TypeVar("_T")

# Owner-side probe answers, by what decides them (see `remembered`).
_REMEMBERED: dict[tuple[object, ...], Any] = {}


def remembered(
    question: str,
    target: PolicyTarget,
    statements: tuple[Statement, ...],
    org: str | None,
    work: Callable[[], _T],
) -> _T:
    """`work()`, a probe of the target's `statements` on behalf of the owner account, remembered across
    policies.

    For probes whose answer depends only on `question`, the statements' content, the policy's kind and
    version, the owner account, the organization placed on the callers and the key, where the key is
    the stand-in (`probe_key` of no key: one per owner). The evaluator compiles each policy object
    anew, yet the key policies of an account repeat the same delegation and perimeter statements:
    equal content gets its answer once. A real key can differ in anything the evaluator reads, so its
    probes are not remembered.
    """
    policy = target.policy
    if target.key is not None:
        return work()
    memo_key = (question, target.trust.owner, org, policy.kind, policy.version, _content(statements))
    try:
        return cast(_T, _REMEMBERED[memo_key])
    except KeyError:
        pass
    if len(_REMEMBERED) > 4096:
        _REMEMBERED.clear()
    found = _REMEMBERED[memo_key] = work()
    return found


def _content(statements: tuple[Statement, ...]) -> tuple[object, ...]:
    """Everything the evaluator reads of statements to decide a request: all but Sids and positions."""

    def items(values: tuple[Item, ...] | None) -> tuple[object, ...] | None:
        return None if values is None else tuple([i.value for i in values])

    def principals(values: tuple[Principal, ...] | None) -> tuple[object, ...] | None:
        return None if values is None else tuple([(p.type, p.value, p.raw) for p in values])

    return tuple(
        [
            (
                s.effect,
                principals(s.principal),
                principals(s.not_principal),
                items(s.action),
                items(s.not_action),
                items(s.resource),
                items(s.not_resource),
                tuple([(c.operator_raw, c.key, c.values) for c in s.conditions]),
            )
            for s in statements
        ]
    )


def cut_policy(policy: Policy, statements: tuple[Statement, ...]) -> Policy:
    """`policy` with only `statements` (in its order), to hand the evaluator fewer statements to compile.

    Compiling every statement of a policy is most of the cost of its first evaluation; a statement's
    match reads only the statement itself, its policy's name and version, and the key. One object per
    choice of statements, as the evaluator compiles a policy once per object and several rules probe
    the same cut.
    """
    if statements is policy.statements:
        return policy
    cache_key = (id(policy), tuple(s.index for s in statements))
    found = _CUTS.get(cache_key)
    if found is not None and found[0] is policy:
        return found[1]
    if len(_CUTS) > 4096:
        _CUTS.clear()
    cut = policy.model_copy(update={"statements": statements})
    _CUTS[cache_key] = (policy, cut)
    return cut


def shortlist(
    target: PolicyTarget, allows: Iterable[StatementFacts], actions: Iterable[str]
) -> tuple[Statement, ...]:
    """Of the target's policy, the Allow statements `allows` and every Deny covering `actions`.

    A cheap first try for an owner-side probe: a request the evaluator allows under it is allowed under
    the whole policy, as the statements left out either do not cover the action (the evaluator reads
    only the ones that do) or are Allows (adding one never revokes).
    """
    wanted = {id(f) for f in allows}
    probed = tuple(actions)
    kept = tuple(
        f.statement
        for f in target.facts
        if id(f) in wanted or (f.deny and any(a in f.kms_actions for a in probed))
    )
    return kept


def owner_org(policy: Policy, trust: Trust) -> str | None:
    """The organization to place the owner account's principals in when probing on their behalf.

    A configured trusted organization, else the first one the policy names in `aws:PrincipalOrgID`: a
    data-perimeter Deny (`StringNotEquals aws:PrincipalOrgID o-...`) names the owner's own
    organization, and probing the owner's principals as if they were in none would find them denied.
    """
    if trust.orgs:
        return min(trust.orgs)
    for statement in policy.statements:
        for condition in statement.conditions:
            if condition.key_lower != "aws:principalorgid":
                continue
            for value in condition.values:
                literal = text(value)
                if literal is not None and not _WILDCARD.search(literal) and "${" not in literal:
                    return literal
    return None


# Operations that reveal nothing secret: verifying a signature, reading the public key or metadata.
_PUBLIC_KEY_ONLY = frozenset({"kms:Verify", "kms:GetPublicKey", "kms:DescribeKey"})


def reduced_severity(facts: StatementFacts) -> Severity | None:
    """Low instead of the rule's default when outsiders can only verify or read the public key."""
    return Severity.LOW if facts.kms_actions <= _PUBLIC_KEY_ONLY else None
