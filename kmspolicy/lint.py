"""The lint driver: every selected rule over every policy, key and grant of the parsed documents.

The owner account of each key is taken, in this order, from the key's ARN, the account snapshot, the
`--account` option, and the account principal of its key policy (unless an unknown principal comes
first, see `_root_principal`). When none is known, one info finding per document says so and no
account is trusted besides the configured ones. A rule that raises on some input becomes an error
finding naming the rule; it never stops the run. The policies of AWS managed keys are not linted:
nobody can change them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence

from kmspolicy.config import LintConfig, apply, matches
from kmspolicy.model import Document, Finding, Grant, Key, Policy, PolicyKind, Severity, Span, Unknown
from kmspolicy.rules import all_rules, loaded
from kmspolicy.rules.framework import (
    DocumentRule,
    DocumentTarget,
    GrantRule,
    GrantTarget,
    KeyRule,
    KeyTarget,
    Options,
    PolicyRule,
    PolicyTarget,
    RuleInfo,
    Target,
    Trust,
)
from kmspolicy.rules.statements import is_account_root, principal_account

OWNER_UNKNOWN = ("KMS013", "xacct-principal")


def lint(
    documents: Sequence[Document],
    *,
    config: LintConfig,
    account: str | None = None,
    options: Options | None = None,
) -> list[Finding]:
    """Run the selected rules over `documents`; findings come back filtered by `config`."""
    chosen = [r for r in all_rules() if _selected(config, r)]
    policy_rules = {
        kind: [r for r in chosen if isinstance(r, PolicyRule) and (r.kinds is None or kind in r.kinds)]
        for kind in PolicyKind
    }
    # A rule's module is imported when some target needs its check (see `kmspolicy.rules`); policy
    # rules are loaded with the applicable ones of each kind of policy.
    has_keys = any(d.keys or d.account is not None for d in documents)
    has_grants = has_keys or any(d.grants for d in documents)
    key_rules = [loaded(r) for r in chosen if isinstance(r, KeyRule)] if has_keys else []
    grant_rules = [loaded(r) for r in chosen if isinstance(r, GrantRule)] if has_grants else []
    document_rules = [loaded(r) for r in chosen if isinstance(r, DocumentRule)]
    opts = options if options is not None else Options.from_config(config)
    findings: list[Finding] = []
    applicable: dict[tuple[PolicyKind, frozenset[str]], list[PolicyRule]] = {}
    trusts: dict[str | None, Trust] = {}  # one zone of trust per owner account
    # The rules allocate many short-lived, acyclic objects. With the collector on, its passes re-walk
    # every document not frozen by `parse_paths` (built by `parse_text` or in code): before the parser
    # froze what it reads, that was half of the first lint of 1,000 documents (1.06 s, 0.48 s paused).
    # Reference counting frees what the rules drop; any cycle waits until the collector is back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for document in documents:
            run = _DocumentRun(document, config, account, opts, findings, trusts)
            run.lint(policy_rules, key_rules, grant_rules, document_rules, applicable)
    finally:
        if collecting:
            gc.enable()
    return apply(config, findings)


def _selected(config: LintConfig, rule: RuleInfo) -> bool:
    if config.select and not any(matches(s, rule.id, rule.name) for s in config.select):
        return False
    return not any(matches(s, rule.id, rule.name) for s in config.ignore)


class _DocumentRun:
    """One document's targets, each run through its rules; findings go straight into `out`."""

    def __init__(
        self,
        document: Document,
        config: LintConfig,
        account: str | None,
        options: Options,
        out: list[Finding],
        trusts: dict[str | None, Trust],
    ) -> None:
        self.document = document
        self.out = out
        self.trusts = trusts
        self.config = config
        self.account = account
        self.options = options
        self.snapshot_account = document.account.account_id if document.account is not None else None
        self.owner_unknown_at: Span | None = None

    # ------------------------------------------------------------------ trust

    def trust(self, owner: str | None, at: Span | None) -> Trust:
        if owner is None and self.owner_unknown_at is None:
            self.owner_unknown_at = at or Span(file=self.document.file, pointer="")
        return self._quiet_trust(owner)

    def key_owner(self, key: Key) -> str | None:
        if key.account:
            return key.account
        if isinstance(key.arn, str):
            found = principal_account(key.arn)
            if found:
                return found
        return self.snapshot_account or self.account or (_root_principal(key.policy) if key.policy else None)

    def policy_owner(self, policy: Policy) -> str | None:
        return self.snapshot_account or self.account or _root_principal(policy)

    # ------------------------------------------------------------------ targets

    def lint(
        self,
        policy_rules: dict[PolicyKind, list[PolicyRule]],
        key_rules: list[KeyRule],
        grant_rules: list[GrantRule],
        document_rules: list[DocumentRule],
        applicable: dict[tuple[PolicyKind, frozenset[str]], list[PolicyRule]],
    ) -> None:
        document, options, out = self.document, self.options, self.out
        seen: set[int] = set()
        for key in self._keys():
            owner = self.key_owner(key)
            trust = self.trust(owner, key.span or (key.policy.span if key.policy else None))
            _run(key_rules, KeyTarget(document, trust, options, key), out)
            if key.policy is not None:
                seen.add(id(key.policy))
            # AWS managed keys have a policy nobody can change: findings on it would not be actionable.
            if key.policy is not None and key.key_manager == "CUSTOMER":
                target = PolicyTarget(document, trust, options, key.policy, key)
                _run(_applicable(policy_rules, target, applicable), target, out)
            for grant in key.grants:
                seen.add(id(grant))
                _run(grant_rules, GrantTarget(document, trust, options, grant, key), out)
        for policy in self._policies():
            if id(policy) in seen:
                continue
            seen.add(id(policy))
            needs_owner = policy.kind is PolicyKind.KEY
            owner = self.policy_owner(policy)
            trust = self.trust(owner, policy.span) if needs_owner else self._quiet_trust(owner)
            target = PolicyTarget(document, trust, options, policy)
            _run(_applicable(policy_rules, target, applicable), target, out)
        for grant in self._grants():
            if id(grant) in seen:
                continue
            seen.add(id(grant))
            owner = principal_account(grant.key_id) or self.snapshot_account or self.account
            trust = self.trust(owner, grant.span)
            _run(grant_rules, GrantTarget(document, trust, options, grant), out)
        if document_rules:
            owner = self.snapshot_account or self.account
            _run(document_rules, DocumentTarget(document, self._quiet_trust(owner), options), out)
        if self.owner_unknown_at is not None and any(
            r.id == OWNER_UNKNOWN[0] for r in policy_rules[PolicyKind.KEY]
        ):
            out.append(
                Finding.trusted(
                    id=OWNER_UNKNOWN[0],
                    rule=OWNER_UNKNOWN[1],
                    severity=Severity.INFO,
                    message="the owner account is unknown, so no account is treated as the key's own",
                    help="pass `--account` with the key owner's account id, or lint `describe-key` output",
                    span=self.owner_unknown_at,
                )
            )

    def _quiet_trust(self, owner: str | None) -> Trust:
        found = self.trusts.get(owner)
        if found is None:
            found = Trust(owner=owner, accounts=self.config.trusted_accounts, orgs=self.config.trusted_orgs)
            self.trusts[owner] = found
        return found

    def _keys(self) -> Iterator[Key]:
        seen: set[int] = set()
        account_keys = self.document.account.keys if self.document.account is not None else ()
        for key in (*self.document.keys, *account_keys):
            if id(key) not in seen:
                seen.add(id(key))
                yield key

    def _policies(self) -> Iterator[Policy]:
        document = self.document
        yield from document.policies
        principals = document.principals + (document.account.principals if document.account else ())
        for entity in principals:
            yield from entity.policies
            if entity.permission_boundary is not None:
                yield entity.permission_boundary
            if entity.trust_policy is not None:
                yield entity.trust_policy
        if document.account is not None:
            for attachment in (*document.account.scps, *document.account.rcps):
                yield attachment.policy

    def _grants(self) -> Iterator[Grant]:
        yield from self.document.grants


def _root_principal(policy: Policy) -> str | None:
    """The account of the first account principal an Allow statement names (the IAM delegation).

    An unknown AWS principal met first (`${AWS::AccountId}:root` before deployment, say) ends the
    search with no owner: it may well be the owner's own principal, and taking a later, known account
    instead would trust a partner as the owner."""
    for statement in policy.statements:
        if statement.effect != "Allow":
            continue
        for principal in statement.principal or ():
            if principal.type == "AWS" and isinstance(principal.value, Unknown):
                return None
            if (
                principal.type == "AWS"
                and isinstance(principal.value, str)
                and is_account_root(principal.value)
            ):
                return principal_account(principal.value)
    return None


def _applicable(
    rules: dict[PolicyKind, list[PolicyRule]],
    target: PolicyTarget,
    known: dict[tuple[PolicyKind, frozenset[str]], list[PolicyRule]],
) -> list[PolicyRule]:
    """The rules that can report on this policy: the ones of its kind whose needs it has.

    Worked out once per kind and set of features: policies of a run share few such sets.
    """
    shape = (target.policy.kind, target.features)
    found = known.get(shape)
    if found is None:
        features = shape[1]
        found = known[shape] = [loaded(r) for r in rules[shape[0]] if r.needs <= features]
    return found


def _run(
    rules: Sequence[PolicyRule] | Sequence[KeyRule] | Sequence[GrantRule] | Sequence[DocumentRule],
    target: Target,
    out: list[Finding],
) -> None:
    for rule in rules:
        start = len(out)
        try:
            # `check` rather than `run`, one call less: this line runs for every rule on every target. Each
            # list runs on its own kind of target, and every rule that runs has a check.
            out.extend(rule.check(target))  # type: ignore[arg-type,misc]
        except Exception as error:  # a rule bug must not end the run; report it where it happened
            del out[start:]  # what the rule yielded before failing is not trusted either
            out.append(
                Finding.trusted(
                    id=rule.id,
                    rule=rule.name,
                    severity=Severity.ERROR,
                    message=f"rule `{rule.name}` failed on this input ({error}); please report this as a bug",
                    span=_span_of(target),
                )
            )


def _span_of(target: Target) -> Span:
    if isinstance(target, PolicyTarget):
        return target.policy.span
    if isinstance(target, KeyTarget) and target.key.span is not None:
        return target.key.span
    if isinstance(target, GrantTarget):
        return target.grant.span
    return Span(file=target.document.file, pointer="")
