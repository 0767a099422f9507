"""What a rule is and what its check sees.

A rule module declares one `Rule` (`PolicyRule`, `KeyRule`, `GrantRule`, `DocumentRule` by what it
inspects, or `ParserRule` when the parser itself reports the problem) and a pure `check(target)` that yields
findings. The target carries the policy, key or grant, the document it came from, the zone of trust
(owner account, trusted accounts and organisations) and the configured thresholds. Facts that several
rules need about a statement are computed once per policy (`PolicyTarget.facts`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmspolicy.model import (
    Document,
    Finding,
    Grant,
    Key,
    Policy,
    PolicyKind,
    Severity,
    Span,
    Statement,
    StatementRef,
)
from kmspolicy.rules.statements import StatementFacts, policy_features

if TYPE_CHECKING:
    from kmspolicy.rules.exposure import Exposure

# The layer name a finding's StatementRef carries for each kind of policy.
LAYERS: dict[PolicyKind, str] = {
    PolicyKind.KEY: "key_policy",
    PolicyKind.IDENTITY: "identity",
    PolicyKind.TRUST: "trust",
    PolicyKind.BOUNDARY: "boundary",
    PolicyKind.SESSION: "session",
    PolicyKind.SCP: "scp",
    PolicyKind.RCP: "rcp",
}


@dataclass(frozen=True)
class Trust:
    """The zone of trust: the owner account plus configured trusted accounts and organisations.

    `owner` is None when no input said which account owns the key; then no account is trusted except
    the configured ones, so every named account reads as external.
    """

    owner: str | None
    accounts: frozenset[str] = frozenset()
    orgs: frozenset[str] = frozenset()

    def trusts_account(self, account: str) -> bool:
        return account == self.owner or account in self.accounts

    def trusts_org(self, org: str) -> bool:
        return org in self.orgs


@dataclass(frozen=True)
class Options:
    """Thresholds that some rules read; `from_config` takes them from the lint configuration."""

    rotation_period_max_days: int = 365
    deletion_window_min_days: int = 30
    grant_max_age_days: int | None = None
    required_tags: tuple[str, ...] = ()
    cmk_required_for: tuple[str, ...] = ()  # resource types (globs) that must use a customer managed key
    golden_pcrs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    decrypt_allowlist: tuple[str, ...] | None = None
    denied_actions: tuple[str, ...] | None = None
    access_baseline: Path | None = None
    now: str | None = None  # ISO date used for age thresholds; None means today

    @classmethod
    def from_config(cls, config: Any) -> Options:
        # LintConfig may not carry every threshold; a missing one keeps the catalogue default.
        defaults = cls()
        golden = getattr(config, "golden_pcrs", None) or {}
        return cls(
            rotation_period_max_days=int(
                getattr(config, "rotation_period_max_days", None) or defaults.rotation_period_max_days
            ),
            deletion_window_min_days=int(
                getattr(config, "deletion_window_min_days", None) or defaults.deletion_window_min_days
            ),
            grant_max_age_days=getattr(config, "grant_max_age_days", None),
            required_tags=tuple(getattr(config, "required_tags", None) or ()),
            cmk_required_for=tuple(getattr(config, "cmk_required_for", None) or ()),
            golden_pcrs={str(k).lower(): tuple(str(v) for v in vs) for k, vs in dict(golden).items()},
            decrypt_allowlist=getattr(config, "decrypt_allowlist", None),
            denied_actions=getattr(config, "denied_actions", None),
            access_baseline=getattr(config, "access_baseline", None),
        )


@dataclass
class Target:
    """What every check sees besides its own subject."""

    document: Document
    trust: Trust
    options: Options

    def make(
        self,
        rule: RuleInfo,
        message: str,
        span: Span,
        *,
        statement: StatementRef | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        return Finding.trusted(
            id=rule.id,
            rule=rule.name,
            severity=severity if severity is not None else rule.severity,
            message=message,
            help=rule.help,
            span=span,
            statement=statement,
        )


@dataclass
class PolicyTarget(Target):
    policy: Policy
    key: Key | None = None  # the key whose policy this is, when it is a key policy
    facts: tuple[StatementFacts, ...] = field(init=False, repr=False)
    """Facts about each statement, in order (see `StatementFacts`)."""
    features: frozenset[str] = field(init=False, repr=False)
    """What the policy contains (`kmspolicy.rules.statements.FEATURES`), for the rules' `needs`."""
    _exposures: dict[int, Exposure | None] = field(default_factory=dict, init=False, repr=False)
    _refs: dict[int, StatementRef] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # Every target needs both (the driver picks its rules by the features), so they are worked out
        # here rather than behind a lazily cached property, which costs more to look up than to fill.
        self.facts = tuple([StatementFacts(s) for s in self.policy.statements])
        self.features = policy_features(self.facts)

    @property
    def layer(self) -> str:
        return LAYERS[self.policy.kind]

    @property
    def is_key_policy(self) -> bool:
        return self.policy.kind is PolicyKind.KEY

    @property
    def is_identity_like(self) -> bool:
        """Identity, boundary and session policies: no Principal, resources are ARNs."""
        return self.policy.kind in (PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION)

    def exposure(self, facts: StatementFacts) -> Exposure | None:
        """A probe from outside the zone of trust that this key-policy Allow matches and no Deny of
        the policy refuses (cached).

        Only Allow statements with a wildcard principal are probed; every other statement names its
        principals and the cross-account rules judge them by name.
        """
        index = facts.statement.index
        if index not in self._exposures:
            found = None
            if self.is_key_policy and facts.allow and facts.wildcard_principals:
                from kmspolicy.rules.exposure import find_exposure

                denies = [f for f in self.facts if f.deny]
                found = find_exposure(facts, self.policy, self.key, self.trust, denies=denies)
            self._exposures[index] = found
        return self._exposures[index]

    def ref(self, statement: Statement) -> StatementRef:
        """The statement's reference, built once: most findings of a policy point at few statements."""
        found = self._refs.get(statement.index)
        if found is None:
            found = StatementRef.trusted(
                layer=self.layer,
                policy=self.policy.name,
                sid=statement.sid,
                index=statement.index,
                span=statement.span,
            )
            self._refs[statement.index] = found
        return found

    def report(
        self,
        rule: RuleInfo,
        message: str,
        span: Span,
        statement: Statement | None,
        *,
        severity: Severity | None = None,
    ) -> Finding:
        ref = self.ref(statement) if statement is not None else None
        return self.make(rule, message, span, statement=ref, severity=severity)


@dataclass
class KeyTarget(Target):
    key: Key


@dataclass
class GrantTarget(Target):
    grant: Grant
    key: Key | None = None

    def report(
        self, rule: RuleInfo, message: str, span: Span, *, severity: Severity | None = None
    ) -> Finding:
        ref = StatementRef.trusted(layer="grant", grant_id=self.grant.grant_id, span=self.grant.span)
        return self.make(rule, message, span, statement=ref, severity=severity)


# No fields of its own, so no decorator: it inherits the generated methods instead of compiling
# copies of them at every start.
class DocumentTarget(Target):
    """A whole document, for rules over what no policy, key or grant holds (`Document.consumers`)."""


@dataclass(frozen=True)
class RuleInfo:
    """Metadata of a rule. `doc` is filled from the rule module's docstring at registration."""

    id: str
    name: str
    severity: Severity
    summary: str
    help: str
    doc: str = ""
    module: str = ""


PolicyCheck = Callable[[PolicyTarget], Iterable[Finding]]
KeyCheck = Callable[[KeyTarget], Iterable[Finding]]
GrantCheck = Callable[[GrantTarget], Iterable[Finding]]
DocumentCheck = Callable[[DocumentTarget], Iterable[Finding]]


@dataclass(frozen=True)
class PolicyRule(RuleInfo):
    """Runs over every policy: key policies (with their key), identity, boundary, session, SCP, RCP.

    `kinds` limits the rule to some policy kinds; the driver then does not call it for the others.
    `needs` names the policy features (`kmspolicy.rules.statements.FEATURES`, or `condition:` and a
    key) without all of which the rule cannot report; the driver does not call it on other policies.
    A rule that reports something missing from the policy needs nothing.
    """

    check: PolicyCheck | None = None
    kinds: frozenset[PolicyKind] | None = None
    needs: frozenset[str] = frozenset()

    def run(self, target: PolicyTarget) -> Iterable[Finding]:
        assert self.check is not None
        return self.check(target)


@dataclass(frozen=True)
class KeyRule(RuleInfo):
    """Runs over every key (its configuration; its policy is reachable through `key.policy`)."""

    check: KeyCheck | None = None

    def run(self, target: KeyTarget) -> Iterable[Finding]:
        assert self.check is not None
        return self.check(target)


@dataclass(frozen=True)
class GrantRule(RuleInfo):
    """Runs over every grant, attached to a known key or not."""

    check: GrantCheck | None = None

    def run(self, target: GrantTarget) -> Iterable[Finding]:
        assert self.check is not None
        return self.check(target)


@dataclass(frozen=True)
class DocumentRule(RuleInfo):
    """Runs once over every document (its `consumers`: resources of other services and their keys)."""

    check: DocumentCheck | None = None

    def run(self, target: DocumentTarget) -> Iterable[Finding]:
        assert self.check is not None
        return self.check(target)


class ParserRule(RuleInfo):  # no fields of its own: see DocumentTarget
    """A problem the parser reports while reading (`ReadContext.report`); the lint driver runs nothing."""


Rule = PolicyRule | KeyRule | GrantRule | DocumentRule | ParserRule
