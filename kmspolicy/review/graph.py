"""The access graph of a whole account: who can do what with each key, directly or by a path.

Nodes are principals (users, roles, groups, the owner's root user, one hypothetical principal per
external account named anywhere, as a principal or in a condition on the caller's account, one for the
account's organisation, `*` for any other account, service principals), keys and aliases. The root user
(§1.2) has no IAM policies: an account-principal statement allows it directly; it never assumes roles.
Edges, all decided by `kmspolicy.evaluate` (never by reading a policy a second time):

* `access`   principal -> key: the evaluator allows `action`; `conditions` is the request context that
  made it ALLOW (empty for a plain call) and `refs` the decision's determining statements or grants;
* `assume`   principal -> role: `sts:AssumeRole`, decided natively by the evaluator from the role's
  trust policy and the caller's identity policies (a caller of another account needs both; one of the
  role's account needs only a trust statement naming it), with `refs` labelled `trust`
  (`trust_targets`). AWS refuses `AssumeRole` with root credentials: the owner's root user has no
  `assume` edges, and the graph calls as another account's root user only where a grant names the
  account (below);
* `pass`     principal -> role: the principal can make a service run its code as the role (cat. #61
  "assume/pass a role"): `iam:PassRole` on the role with `iam:PassedToService` the service, the role's
  trust admitting the service, and the service's compute creatable or updatable by the principal
  (`PASS_SERVICES`: Lambda, ECS tasks, EC2; other services are not followed), `via` the service;
  questions walk it as they walk `assume` (`_Builder._passes`);
* `escalate` principal -> key: the principal can obtain `action` it does not hold yet, by `method`
  (`kms:CreateGrant` to itself or to a role it can become, with the constraint a
  `kms:GrantConstraintType` condition asks for (symmetric encryption keys only, §1.5), alone or bundled
  with an operation a `kms:GrantOperations` condition names (`ForAnyValue:`, §2.5); `kms:PutKeyPolicy`
  naming itself and its session, `iam:PutRolePolicy` and friends, or `iam:CreatePolicyVersion` or
  `iam:SetDefaultPolicyVersion` on a customer managed policy in force on itself, its groups or a role it
  can assume (the latter putting one of the policy's other versions in force), `kms:TagResource` /
  `kms:UntagResource` setting a key tag that an ABAC condition asks for, another value or none (which
  lifts a Deny on the value there now), `iam:TagRole` / `iam:UntagRole` (`iam:TagUser` / `iam:UntagUser`)
  changing likewise a tag that an `aws:PrincipalTag` condition tests, on itself or a role it can assume,
  or `kms:CreateAlias` / `kms:UpdateAlias` pointing at the key an alias that a `kms:ResourceAliases` or
  `kms:RequestAlias` condition asks for); the evaluator decides both the enabling calls and the access of
  the changed account (§1.9: whoever can tag/untag or manage aliases can change access);
* `member` user -> group and `alias` alias -> key, for the picture only.

A role calls KMS only through a session of it (§1.3, §2.2): the graph's requests for a role are made as
`arn:aws:sts::<account>:assumed-role/<name>/kmspolicy-session`, with `aws:PrincipalArn` the role ARN, so
that a `Deny` + `NotPrincipal` that does not list the session hits it. A node's edge may hold only for one
principal that it stands for and that a policy or grant names one by one, made as that principal (`caller`
on the edge, None otherwise): a session of a role that a `Principal`, `NotPrincipal` or grantee names by
its session ARN (its name is the choice of whoever assumes the role), or the root user of an account that a
grant names (`arn:aws:iam::<account>:root`: the evaluator reads such a grant as the root user's, §9 q2,
so someone in that account holds it under every reading), or, for `*`, a principal of an account that a
condition on the caller's account admits; escalations are searched for a node's own caller. Every such
principal that holds the action has an edge; questions follow an `assume` edge whose trust needed an
`sts:RoleSessionName` only with the steps of that session or of the role's own caller
(`questions._session_fits`).

External accounts and `*` are hypothetical principals whose own account allows them everything, so
only the key owner's side limits them; their access is `external` unless the account (or for the
organisation node, the organisation) is trusted.

The graph is built for `actions` (`DEFAULT_ACTIONS`); any other action on a key is decided, with its
escalations, when a question asks for it (`AccessGraph.analysed`).

Work is shared: `evaluate_grid` decides once per class of principals that the policies cannot tell
apart, and keys (and roles, as targets of `sts:AssumeRole`) whose policy, grants, tags, aliases and
configuration are equal and that the same IAM `Resource` patterns match are decided once per class; which
users and roles a policy's `Principal` or a grant names one by one does not split a class: those
principals are decided on each key itself.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from kmspolicy.catalog import GRANT_OPERATIONS
from kmspolicy.catalog import action as catalog_action
from kmspolicy.conditions import ArnGlob, Glob
from kmspolicy.evaluate import Subject, Target, compile_policy, evaluate, evaluate_grid, parse_caller
from kmspolicy.model import (
    Account,
    Condition,
    ContextValue,
    Decision,
    Document,
    Grant,
    GrantConstraints,
    IamEntity,
    Item,
    Key,
    Policy,
    PolicyKind,
    PolicyLevel,
    Principal,
    Request,
    Situation,
    Span,
    Statement,
    StatementRef,
    Unknown,
)
from kmspolicy.review.witness import StandIn, contexts_from, controlled, direct

DEFAULT_ACTIONS: tuple[str, ...] = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:Sign",
    "kms:GenerateMac",
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:TagResource",
)
ASSUME = "sts:AssumeRole"
RETIRE = "kms:RetireGrant"
IAM_WRITES_ROLE = ("iam:PutRolePolicy", "iam:AttachRolePolicy")
IAM_WRITES_USER = ("iam:PutUserPolicy", "iam:AttachUserPolicy")
IAM_WRITES_GROUP = ("iam:PutGroupPolicy", "iam:AttachGroupPolicy")
IAM_NEW_POLICY_VERSION = "iam:CreatePolicyVersion"
IAM_SET_DEFAULT_VERSION = "iam:SetDefaultPolicyVersion"
IAM_TAGS_ROLE = ("iam:TagRole", "iam:UntagRole")
IAM_TAGS_USER = ("iam:TagUser", "iam:UntagUser")
IAM_WRITES = (
    *IAM_WRITES_ROLE,
    *IAM_WRITES_USER,
    *IAM_WRITES_GROUP,
    IAM_NEW_POLICY_VERSION,
    IAM_SET_DEFAULT_VERSION,
    *IAM_TAGS_ROLE,
    *IAM_TAGS_USER,
)
KEY_TAG_WRITES = ("kms:TagResource", "kms:UntagResource")
PASS_ROLE = "iam:PassRole"
# What a principal must also be allowed to make a service run code as a role it passes (`_Builder._passes`):
# service principal -> the stand-in resource of the service's compute, and the alternative sets of actions
# on it, each set sufficient. Services not listed here are not followed: the graph has no `pass` edge to
# them (a role passed to CloudFormation, Glue, SageMaker, ... is not reported yet).
PASS_SERVICES: dict[str, tuple[str, tuple[tuple[str, ...], ...]]] = {
    # a new function running as the role, or an existing function switched to it
    "lambda.amazonaws.com": (
        "arn:aws:lambda:{region}:{account}:function:kmspolicy-function",
        (("lambda:CreateFunction",), ("lambda:UpdateFunctionConfiguration",)),
    ),
    # a task definition whose task role is the role, then a task of it
    "ecs-tasks.amazonaws.com": (
        "arn:aws:ecs:{region}:{account}:task-definition/kmspolicy-task",
        (("ecs:RegisterTaskDefinition", "ecs:RunTask"),),
    ),
    # an instance launched with (or given) an instance profile holding the role; the input does not say
    # which roles have an instance profile (the model keeps none), so every role is taken to have one
    "ec2.amazonaws.com": (
        "arn:aws:ec2:{region}:{account}:instance/kmspolicy-instance",
        (("ec2:RunInstances",), ("ec2:AssociateIamInstanceProfile",)),
    ),
}
ANY_PRINCIPAL_NAME = "kmspolicy-any-principal"
SESSION_NAME = "kmspolicy-session"
_WITNESS_LIMIT = 64

NodeKind = Literal["user", "role", "root", "group", "external", "org", "any", "service", "key", "alias"]
EdgeKind = Literal["access", "assume", "pass", "escalate", "member", "alias"]

_SYNTH = Span(file="<kmspolicy>", pointer="")
_ALLOW_ALL = Policy(
    kind=PolicyKind.IDENTITY,
    name="hypothetical: its own account allows everything",
    statements=(
        Statement(
            index=0,
            sid="kmspolicy-hypothetical-allow-all",
            effect="Allow",
            action=(Item(value="*", span=_SYNTH),),
            resource=(Item(value="*", span=_SYNTH),),
            span=_SYNTH,
        ),
    ),
    span=_SYNTH,
)

if TYPE_CHECKING:
    # networkx costs ~90 ms to import; every `kmspolicy lint` registers these rules, few build a graph.
    import networkx as nx


_AddEdge = Callable[["Actor", str, str, Decision, dict[str, ContextValue], "str | None"], None]


@dataclass(frozen=True)
class Actor:
    """A node that makes requests: the request principal and everything in force on it."""

    node: str
    kind: NodeKind
    subject: Subject
    account: str | None
    external: bool
    label: str
    hypothetical: bool = False  # stands for principals the input does not describe (other accounts, `*`)
    # what AWS sets for this caller that its request principal does not say (`_as_session`)
    sent: tuple[tuple[str, str], ...] = ()

    @property
    def principal_arn(self) -> str:
        """`aws:PrincipalArn` of its requests: the role ARN (path included) for a session of a role; what a
        grant or a key policy written by this principal names it by."""
        return dict(self.sent).get("aws:PrincipalArn") or parse_caller(self.subject.principal).principal_arn

    def request(
        self,
        action: str,
        resource: str,
        context: dict[str, ContextValue] | None = None,
        caller: str | None = None,
    ) -> Request:
        """Its request, made as its own principal or as `caller`, one of the principals its node stands for
        that a policy or grant names one by one (`_Builder._callers`): a named session of its role (which
        sends what the role's sessions send) or its account's root user (which sends nothing more)."""
        own = self.sent if caller is None or ":assumed-role/" in caller else ()
        return Request(
            principal=caller or self.subject.principal,
            action=action,
            resource=resource,
            context={**dict(own), **(context or {})},
        )

    @property
    def org_unknown(self) -> bool:
        """Stands for the principals of an account the input does not describe (`*`, an external account):
        which organisation they are in, and where in it, is unknown, so a witness may place them in one
        (`witness.StandIn`)."""
        return self.hypothetical and self.kind in ("any", "external")


@dataclass
class AccessGraph:
    """The graph and what it was built from; `graph` is a networkx MultiDiGraph."""

    graph: nx.MultiDiGraph
    account: Account
    actions: tuple[str, ...]
    actors: dict[str, Actor]
    keys: dict[str, Key]
    targets: dict[str, Target]
    # explained steps, built once per edge (and per role, who assumes it) however many questions walk
    # them (kmspolicy.review.questions)
    steps: dict[tuple[str, str, str], object] = field(default_factory=dict, repr=False)
    # decides more actions on the graph as built (`build_graph`); None: the graph answers `actions` only
    extend: Callable[[tuple[str, ...]], None] | None = field(default=None, repr=False)

    def analysed(self, action: str) -> str:
        """`action` as the graph's edges spell it, decided first if the graph was built without it: any
        action on a key of the catalogue can be asked (`build_graph` decides `DEFAULT_ACTIONS`, the
        rest on demand). Raises `KeyError` (a usage error) for an action the review cannot answer, so
        that no question is answered `nobody` for an action that was never decided."""
        if action in self.actions:
            return action
        info = catalog_action(action)
        if info is not None and info.action in self.actions:
            return info.action
        if info is None or info.key_less:
            raise KeyError(
                f"`{action}` is not an action on a KMS key: the review answers actions on keys only,"
                " such as `kms:Decrypt` or `kms:DescribeKey`"
            )
        if self.extend is None:
            built = ", ".join(self.actions)
            raise KeyError(f"`{info.action}` was not decided for this graph (built for {built})")
        self.extend((info.action,))
        return info.action

    def situation(self, node: str, key_arn: str) -> Situation:
        """The evaluator's situation of `node` calling on `key_arn` (what an access edge was decided in)."""
        return situation_of(self.actors[node].subject, self.targets[key_arn])

    def request(
        self,
        node: str,
        action: str,
        key_arn: str,
        context: dict[str, ContextValue],
        caller: str | None = None,
    ) -> Request:
        """The request of an edge: `context` its `conditions`, `caller` its `caller` (see `Actor.request`)."""
        return self.actors[node].request(action, key_arn, context, caller)

    def edges(self, kind: EdgeKind) -> Iterator[tuple[str, str, dict[str, object]]]:
        for source, target, data in self.graph.edges(data=True):
            if data["kind"] == kind:
                yield source, target, data

    def find_key(self, name: str) -> str | None:
        """A key node by ARN, key id or alias name (`alias/app-data`)."""
        for arn, key in self.keys.items():
            if name in (arn, key.key_id) or name in key.aliases or name.endswith(":" + key.key_id):
                return arn
        return None

    def find_principal(self, name: str) -> str | None:
        """A principal node by ARN, user/role name, account id, service name or `*`."""
        if name in self.actors or name in self.graph:
            return name
        if name.isdigit():
            root = f"arn:aws:iam::{name}:root"
            return root if root in self.actors else None
        for node, actor in self.actors.items():
            if actor.kind in ("user", "role") and node.rsplit("/", 1)[-1] == name:
                return node
        return None


# --------------------------------------------------------------------------- inputs


def account_of(source: Account | Document, *, account: str | None = None) -> Account:
    """An Account for any parsed input: a snapshot's own, or one assembled from keys, principals and
    policies that a template, plan or policy file declares.

    A bare key policy becomes the policy of a key named `policy-under-review`; a bare identity policy
    becomes the policy of a role named `policy-under-review`.
    """
    if isinstance(source, Account):
        return source
    if source.account is not None:
        return source.account
    owner = account or _owner_of(source)
    keys = list(source.keys)
    principals = list(source.principals)
    # a template or plan attaches its policies to its principals; only a bare policy file stands alone
    loose = () if keys or principals else source.policies
    for policy in loose:
        if policy.kind is PolicyKind.KEY:
            keys.append(_review_key(owner, policy))
        elif policy.kind is PolicyKind.IDENTITY:
            principals.append(
                IamEntity(
                    arn=f"arn:aws:iam::{owner}:role/policy-under-review",
                    type="role",
                    name="policy-under-review",
                    account=owner,
                    policies=(policy,),
                )
            )
    if source.grants and keys:
        first = keys[0]
        keys[0] = first.model_copy(update={"grants": (*first.grants, *source.grants)})
    if any(p.kind is PolicyKind.IDENTITY for p in loose) and not keys:
        keys.append(
            Key(
                arn=f"arn:aws:kms:us-east-1:{owner}:key/default-policy-key",
                key_id="default-policy-key",
                account=owner,
                policy_declared=False,
            )
        )
    keys, principals = _placeholders(owner, keys, principals)
    return Account(account_id=owner, principals=tuple(principals), keys=tuple(keys), aliases=source.aliases)


def _placeholders(
    owner: str, keys: list[Key], principals: list[IamEntity]
) -> tuple[list[Key], list[IamEntity]]:
    """Keys a template declares have no ARN before deployment: give each a placeholder ARN, and point the
    template's own references to it (`GetAtt(DataKey.Arn)` in an IAM `Resource`) at that placeholder."""
    refs: dict[str, str] = {}
    placed = []
    for key in keys:
        if isinstance(key.arn, Unknown):
            arn = f"arn:aws:kms:{key.region or 'us-east-1'}:{key.account or owner}:key/{key.key_id}"
            refs[key.arn.expr] = arn
            refs[f"Ref({key.key_id})"] = arn
            key = key.model_copy(update={"arn": arn})
        placed.append(key)
    if not refs:
        return placed, principals

    def resolve(policy: Policy) -> Policy:
        def items(found: tuple[Item, ...] | None) -> tuple[Item, ...] | None:
            if found is None:
                return None
            return tuple(
                i._replace(value=refs[i.value.expr])
                if isinstance(i.value, Unknown) and i.value.expr in refs
                else i
                for i in found
            )

        statements = tuple(
            s.model_copy(update={"resource": items(s.resource), "not_resource": items(s.not_resource)})
            for s in policy.statements
        )
        return policy.model_copy(update={"statements": statements})

    resolved = [e.model_copy(update={"policies": tuple(resolve(p) for p in e.policies)}) for e in principals]
    return placed, resolved


def _review_key(owner: str, policy: Policy) -> Key:
    return Key(
        arn=f"arn:aws:kms:us-east-1:{owner}:key/policy-under-review",
        key_id="policy-under-review",
        account=owner,
        region="us-east-1",
        policy=policy,
    )


def _owner_of(document: Document) -> str:
    for key in document.keys:
        if key.account:
            return key.account
        if isinstance(key.arn, str) and key.arn.count(":") >= 5 and key.arn.split(":")[4]:
            return key.arn.split(":")[4]
    for principal in document.principals:
        return principal.account
    for policy in document.policies:
        for value in _principal_values(policy):
            if value.endswith(":root"):
                return value.split(":")[4]
    return "111122223333"


# --------------------------------------------------------------------------- building

_BY_DOCUMENT: dict[
    tuple[int, frozenset[str], frozenset[str], bool, tuple[str, ...]], tuple[Document, AccessGraph]
] = {}


def graph_for(
    document: Document,
    *,
    trusted_accounts: Iterable[str] = (),
    trusted_orgs: Iterable[str] = (),
    org_policies: bool = True,
    actions: Sequence[str] = DEFAULT_ACTIONS,
) -> AccessGraph:
    """The graph of one parsed document, built once however many rules and keys ask for it.

    With `org_policies=False` the SCPs and RCPs are left out: what the account would allow without them.
    """
    cache_key = (
        id(document),
        frozenset(trusted_accounts),
        frozenset(trusted_orgs),
        org_policies,
        tuple(actions),
    )
    found = _BY_DOCUMENT.get(cache_key)
    if found is not None and found[0] is document:
        return found[1]
    if len(_BY_DOCUMENT) >= 8:
        _BY_DOCUMENT.clear()
    account = account_of(document)
    if not org_policies:
        account = account.model_copy(update={"scps": (), "rcps": ()})
    # the effective-access rules judge the account's IAM principals and other accounts; whether the root
    # user's break-glass access (§1.2) is theirs to report is the rules' call, so it is left out here
    graph = build_graph(
        account,
        trusted_accounts=cache_key[1],
        trusted_orgs=cache_key[2],
        actions=actions,
        root_user=False,
    )
    _BY_DOCUMENT[cache_key] = (document, graph)
    return graph


def actors_of(
    account: Account, *, trusted_accounts: Iterable[str] = (), trusted_orgs: Iterable[str] = ()
) -> tuple[dict[str, Actor], dict[str, Target]]:
    """The graph's principal nodes (as callers) and key targets, without deciding anything."""
    builder = _Builder(account, (), frozenset(trusted_accounts), frozenset(trusted_orgs))
    builder.nodes()
    return builder.actors, builder.targets


def build_graph(
    source: Account | Document,
    *,
    actions: Sequence[str] = DEFAULT_ACTIONS,
    trusted_accounts: Iterable[str] = (),
    trusted_orgs: Iterable[str] = (),
    account: str | None = None,
    escalation: bool = True,
    root_user: bool = True,
) -> AccessGraph:
    """Build the access graph of an account snapshot (or of the resources an input declares).

    `actions` are decided now, any other action on a key when a question asks for it
    (`AccessGraph.analysed`). `root_user`: whether the owner's root user is a node (§1.2)."""
    acct = account_of(source, account=account)
    builder = _Builder(
        acct, tuple(actions), frozenset(trusted_accounts), frozenset(trusted_orgs), root_user=root_user
    )
    builder.run(escalation)
    builder.result.extend = builder.extend
    return builder.result


class _Builder:
    def __init__(
        self,
        account: Account,
        actions: tuple[str, ...],
        trusted: frozenset[str],
        orgs: frozenset[str],
        *,
        root_user: bool = True,
    ) -> None:
        self.account = account
        self.root_user = root_user
        self.owner = account.account_id or "111122223333"
        self.trusted = trusted | {self.owner}
        self.orgs = orgs
        self.stand_in = StandIn(orgs | ({account.org_id} if account.org_id else set()))
        self.scps = org_levels(account.scps, self.owner)
        self.rcps = org_levels(account.rcps, self.owner)
        import networkx as nx

        self.g = nx.MultiDiGraph()
        self.actors: dict[str, Actor] = {}
        self.keys = {str(k.arn): k for k in account.keys if isinstance(k.arn, str)}
        self.targets = {arn: Target(key=k, grants=k.grants, rcps=self.rcps) for arn, k in self.keys.items()}
        self.result = AccessGraph(self.g, account, actions, self.actors, self.keys, self.targets)
        self.actions = actions
        self.held: dict[tuple[str, str], set[str]] = defaultdict(set)  # (node, key) -> actions allowed
        self._situations: dict[tuple[int, int], tuple[Subject, Target, Situation]] = {}
        self._globs: list[tuple[str, ArnGlob]] | None = None
        self._contexts: dict[tuple[object, ...], list[dict[str, ContextValue]]] = {}
        self._classes: dict[
            tuple[int, int], tuple[dict[str, Key], dict[str, Target], dict[str, list[str]]]
        ] = {}
        self._kept: list[object] = []  # changed targets that caches above know by identity
        self._named: dict[int, tuple[Target, NamedOn]] = {}
        self.escalation = False
        self._become: dict[str, list[Actor]] = {}
        self._variables: dict[int, tuple[Policy, bool]] = {}

    # -- nodes

    def run(self, escalation: bool) -> None:
        self.escalation = escalation
        self.nodes()
        self._key_access(self.actions)
        self._trust()
        self._passes()
        if escalation:
            self._escalations(self.actions)
        self._release()

    def _release(self) -> None:
        """Drop the caches of one round of decisions, and what each node holds (the graph's access edges say
        it again): the graph keeps the builder for actions asked later (`extend`), which need not hold a
        whole account's situations, witnesses and holdings meanwhile."""
        self.held.clear()
        for cache in (
            self._situations,
            self._contexts,
            self._classes,
            self._named,
            self._variables,
            self._become,
        ):
            cache.clear()
        self._kept.clear()

    def extend(self, actions: tuple[str, ...]) -> None:
        """Decide `actions` too, with their escalations (those enabled by the actions decided already)."""
        new = tuple(a for a in dict.fromkeys(actions) if a not in self.actions)
        if not new:
            return
        self.actions = self.result.actions = (*self.actions, *new)
        for source, arn, data in self.result.edges("access"):
            self.held[(source, arn)].add(str(data["action"]))
        self._key_access(new)
        if self.escalation:
            self._escalations(new)
        self._release()

    def nodes(self) -> None:
        for entity in self.account.principals:
            if entity.type == "group":
                self.g.add_node(
                    entity.arn, kind="group", label=entity.name, account=entity.account, external=False
                )
                continue
            subject = Subject(
                principal=entity.arn,
                identity_policies=entity.policies,
                permission_boundary=boundary_of(entity),
                scps=self.scps if entity.account == self.owner else None,
                caller_tags=tuple(sorted(entity.tags.items())),
                # the organisation is the owner's: another account's principal is in it only when the
                # input says so, which it cannot yet (§3.3)
                caller_org_id=self.account.org_id if entity.account == self.owner else None,
            )
            self._actor(
                Actor(
                    entity.arn,
                    entity.type,
                    subject,
                    entity.account,
                    entity.account not in self.trusted,
                    entity.name,
                )
            )
        for entity in self.account.principals:
            for group in entity.groups:
                target = next(
                    (p.arn for p in self.account.principals if p.type == "group" and p.name == group), None
                )
                if target is not None:
                    self.g.add_edge(entity.arn, target, kind="member")
        named_accounts: set[str] = set()
        # users and roles by name: a role named with and without its path is one role (§2.2)
        described = {_principal_name(n) for n, a in self.actors.items() if a.kind in ("user", "role")}
        # Where the input describes the account's IAM (a snapshot, a template with roles), a principal of
        # the account that it does not describe has no IAM policy known to give it anything: it has what
        # key policies and grants give it by name. Without IAM in the input, assume its policies allow
        # everything and let the key owner's side decide.
        unknown_iam = () if any(e.type != "group" for e in self.account.principals) else (_ALLOW_ALL,)
        for value, ptype in self._named_principals():
            if ptype == "Service":
                self._actor(Actor(value, "service", Subject(principal=value), None, False, value, True))
                continue
            named = parse_caller(value)
            if named.kind == "session" and named.role_arn is not None:
                value = named.role_arn  # its role's node calls as the session too (`named_callers`)
            parts = value.split(":")
            if len(parts) < 6 or not parts[4].isdigit():
                continue
            if parts[4] == self.owner:
                name = _principal_name(value)
                if name not in described and not value.endswith(":root") and ":iam::" in value:
                    described.add(name)
                    kind: NodeKind = "user" if ":user/" in value else "role"
                    subject = Subject(
                        principal=value,
                        identity_policies=unknown_iam,
                        scps=self.scps,
                        caller_org_id=self.account.org_id,
                    )
                    self._actor(
                        Actor(value, kind, subject, self.owner, False, value.rsplit("/", 1)[-1], True)
                    )
                continue
            named_accounts.add(parts[4])
            if not value.endswith(":root") and ":iam::" in value:
                self._external(value, parts[4], value.rsplit("/", 1)[-1])
        named_accounts |= self._accounts_in_conditions() - {self.owner}
        for other in sorted(named_accounts):
            self._external(
                f"arn:aws:iam::{other}:root",
                other,
                f"any principal in {other}",
                principal=f"arn:aws:iam::{other}:role/{ANY_PRINCIPAL_NAME}",
            )
        known = {self.owner, *named_accounts}
        # the root user has no IAM policies and needs none: an account-principal statement is a direct allow
        # for it (§1.2, §9 q22); SCPs still bind it
        root = f"arn:aws:iam::{self.owner}:root"
        if self.root_user:
            subject = Subject(principal=root, scps=self.scps, caller_org_id=self.account.org_id)
            self._actor(Actor(root, "root", subject, self.owner, False, f"root user of {self.owner}"))
        if not any(e.type != "group" for e in self.account.principals):
            # no IAM in the input (a bare key policy, a template of keys): stand for the owner's principals,
            # each with an identity policy allowing what it asks (the account statement delegates to IAM)
            self._external(
                f"account:{self.owner}",
                self.owner,
                f"any principal in {self.owner} that its IAM policies allow",
                principal=f"arn:aws:iam::{self.owner}:role/{ANY_PRINCIPAL_NAME}",
            )
        if self.account.org_id:
            member = _unused_account(known)
            known.add(member)
            subject = Subject(
                principal=f"arn:aws:iam::{member}:role/{ANY_PRINCIPAL_NAME}",
                identity_policies=(_ALLOW_ALL,),
                caller_org_id=self.account.org_id,
            )
            node = f"org:{self.account.org_id}"
            self._actor(
                Actor(
                    node,
                    "org",
                    subject,
                    member,
                    self.account.org_id not in self.orgs,
                    f"any principal in organisation {self.account.org_id}",
                    True,
                )
            )
        anyone = _unused_account(known)
        subject = Subject(
            principal=f"arn:aws:iam::{anyone}:role/{ANY_PRINCIPAL_NAME}", identity_policies=(_ALLOW_ALL,)
        )
        self._actor(Actor("*", "any", subject, anyone, True, "any principal in any other account", True))
        for arn, key in self.keys.items():
            self.g.add_node(
                arn,
                kind="key",
                label=key.aliases[0] if key.aliases else key.key_id,
                account=key.account,
                external=False,
            )
            for alias in key.aliases:
                self.g.add_node(alias, kind="alias", label=alias, account=key.account, external=False)
                self.g.add_edge(alias, arn, kind="alias")

    def _accounts_in_conditions(self) -> set[str]:
        """The accounts that key and trust policies admit by a condition on the caller's account
        (`Principal: *` with `kms:CallerAccount` or `aws:PrincipalAccount`, §3.1): each gets a stand-in
        like an account named as a principal."""
        policies = (
            *(k.policy for k in self.keys.values()),
            *(e.trust_policy for e in self.account.principals),
        )
        return {a for p in policies if p is not None for a in _caller_accounts(p)}

    def _external(self, node: str, account: str, label: str, *, principal: str | None = None) -> None:
        own = account == self.owner
        subject = Subject(
            principal=principal or node,
            identity_policies=(_ALLOW_ALL,),
            scps=self.scps if own else None,
            caller_org_id=self.account.org_id if own else None,
        )
        self._actor(
            Actor(
                node,
                "role" if own else "external",
                subject,
                account,
                account not in self.trusted,
                label,
                True,
            )
        )

    def _actor(self, actor: Actor) -> None:
        if actor.node in self.actors:
            return
        self.actors[actor.node] = _as_session(actor)
        self.g.add_node(
            actor.node, kind=actor.kind, label=actor.label, account=actor.account, external=actor.external
        )

    def _named_principals(self) -> Iterator[tuple[str, str]]:
        for key in self.keys.values():
            if key.policy is not None:
                yield from _principal_pairs(key.policy)
            for grant in key.grants:
                if isinstance(grant.grantee_principal, str):
                    value = grant.grantee_principal
                    yield value, "AWS" if value.startswith("arn:") or value.isdigit() else "Service"
        for entity in self.account.principals:
            if entity.trust_policy is not None:
                yield from _principal_pairs(entity.trust_policy)

    # -- key access

    def _key_access(self, actions: tuple[str, ...]) -> None:
        # a RetireGrant request names its grant: decided grant by grant (`_retirements`)
        named = tuple(a for a in actions if a != RETIRE)
        self._access(list(self.actors.values()), self.keys, named, self._add_access)
        if RETIRE in actions:
            self._retirements()

    def _retirements(self) -> None:
        """`kms:RetireGrant` names one grant, which decides who may retire it (its grantee if it lists
        `RetireGrant`, its retiring principal, or the root user or IAM of an account that may retire it:
        the issuing account, a retiring account, §1.5); a key policy never allows it. So each grant of each
        key is asked for by the callers it could allow: those it names, and those of those accounts whose
        root user they are or whose identity policies cover the action."""
        by_iam: dict[str | None, list[Actor]] = defaultdict(list)
        for actor in self.actors.values():
            if actor.kind == "root" or _covers(actor, (RETIRE,)):
                by_iam[actor.account].append(actor)
        by_name: dict[str, list[Actor]] = defaultdict(list)
        for actor in self.actors.values():
            by_name[_principal_name(actor.subject.principal)].append(actor)
        for arn, key in self.keys.items():
            target = self.targets[arn]
            callers: dict[str, Actor] = {}
            for grant in key.grants:
                named = (grant.grantee_principal, grant.retiring_principal)
                accounts = {_account_of(v) for v in (grant.issuing_account, grant.retiring_principal)}
                for actor in (
                    *(a for n in named if isinstance(n, str) for a in by_name.get(_principal_name(n), ())),
                    *(a for account in accounts if account for a in by_iam.get(account, ())),
                ):
                    callers[actor.node] = actor
            for actor in callers.values():
                if RETIRE in self.held.get((actor.node, arn), ()):
                    continue
                situation = self._situation_of(actor.subject, target)
                for grant in key.grants:
                    request = actor.request(RETIRE, arn).model_copy(update={"grant_id": grant.grant_id})
                    decision = evaluate(situation, request, trace=False)
                    if decision.effect == "ALLOW":
                        self._add_access(actor, arn, RETIRE, decision, {}, None)
                        break

    def _key_classes(self, keys: dict[str, Key], targets: dict[str, Target]) -> dict[str, list[str]]:
        """Representative key ARN -> the keys it stands for (itself first).

        Keys are alike when everything the evaluator reads about them is equal for the callers that
        neither names one by one: the policy in force (a role's trust policy for role targets), the
        grants, tags, aliases, configuration, RCPs, and which IAM `Resource` patterns match their ARN.
        """
        cached = self._classes.get((id(keys), id(targets)))
        if cached is not None and cached[0] is keys and cached[1] is targets:
            return cached[2]
        if self._globs is None:
            self._globs = [(p, ArnGlob(p)) for p in sorted(self._resource_patterns())]
        classes: dict[tuple[object, ...], list[str]] = {}
        for arn, key in keys.items():
            target = targets[arn]
            matched = tuple(p for p, glob in self._globs if glob.match(arn))
            signature = (
                _policy_print(target.key_policy or key.policy),
                key.policy_declared,
                tuple((g.grant_id, g.grantee_principal) for g in target.grants if not _personal_grant(g)),
                id(target.rcps),
                tuple(sorted(key.tags.items())),
                key.aliases,
                key.account,
                key.region,
                key.key_manager,
                key.key_spec,
                key.key_usage,
                key.origin,
                key.enabled,
                key.key_state,
                key.multi_region,
                matched,
            )
            classes.setdefault(signature, []).append(arn)
        found = {members[0]: members for members in classes.values()}
        self._classes[(id(keys), id(targets))] = (keys, targets, found)
        return found

    def _resource_patterns(self) -> set[str]:
        found: set[str] = set()
        for actor in self.actors.values():
            s = actor.subject
            for policy in (*s.identity_policies, s.permission_boundary):
                for statement in policy.statements if policy is not None else ():
                    for item in (*(statement.resource or ()), *(statement.not_resource or ())):
                        if isinstance(item.value, str) and item.value != "*":
                            found.add(item.value)
        for levels in (self.scps, self.rcps):
            for level in levels or ():
                for policy in level.policies:
                    for statement in policy.statements:
                        for item in (*(statement.resource or ()), *(statement.not_resource or ())):
                            if isinstance(item.value, str) and item.value != "*":
                                found.add(item.value)
        return found

    def _access(
        self,
        actors: list[Actor],
        keys: dict[str, Key],
        actions: Sequence[str],
        add: _AddEdge,
        targets: dict[str, Target] | None = None,
    ) -> None:
        """Decide every actor x key x action, plain context first, then the witness contexts.

        Work units: each class of alike keys is decided once on its representative for every actor; a
        grant to one principal makes that principal's decisions on that key (and on the representative)
        its own, decided on the key itself.
        """
        targets = targets or self.targets
        classes = self._key_classes(keys, targets)
        by_name: dict[str, list[int]] = defaultdict(list)
        for i, a in enumerate(actors):
            by_name[_principal_name(a.subject.principal)].append(i)
        named: dict[str, frozenset[str]] = {}
        for rep, members in classes.items():
            for arn in members:
                # a grant on the representative decides its grantee there, so it is personal everywhere
                named[arn] = _personal_names(targets[arn]) | _personal_names(targets[rep])
        everyone = list(range(len(actors)))
        units: list[tuple[str, list[str], list[int], bool]] = [
            (rep, members, everyone, False) for rep, members in classes.items()
        ]
        for members in classes.values():
            for arn in members:
                own = sorted({i for name in named[arn] for i in by_name.get(name, ())})
                if own:
                    units.append((arn, [arn], own, True))
        names = [_principal_name(a.subject.principal) for a in actors]
        for rep, members, chosen, personal in units:
            self._decide_unit(actors, names, chosen, targets, rep, members, personal, named, actions, add)

    def _decide_unit(
        self,
        actors: list[Actor],
        names: list[str],
        chosen: list[int],
        targets: dict[str, Target],
        rep: str,
        members: list[str],
        personal: bool,
        named: dict[str, frozenset[str]],
        actions: Sequence[str],
        add: _AddEdge,
    ) -> None:
        """One target decided for some actors; the answers hold for every member key of the unit."""
        target = targets[rep]
        subjects = [a.subject for a in actors]

        remapped: dict[tuple[int, str], Decision] = {}
        accepted = {(arn, a) for arn in members for a in actions if applicable(targets[arn].key, a)}
        allowed: set[tuple[int, str]] = set()

        def emit(
            s: int, action: str, decision: Decision, context: dict[str, ContextValue], caller: str | None
        ) -> None:
            allowed.add((s, action))
            name = names[s]
            for arn in members:
                if (arn, action) not in accepted:
                    continue
                if not personal and name in named[arn]:
                    continue  # a grant names this principal: its own unit decides it on this key
                found = remapped.get((id(decision), arn))
                if found is None:
                    found = _remap(decision, target, targets[arn])
                    remapped[(id(decision), arn)] = found
                add(actors[s], arn, action, found, context, caller)

        # what a caller sends besides its principal (a pathed role's `aws:PrincipalArn`) is the grid's
        # context: callers that send the same are decided in one grid
        by_sent: dict[tuple[tuple[str, str], ...], list[int]] = defaultdict(list)
        for i in chosen:
            by_sent[actors[i].sent].append(i)
        grid: dict[tuple[int, str], Decision] = {}
        for sent, alike in by_sent.items():
            decided = evaluate_grid(
                [subjects[i] for i in alike], [target], actions, context=dict(sent) or None
            )
            for (j, _, action), decision in decided.items():
                grid[(alike[j], action)] = decision
        # subjects that evaluate_grid decided together (one Decision object) stay alike under any request
        # context, so a witness found for one of them holds for all
        # (a stand-in whose organisation is unknown has witnesses of its own: kept apart)
        denied: dict[tuple[int, str, bool, object], list[int]] = defaultdict(list)
        for (s, action), decision in grid.items():
            if decision.effect == "ALLOW":
                emit(s, action, decision, {}, None)
            else:
                denied[(id(decision), action, actors[s].org_unknown, actors[s].sent)].append(s)
        for (_, action, _, _), group in denied.items():
            # a policy variable (`${aws:username}`) makes witness values the caller's own: one at a time
            own_values = self._variables_in(actors[group[0]], target)
            for alike in [[s] for s in group] if own_values else [group]:
                actor = actors[alike[0]]
                contexts = self._witness_contexts(actor, target, action)
                situation = self._situation_of(actor.subject, target)
                for context in contexts:
                    request = actor.request(action, rep, context)
                    decision = evaluate(situation, request, trace=False)
                    if decision.effect == "ALLOW":
                        for s in alike:
                            emit(s, action, decision, context, None)
                        break
        # principals of a node that the target names one by one (a session of a role, an account's root
        # user): tried only where the node's own caller is denied
        for s in chosen:
            callers = self._callers(actors[s], target)
            for action in actions if callers else ():
                if (s, action) not in allowed:
                    self._decide_callers(actors[s], s, target, rep, action, callers, emit)

    def _deciding(self, subject: Subject, target: Target) -> tuple[Policy | None, ...]:
        """The policies whose conditions decide `subject` calling on `target`: an SCP or RCP condition can
        be the only one that asks for a value (a Deny unless `aws:SourceVpce` is ...)."""
        org = (*level_policies(subject.scps), *level_policies(target.rcps))
        return (
            target.key_policy or target.key.policy,
            *subject.identity_policies,
            subject.permission_boundary,
            *org,
        )

    def _variables_in(self, actor: Actor, target: Target) -> bool:
        """Whether a condition of the policies deciding `actor` on `target` asks for a value that the caller
        sets with a policy variable in it (`_has_variables`)."""
        found = False
        for policy in self._deciding(actor.subject, target):
            if policy is None:
                continue
            cached = self._variables.get(id(policy))
            if cached is None or cached[0] is not policy:
                cached = self._variables[id(policy)] = (policy, _has_variables(policy))
            found = found or cached[1]
        return found

    def _witness_contexts(self, actor: Actor, target: Target, action: str) -> list[dict[str, ContextValue]]:
        """The witness contexts of `actor` denied `action` on `target` (`_witnesses`), built once for all
        callers with the same policies (and, where a policy variable makes them the caller's own, the same
        principal and tags)."""
        subject = actor.subject
        policies = self._deciding(subject, target)
        personal = bool(target.grants) or self._variables_in(actor, target)
        signature = (
            id(target),
            action,
            (subject.principal, subject.caller_tags) if personal else None,
            actor.org_unknown,
            *(id(p) for p in policies),
        )
        contexts = self._contexts.get(signature)
        if contexts is None:
            stand_in = self.stand_in if actor.org_unknown else None
            contexts = _witnesses(
                policies,
                target.grants,
                action,
                subject.principal,
                target.key.aliases,
                stand_in,
                dict(subject.caller_tags),
            )
            self._contexts[signature] = contexts
        return contexts

    def _callers(self, actor: Actor, target: Target) -> tuple[str, ...]:
        cached = self._named.get(id(target))
        if cached is None or cached[0] is not target:
            cached = self._named[id(target)] = (target, named_on(target, self.owner))
        return named_callers(actor, cached[1])

    def _decide_callers(
        self,
        actor: Actor,
        s: int,
        target: Target,
        rep: str,
        action: str,
        callers: tuple[str, ...],
        emit: Callable[[int, str, Decision, dict[str, ContextValue], str | None], None],
    ) -> None:
        """`action` made as each of `callers` in turn, plain and with each witness context: the first
        context allowed for each caller is an edge. Every allowed caller is kept, not only the first: who
        reaches the node through a trust that forces the session name reaches only its own session's."""
        situation = self._situation_of(actor.subject, target)
        contexts = [{}, *self._witness_contexts(actor, target, action)]
        for caller in callers:
            for context in contexts:
                decision = evaluate(situation, actor.request(action, rep, context, caller), trace=False)
                if decision.effect == "ALLOW":
                    emit(s, action, decision, context, caller)
                    break

    def _situation_of(self, subject: Subject, target: Target) -> Situation:
        """One Situation object per (subject, target), so that the evaluator's caches are reused."""
        cached = self._situations.get((id(subject), id(target)))
        if cached is not None and cached[0] is subject and cached[1] is target:
            return cached[2]
        found = situation_of(subject, target)
        self._situations[(id(subject), id(target))] = (subject, target, found)
        return found

    def _add_access(
        self,
        actor: Actor,
        arn: str,
        action: str,
        decision: Decision,
        context: dict[str, ContextValue],
        caller: str | None,
    ) -> None:
        self.held[(actor.node, arn)].add(action)
        key = f"access:{action}"
        if caller is not None and self.g.has_edge(actor.node, arn, key):
            key = f"{key}@{caller}"  # another named session that holds it (`_decide_callers`)
        self._add_decided(actor, arn, key, "access", action, decision, context, caller)

    def _add_decided(
        self,
        actor: Actor,
        target: str,
        key: str,
        kind: str,
        action: str,
        decision: Decision,
        context: dict[str, ContextValue],
        caller: str | None,
    ) -> None:
        """An edge the evaluator allowed, with what it was allowed under and the statements that did."""
        self.g.add_edge(
            actor.node,
            target,
            key=key,
            kind=kind,
            action=action,
            conditions=context,
            caller=caller,
            refs=decision.determining,
            reason=decision.reason,
            external=actor.external,
        )

    # -- trust

    def _trust(self) -> None:
        """`assume` edges: every caller on every role with a trust policy, `sts:AssumeRole` decided by the
        evaluator with the trust policy as the role's resource policy (`trust_targets`)."""
        role_targets = trust_targets(self.account)
        if not role_targets:
            return
        # only callers the evaluator could allow: an identity policy covering sts:AssumeRole, or a trust
        # policy that names them (or `*`), which needs none in the role's account (§1.3); the rest are
        # denied without asking
        named: set[str] = set()
        for target in role_targets.values():
            assert target.key_policy is not None
            named |= compile_policy(target.key_policy, "key_policy").named
        everyone = "*" in named or any(
            pr.value == "*"
            for target in role_targets.values()
            if target.key_policy is not None
            for st in target.key_policy.statements
            for pr in (*(st.principal or ()), *(st.not_principal or ()))
        )

        # role paths and session names are not part of the match (§2.2): compare account, kind and name
        named_names = {_principal_name(v) for v in named}

        def may_assume(actor: Actor) -> bool:
            return (
                everyone
                or _principal_name(actor.node) in named_names
                or actor.node in named
                or any(compile_policy(p).for_action(ASSUME) for p in actor.subject.identity_policies)
            )

        # AWS refuses sts:AssumeRole with root-user credentials
        callers = [a for a in self.actors.values() if a.kind != "root" and may_assume(a)]
        role_keys = {arn: t.key for arn, t in role_targets.items()}

        def add(
            actor: Actor,
            arn: str,
            action: str,
            decision: Decision,
            context: dict[str, ContextValue],
            caller: str | None,
        ) -> None:
            # the first caller allowed is the edge (a role's own session before its named ones)
            if actor.node != arn and not self.g.has_edge(actor.node, arn, "assume"):
                self._add_decided(actor, arn, "assume", "assume", action, decision, context, caller)

        self._access(callers, role_keys, (ASSUME,), add, role_targets)

    def _passes(self) -> None:
        """`pass` edges: a principal can make a service run as a role (cat. #61 "assume/pass a role"), for
        the services of `PASS_SERVICES`, when all three hold, each decided by the evaluator:

        * its identity policies allow `iam:PassRole` on the role with `iam:PassedToService` the service
          principal (IAM roles have no resource policy: a stand-in delegating to the account lets identity
          policies, boundary and SCPs decide, as for IAM writes);
        * the role's trust policy lets the service assume it (the service's `assume` edge);
        * it may create or update the service's compute that runs as the role (one set of the table's
          actions, on a stand-in resource of the service in the account).

        `refs` are the `iam:PassRole` decision's, then the trust decision's, then the compute actions'
        (without the stand-in's); `reason` says the three; `via` the service principal, `method` the
        compute actions. `conditions` are those the service's `assume` edge holds under: what the service
        sends for the compute it runs (`aws:SourceAccount`, `aws:SourceArn`); a trust asking for another
        account as `aws:SourceAccount` admits no compute of the principal's account, which is where the
        principal creates it."""
        trusted_by: dict[str, list[tuple[str, dict[str, object]]]] = defaultdict(list)
        for service in PASS_SERVICES:
            if service not in self.g:
                continue
            for _, role, data in self.g.out_edges(service, data=True):
                if data["kind"] == "assume" and data["caller"] is None:
                    trusted_by[service].append((role, data))
        if not trusted_by:
            return
        passers = [a for a in self.actors.values() if a.kind in ("user", "role") and _covers(a, (PASS_ROLE,))]
        region = next((k.region for k in self.keys.values() if k.region), "us-east-1")
        stand_ins: dict[str, Target] = {}

        def stand_in(arn: str, account: str) -> Target:
            target = stand_ins.get(arn)
            if target is None:
                key = Key(arn=arn, key_id=arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1], account=account)
                target = stand_ins[arn] = Target(key=key, key_policy=_delegate_all(account))
            return target

        for actor in passers:
            account = actor.account or self.owner
            for service, roles in sorted(trusted_by.items()):
                pattern, alternatives = PASS_SERVICES[service]
                compute = stand_in(pattern.format(region=region, account=account), account)
                wanted = tuple(dict.fromkeys(a for group in alternatives for a in group))
                decided = evaluate_grid([actor.subject], [compute], wanted, context=dict(actor.sent) or None)
                runs = next(
                    (g for g in alternatives if all(decided[(0, 0, a)].effect == "ALLOW" for a in g)), None
                )
                if runs is None:
                    continue
                # a role can be passed only to a service of its own account
                candidates = [
                    (r, d) for r, d in roles if r != actor.node and self.actors[r].account == account
                ]
                targets = [stand_in(r, self.actors[r].account or self.owner) for r, _ in candidates]
                context: dict[str, str | tuple[str, ...]] = {
                    **dict(actor.sent),
                    "iam:PassedToService": service,
                }
                grid = evaluate_grid([actor.subject], targets, (PASS_ROLE,), context=context)
                for index, (role, trust) in enumerate(candidates):
                    decision = grid[(0, index, PASS_ROLE)]
                    sent = dict(trust["conditions"])  # type: ignore[call-overload]
                    source = {k.lower(): v for k, v in sent.items()}.get("aws:sourceaccount", account)
                    if decision.effect != "ALLOW" or source != account:
                        continue
                    refs: list[StatementRef] = []
                    for ref in (
                        *decision.determining,
                        *trust["refs"],  # type: ignore[misc]
                        *(r for a in runs for r in decided[(0, 0, a)].determining),
                    ):
                        # the stand-in resource policy says nothing to the user
                        synthetic = ref.span is not None and ref.span.file == _SYNTH.file
                        if ref not in refs and not synthetic:
                            refs.append(ref)
                    actions = " and ".join(f"`{a}`" for a in runs)
                    reason = (
                        f"its identity-based policies allow `{PASS_ROLE}` on the role to `{service}` and"
                        f" {actions}, and the role's trust policy lets `{service}` assume it"
                    )
                    self.g.add_edge(
                        actor.node,
                        role,
                        key=f"pass {service}",
                        kind="pass",
                        action=PASS_ROLE,
                        conditions=sent,
                        caller=None,
                        refs=tuple(refs),
                        reason=reason,
                        method=" + ".join(runs),
                        via=service,
                        external=actor.external,
                    )

    # -- escalation

    def _escalations(self, actions: tuple[str, ...]) -> None:
        """The escalations to `actions` (the enabling actions are those decided already); retiring a grant
        is not one (a grant to oneself listing `RetireGrant` retires only that grant)."""
        actions = tuple(a for a in actions if a != RETIRE)
        if not actions:
            return
        internal = [a for a in self.actors.values() if a.kind in ("user", "role", "root")]
        # whoever holds CreateGrant may grant itself any operation (§1.5): other accounts too, as
        # CreateGrant works cross-account; the evaluator says which of the rest they hold
        outsiders = [a for a in self.actors.values() if a.kind in ("external", "any", "org")]
        # a tag write is allowed through IAM (an identity policy statement for it, the key policy
        # delegating) or by a key policy naming principals for it one by one; grants never allow it (§1.5)
        tag_named = {
            arn: frozenset(m for m in KEY_TAG_WRITES if _names_writers(self.targets[arn], m))
            for arn in self.keys
        }
        for actor in (*internal, *outsiders):
            # tagging is same-account only (§1.4): only the account's own principals retag its keys
            reads = self._resource_tag_reads(actor) if actor.kind in ("user", "role") else {}
            covered = frozenset(m for m in KEY_TAG_WRITES if reads and _covers(actor, (m,)))
            for arn in self.keys:
                held = self.held.get((actor.node, arn), set())
                if "kms:CreateGrant" in held:
                    self._by_grant(actor, arn, held, actions)
                if "kms:PutKeyPolicy" in held:
                    self._by_key_policy(actor, arn, held, actions)
                if reads and (covered or tag_named[arn]):
                    self._by_tag(actor, arn, held, reads, covered | tag_named[arn], actions)
        self._by_alias(internal, actions)
        self._by_iam_write(internal, actions)

    def _escalate(
        self,
        actor: Actor,
        arn: str,
        action: str,
        method: str,
        via: str,
        enabling: Decision,
        gained: Decision,
        context: dict[str, ContextValue],
    ) -> None:
        if action in self.held.get((actor.node, arn), set()) or not applicable(self.keys[arn], action):
            return
        self.g.add_edge(
            actor.node,
            arn,
            key=f"escalate:{action}:{method}:{via}",
            kind="escalate",
            action=action,
            method=method,
            via=via,
            conditions=context,
            refs=(*enabling.determining, *gained.determining),
            reason=f"{enabling.reason}; then {gained.reason}",
            external=actor.external,
        )

    def _by_grant(self, actor: Actor, arn: str, held: set[str], actions: tuple[str, ...]) -> None:
        """A grant for `action` that the actor may create, to itself or to a role it can become (§1.5: a
        `kms:GranteePrincipal` condition may pin the grantee to such a role), after which that grantee can
        perform it."""
        target = self.targets[arn]
        situation = situation_of(actor.subject, target)
        bases = self._self_grant_contexts(actor, target)
        grantees = [actor, *self._pinned_grantees(actor, target)]
        named = self._named_operations(actor, target)
        for action in actions:
            operation = action.split(":", 1)[1]
            if action in held or operation not in GRANT_OPERATIONS:
                continue
            # a role it can become that holds the action already is no escalation
            chosen = [g for g in grantees if g is actor or action not in self.held.get((g.node, arn), ())]
            # the operation alone, then bundled with one that a `kms:GrantOperations` condition names: a
            # `ForAnyValue:` condition holds when some operation of the grant matches (§2.5)
            bundles = [
                (operation,),
                *((operation, n) for n in named if n != operation and applicable(target.key, f"kms:{n}")),
            ]
            for grantee, base, bundle in itertools.product(chosen, bases, bundles):
                # a role is granted by its role ARN, which stands for all its sessions (§1.5 grantee)
                context = {
                    **{k: v for k, v in base.items() if k.lower() not in _GRANT_REQUEST_KEYS},
                    "kms:GrantOperations": bundle,
                    "kms:GranteePrincipal": grantee.principal_arn,
                }
                enabling = evaluate(situation, actor.request("kms:CreateGrant", arn, context), trace=False)
                if enabling.effect == "ALLOW" and self._with_grant(
                    actor, grantee, arn, action, enabling, context
                ):
                    break

    def _create_grant_values(self, actor: Actor, target: Target, key: str) -> Iterator[str]:
        """The values that conditions on `key` (lower case) name in the statements that can decide the
        actor's CreateGrant on the target, in the order written."""
        for policy in self._deciding(actor.subject, target):
            if policy is None:
                continue
            for compiled in compile_policy(policy).for_action("kms:CreateGrant"):
                for condition in compiled.statement.conditions:
                    if condition.key_lower == key:
                        yield from (v for v in condition.values if isinstance(v, str))

    def _named_operations(self, actor: Actor, target: Target) -> tuple[str, ...]:
        """The grant operations that a `kms:GrantOperations` condition deciding the actor's CreateGrant
        names, in the order named."""
        named = self._create_grant_values(actor, target, "kms:grantoperations")
        return tuple(dict.fromkeys(v for v in named if v in GRANT_OPERATIONS))

    def _pinned_grantees(self, actor: Actor, target: Target) -> list[Actor]:
        """The roles `actor` can become that a `kms:GranteePrincipal` condition deciding its CreateGrant
        names (pattern or not): elsewhere a grant to itself is allowed exactly when one to them is."""
        patterns = [ArnGlob(v) for v in self._create_grant_values(actor, target, "kms:granteeprincipal")]
        if not patterns:
            return []
        return [r for r in self._becomes(actor) if any(p.match(r.principal_arn) for p in patterns)]

    def _becomes(self, actor: Actor) -> list[Actor]:
        """The roles `actor` can become, directly or by a chain of `assume` edges (its own caller's)."""
        found = self._become.get(actor.node)
        if found is not None:
            return found
        reached: dict[str, None] = {}
        frontier = [actor.node]
        while frontier:
            for _, role, data in self.g.out_edges(frontier.pop(), data=True):
                if data["kind"] == "assume" and data["caller"] is None and role not in reached:
                    reached[role] = None
                    frontier.append(role)
        found = [self.actors[r] for r in reached if r in self.actors and r != actor.node]
        self._become[actor.node] = found
        return found

    def _self_grant_contexts(self, actor: Actor, target: Target) -> list[dict[str, ContextValue]]:
        """The contexts to try a CreateGrant to itself with, besides the grant's own keys: what made the
        actor's CreateGrant ALLOW (a `kms:EncryptionContext:*`, MFA) when it could send that itself.

        A principal granting itself calls KMS directly, so a context that only an AWS service's call on its
        behalf carries (`witness.SERVICE_ONLY`: `kms:ViaService`, `kms:GrantIsForAWSResource`, ...) is not
        its to send (W36): the grant a service creates is for the service's resource, not one the
        principal words. Such a witness is replaced by the direct-call witnesses of CreateGrant, if any."""
        base = self.g.edges[actor.node, str(target.key.arn), "access:kms:CreateGrant"]["conditions"]
        if direct([base]):
            return [base]
        subject = actor.subject
        policies = self._deciding(subject, target)
        found = _witnesses(
            policies,
            target.grants,
            "kms:CreateGrant",
            subject.principal,
            target.key.aliases,
            tags=dict(subject.caller_tags),
        )
        return direct([{}, *found])

    def _with_grant(
        self,
        actor: Actor,
        grantee: Actor,
        arn: str,
        action: str,
        enabling: Decision,
        context: dict[str, ContextValue],
    ) -> bool:
        """The grant that `context` describes (its constraint too, when the CreateGrant request names a
        `kms:GrantConstraintType`) added to the key: whether `grantee` can then perform `action` (with the
        encryption context the constraint asks for), recorded as the actor's escalation."""
        key = self.keys[arn]
        constraints, used = _grant_constraint(context)
        symmetric = key.key_spec == "SYMMETRIC_DEFAULT" and key.key_usage == "ENCRYPT_DECRYPT"
        if constraints is not None and not symmetric:
            return False  # CreateGrant accepts no encryption-context constraint for other keys (§1.5)
        if not _takes_context(action):
            used = {}
        operations = context["kms:GrantOperations"]
        grant = Grant(
            key_id=key.key_id,
            grant_id=f"kmspolicy-new-grant-{action.split(':')[1]}",
            grantee_principal=grantee.principal_arn,
            operations=tuple(operations) if isinstance(operations, tuple | list) else (str(operations),),
            constraints=constraints,
            span=_SYNTH,
        )
        changed = Target(key=key, grants=(*key.grants, grant), rcps=self.targets[arn].rcps)
        gained = evaluate(
            situation_of(grantee.subject, changed), grantee.request(action, arn, used), trace=False
        )
        if gained.effect != "ALLOW":
            return False
        via = (
            "a grant to itself" if grantee is actor else f"a grant to `{grantee.label}`, a role it can become"
        )
        if constraints is not None:
            via += ", constrained to the encryption context it then sends"
        self._escalate(actor, arn, action, "kms:CreateGrant", via, enabling, gained, {**context, **used})
        return True

    def _by_key_policy(self, actor: Actor, arn: str, held: set[str], actions: tuple[str, ...]) -> None:
        key = self.keys[arn]
        enabling = self._held_decision(actor, arn, "kms:PutKeyPolicy")
        # a role's session ARN too: a key policy naming the role ARN is limited by the role's permissions
        # boundary and session policies, one naming the session ARN is not (§1.3 caveat)
        named = dict.fromkeys((actor.principal_arn, actor.subject.principal))
        statement = Statement(
            index=0,
            sid="kmspolicy-added",
            effect="Allow",
            principal=tuple(Principal(type="AWS", value=v, raw=v, span=_SYNTH) for v in named),
            action=(Item(value="kms:*", span=_SYNTH),),
            resource=(Item(value="*", span=_SYNTH),),
            span=_SYNTH,
        )
        # whoever puts the policy writes all of it: the old statements, denies included, are gone; only
        # the caller's own IAM side (boundary, SCPs) and the RCPs can still refuse it
        policy = Policy(
            kind=PolicyKind.KEY, name="rewritten key policy", statements=(statement,), span=_SYNTH
        )
        changed = Target(
            key=key.model_copy(update={"policy": policy}), grants=key.grants, rcps=self.targets[arn].rcps
        )
        situation = situation_of(actor.subject, changed)
        for action in actions:
            if action in held:
                continue
            gained = evaluate(situation, self.result.request(actor.node, action, arn, {}), trace=False)
            if gained.effect == "ALLOW":
                self._escalate(
                    actor, arn, action, "kms:PutKeyPolicy", "a key policy naming itself", enabling, gained, {}
                )

    def _held_decision(self, actor: Actor, arn: str, action: str) -> Decision:
        """The decision of an access edge, as the graph holds it (the first caller's of the key and action;
        other named sessions that hold it have edges of their own, `_add_access`)."""
        data = self.g.edges[actor.node, arn, f"access:{action}"]
        return Decision(effect="ALLOW", reason=str(data["reason"]), determining=data["refs"])

    def _resource_tag_reads(self, actor: Actor) -> dict[str, list[str]]:
        """The key tags that the policies deciding the actor's requests on keys test (`_tag_reads`): its IAM
        side and the RCPs, as a key policy cannot read `aws:ResourceTag` (§1.9)."""
        s = actor.subject
        policies = (
            *s.identity_policies,
            s.permission_boundary,
            *s.session_policies,
            *level_policies(s.scps),
            *level_policies(self.rcps),
        )
        return _tag_reads(policies, "aws:resourcetag/", dict(s.caller_tags))

    def _by_tag(
        self,
        actor: Actor,
        arn: str,
        held: set[str],
        reads: dict[str, list[str]],
        methods: frozenset[str],
        actions: tuple[str, ...],
    ) -> None:
        """A principal that can tag or untag the key, after which a condition on `aws:ResourceTag/<tag>`
        that it `reads` holds: an Allow asking for a value (its own tag's, for `${aws:PrincipalTag/T}`), or
        a Deny on the value the key has now, lifted by another value or by removing the tag ("whoever can
        tag/untag ... can change access when ABAC policies exist", §1.9). `methods`: the tag writes that
        some policy could allow it (the evaluator denies the others unasked)."""
        key = self.keys[arn]
        target = self.targets[arn]
        situation = self._situation_of(actor.subject, target)
        done: set[tuple[str, str]] = set()  # (action, method): one way in per method is enough
        for change in _tag_changes(reads):
            method = change.method(KEY_TAG_WRITES)
            tags = change.applied(key.tags)
            if method not in methods or tags is None:
                continue
            enabling = evaluate(situation, actor.request(method, arn, change.context), trace=False)
            if enabling.effect != "ALLOW":
                continue
            changed = Target(key=key.model_copy(update={"tags": tags}), grants=key.grants, rcps=target.rcps)
            after = situation_of(actor.subject, changed)
            for action in actions:
                if action in held or (action, method) in done:
                    continue
                gained = evaluate(after, actor.request(action, arn), trace=False)
                if gained.effect == "ALLOW":
                    done.add((action, method))
                    self._escalate(actor, arn, action, method, change.said, enabling, gained, change.context)

    def _by_alias(self, internal: list[Actor], actions: tuple[str, ...]) -> None:
        """A principal that can point an alias at a key, where a `kms:ResourceAliases` or `kms:RequestAlias`
        condition asks for that alias (ABAC by alias, §1.9). The alias names tried are those the
        conditions write (a wildcard filled in) and the account's aliases they match."""
        # the alias half of an alias operation is decided by IAM alone (§1.9): without an identity policy
        # statement for it, a caller is denied unasked
        movers = [a for a in internal if _covers(a, _ALIAS_WRITES)]
        if not movers:
            return
        existing: dict[tuple[str | None, str | None, str], str] = {}
        for arn, key in self.keys.items():
            for alias in key.aliases:
                existing[(key.account, key.region, _alias_name(alias))] = arn
        by_keys = [c for key in self.keys.values() for c in _alias_conditions(key.policy, {})]
        wanted: dict[str, list[Actor]] = defaultdict(list)
        for actor in movers:
            tags = dict(actor.subject.caller_tags)
            asked = [c for p in actor.subject.identity_policies for c in _alias_conditions(p, tags)] + by_keys
            names = {name for _, name in asked} | {
                name for (_, _, name) in existing if any(glob.match(name) for glob, _ in asked)
            }
            for name in names:
                if _valid_alias(name):
                    wanted[name].append(actor)
        for name, actors in sorted(wanted.items()):
            self._with_alias(name, actors, existing, actions)

    def _with_alias(
        self,
        name: str,
        actors: list[Actor],
        existing: dict[tuple[str | None, str | None, str], str],
        actions: tuple[str, ...],
    ) -> None:
        """`name` pointed at each key it is not on: what `actors` gain there (all decided in one grid, keys
        alike in one class), and whether they may make the change: `kms:CreateAlias` on the alias and the
        key, or for an alias that exists `kms:UpdateAlias` on the alias, the key it points at now and the
        key."""
        keys: dict[str, Key] = {}
        targets: dict[str, Target] = {}
        for arn, key in self.keys.items():
            if name not in {_alias_name(a) for a in key.aliases}:
                keys[arn] = key.model_copy(update={"aliases": (*key.aliases, name)})
                targets[arn] = Target(key=keys[arn], grants=key.grants, rcps=self.targets[arn].rcps)
        self._kept.append(targets)  # decisions are cached by target identity: keep these alive
        gains: dict[tuple[int, str], list[tuple[str, Decision, dict[str, ContextValue]]]] = defaultdict(list)
        index = {id(a): i for i, a in enumerate(actors)}

        def add(
            actor: Actor,
            arn: str,
            action: str,
            decision: Decision,
            context: dict[str, ContextValue],
            caller: str | None,
        ) -> None:
            held = self.held.get((actor.node, arn), set())
            # escalations are searched for a node's own caller (a named session's are not)
            if caller is None and action not in held and actor.account == keys[arn].account:
                gains[(index[id(actor)], arn)].append((action, decision, context))

        self._access(actors, keys, actions, add, targets)
        if not gains:
            return
        callers = sorted({i for i, _ in gains})
        holders = {holder for (_, _, alias), holder in existing.items() if alias == name}
        touched = sorted({arn for _, arn in gains} | holders)
        grid = evaluate_grid(
            [actors[i].subject for i in callers], [self.targets[arn] for arn in touched], _ALIAS_WRITES
        )
        on_key = {
            (i, arn, method): grid[(c, t, method)]
            for c, i in enumerate(callers)
            for t, arn in enumerate(touched)
            for method in _ALIAS_WRITES
        }
        for (i, arn), found in sorted(gains.items()):
            key = self.keys[arn]
            holder = existing.get((key.account, key.region, name))
            method = "kms:CreateAlias" if holder is None else "kms:UpdateAlias"
            alias_arn = f"arn:{key.partition}:kms:{key.region}:{key.account}:{name}"
            on_alias = evaluate(
                self._situation_of(actors[i].subject, self.targets[arn]),
                actors[i].request(method, alias_arn),
                trace=False,
            )
            calls = [("the alias", on_alias), ("the key", on_key[(i, arn, method)])]
            if holder is not None:
                where = f"`{self.keys[holder].key_id}`, where it points now"
                calls.insert(1, (where, on_key[(i, holder, method)]))
            if any(d.effect != "ALLOW" for _, d in calls):
                continue
            refs: list[StatementRef] = []
            for _, decision in calls:
                refs.extend(r for r in decision.determining if r not in refs)
            reason = "; ".join(f"on {label}, {d.reason}" for label, d in calls)
            enabling = Decision(effect="ALLOW", reason=reason, determining=tuple(refs))
            for action, gained, context in found:
                self._escalate(actors[i], arn, action, method, f"alias `{name}`", enabling, gained, context)

    def _by_iam_write(self, internal: list[Actor], actions: tuple[str, ...]) -> None:
        """A principal that can change the identity policies in force on itself, or on a role it can assume:
        by writing that entity's policies or a new default version of a customer managed policy in force
        on it (a policy allowing everything), or by making another version of such a policy the default
        (that version), see `_rewrites`; or by tagging or untagging that entity where a condition on
        `aws:PrincipalTag` then holds, see `_Builder._retags`."""
        writers = [a for a in internal if _covers(a, IAM_WRITES)]
        if not writers:
            return
        # the principal tags that any key policy or organisation policy tests, for every victim
        shared = _tag_reads(
            (
                *(k.policy for k in self.keys.values()),
                *level_policies(self.scps),
                *level_policies(self.rcps),
            ),
            "aws:principaltag/",
            {},
        )
        by_node = {a.node: a for a in internal}
        assumes: dict[str, set[str]] = defaultdict(set)
        groups: dict[str, list[str]] = defaultdict(list)
        for caller, role, data in self.g.edges(data=True):
            if data["kind"] == "assume":
                assumes[caller].add(role)
            elif data["kind"] == "member":
                groups[caller].append(role)
        # IAM resources have no resource policy: a stand-in key policy delegating everything to the
        # account lets the identity policies alone decide (same-account IAM semantics); one per written
        # resource, so that writers alike share its evaluator
        stand_ins: dict[str, Target] = {}
        enabled: list[tuple[Actor, _Rewrite, str, Decision]] = []
        for writer in writers:
            reachable = {writer.node}
            frontier = [writer.node]
            while frontier:
                for role in assumes.get(frontier.pop(), ()):
                    if role not in reachable:
                        reachable.add(role)
                        frontier.append(role)
            for node in sorted(reachable):
                victim = by_node.get(node)
                if victim is None:
                    continue
                for rewrite in (*_rewrites(victim, groups.get(node, ())), *self._retags(victim, shared)):
                    target = stand_ins.get(rewrite.resource)
                    if target is None:
                        account = victim.account or self.owner
                        key = Key(
                            arn=rewrite.resource, key_id=rewrite.resource.rsplit("/", 1)[-1], account=account
                        )
                        target = Target(key=key, key_policy=_delegate_all(account))
                        stand_ins[rewrite.resource] = target
                    context = {**dict(writer.sent), **dict(rewrite.context)}
                    grid = evaluate_grid([writer.subject], [target], rewrite.methods, context=context or None)
                    found = next(
                        ((m, grid[(0, 0, m)]) for m in rewrite.methods if grid[(0, 0, m)].effect == "ALLOW"),
                        None,
                    )
                    if found is not None:
                        enabled.append((writer, rewrite, *found))
        gained = self._gains_with_rewrites(list({r.name: r for _, r, _, _ in enabled}.values()), actions)
        for writer, rewrite, method, decision in enabled:
            for arn, action, after in gained.get(rewrite.name, ()):
                context = dict(rewrite.context)
                self._escalate(writer, arn, action, method, rewrite.via, decision, after, context)

    def _retags(self, victim: Actor, shared: dict[str, list[str]]) -> Iterator[_Rewrite]:
        """The tag changes of `victim` (`iam:TagRole` / `iam:UntagRole`, or the user's pair) that a
        condition may turn on (ABAC by principal tag, §1.9, §2.6): for each tag that a condition on
        `aws:PrincipalTag/<tag>` tests (`shared`: those of the key and organisation policies; and the
        victim's own policies), or that a condition `aws:ResourceTag/X` = `${aws:PrincipalTag/<tag>}` of its
        own policies compares with keys' tags, each value asked for, another value, and no tag."""
        s = victim.subject
        own = (*s.identity_policies, s.permission_boundary, *s.session_policies)
        tags = dict(s.caller_tags)
        reads: dict[str, list[str]] = defaultdict(list)
        for found in (
            shared,
            _tag_reads(own, "aws:principaltag/", tags),
            _compared_tags(own, self.keys.values()),
        ):
            for tag, values in found.items():
                reads[tag].extend(values)
        pair = IAM_TAGS_ROLE if victim.kind == "role" else IAM_TAGS_USER
        for change in _tag_changes(reads):
            after = change.applied(tags)
            if after is not None:
                yield _Rewrite(
                    victim,
                    victim.node,
                    (change.method(pair),),
                    None,
                    f"{change.said} on `{victim.label}`",
                    None,
                    tuple(sorted(after.items())),
                    tuple(change.context.items()),
                )

    def _gains_with_rewrites(
        self, rewrites: list[_Rewrite], actions: tuple[str, ...]
    ) -> dict[str, list[tuple[str, str, Decision]]]:
        """What each rewrite's victim could do with the rewrite's policy in force (in place of the policy
        rewritten, if any), beyond what it does now; all in one grid, so that victims with the same
        policies are decided once."""
        hypothetical: list[Actor] = []
        names: dict[int, str] = {}
        for rewrite in rewrites:
            v = rewrite.victim
            kept = tuple(p for p in v.subject.identity_policies if p is not rewrite.replaced)
            added = () if rewrite.replacement is None else (rewrite.replacement,)
            subject = replace(
                v.subject,
                identity_policies=(*kept, *added),
                caller_tags=v.subject.caller_tags if rewrite.tags is None else rewrite.tags,
            )
            actor = replace(v, subject=subject)
            hypothetical.append(actor)
            names[id(actor)] = rewrite.name
        found: dict[str, list[tuple[str, str, Decision]]] = {}

        def add(
            actor: Actor,
            arn: str,
            action: str,
            decision: Decision,
            context: dict[str, ContextValue],
            caller: str | None,
        ) -> None:
            if not context and caller is None and action not in self.held.get((actor.node, arn), set()):
                found.setdefault(names[id(actor)], []).append((arn, action, decision))

        if hypothetical:
            self._access(hypothetical, self.keys, actions, add)
        return found


# --------------------------------------------------------------------------- small pieces


@dataclass(frozen=True)
class _Rewrite:
    """One way to put `replacement` in force on `victim`, or `tags` on it: `methods` on `resource`, with
    the request `context` (what a tagging request sends).

    `replaced` is the policy the write replaces (a managed policy's default version), None when the
    write adds a policy; `replacement` is a policy of the writer's choosing (allowing everything) or, for
    `iam:SetDefaultPolicyVersion`, another version of the replaced policy; None when only the tags change
    (`tags`, the victim's tags after the change; None when they stay). `name` identifies the victim's
    changed policies and tags, `via` says it to the user.
    """

    victim: Actor
    resource: str
    methods: tuple[str, ...]
    replaced: Policy | None
    via: str
    replacement: Policy | None = _ALLOW_ALL
    tags: tuple[tuple[str, str], ...] | None = None
    context: tuple[tuple[str, ContextValue], ...] = ()

    @property
    def name(self) -> str:
        policy = "" if self.replacement is None else self.replacement.name
        return f"{self.victim.node} {self.resource} {policy} {self.tags}"


def _rewrites(victim: Actor, groups: Iterable[str]) -> Iterator[_Rewrite]:
    """The writes that change the policies in force on `victim`, to one of the writer's choosing: its own
    inline or attached policies (`iam:PutRolePolicy` and friends) and those of its `groups`, a new version of
    each customer managed policy in force on it, its groups' included (`iam:CreatePolicyVersion` with
    `--set-as-default` needs no `iam:SetDefaultPolicyVersion`), and each of such a policy's other
    versions (`Policy.other_versions`) made its default by `iam:SetDefaultPolicyVersion`. AWS managed
    policies (`arn:aws:iam::aws:policy/...`) cannot be rewritten or switched by a customer."""
    writes = IAM_WRITES_ROLE if victim.kind == "role" else IAM_WRITES_USER
    yield _Rewrite(victim, victim.node, writes, None, victim.node)
    for group in groups:
        yield _Rewrite(victim, group, IAM_WRITES_GROUP, None, f"group `{group}`, of `{victim.label}`")
    seen: set[str] = set()
    for policy in victim.subject.identity_policies:
        arn = policy.arn
        if arn is None or arn in seen or _aws_managed(arn):
            continue
        seen.add(arn)
        via = f"a new default version of `{arn}`, in force on `{victim.label}`"
        yield _Rewrite(victim, arn, (IAM_NEW_POLICY_VERSION,), policy, via)
        for version in policy.other_versions:
            via = f"`{version.name}` made the default version of `{arn}`, in force on `{victim.label}`"
            yield _Rewrite(victim, arn, (IAM_SET_DEFAULT_VERSION,), policy, via, version)


# the role sessions a target names, by (account, role name), the accounts its grants name, and the
# accounts its policy admits by a condition on the caller's account
NamedOn = tuple[dict[tuple[str, str], tuple[str, ...]], frozenset[str], frozenset[str]]


def named_on(target: Target, owner: str | None = None) -> NamedOn:
    """The role sessions that the `Principal` and `NotPrincipal` elements of a target's policy (a key
    policy, a trust policy) and its grants' grantees name, by (account, role name); the accounts that
    its grants name (as `arn:aws:iam::<account>:root`); and the accounts that its policy's conditions on
    the caller's account name (`_caller_accounts`), other than the key's and the `owner`'s (whose
    principals are described or stood for apart from `*`)."""
    policy = target.key_policy or target.key.policy
    values = list(_principal_values(policy)) if policy is not None else []
    grantees = [g.grantee_principal for g in target.grants if isinstance(g.grantee_principal, str)]
    sessions: dict[tuple[str, str], list[str]] = defaultdict(list)
    for value in (*values, *grantees):
        named = parse_caller(value)
        role = (named.account or "", named.role_name or "")
        if named.kind == "session" and named.arn not in sessions[role]:
            sessions[role].append(named.arn)
    accounts = frozenset(c.arn for c in map(parse_caller, grantees) if c.kind == "root")
    pinned = frozenset(_caller_accounts(policy) if policy is not None else ()) - {target.key.account, owner}
    return {k: tuple(v) for k, v in sessions.items()}, accounts, pinned


def named_callers(actor: Actor, named: NamedOn) -> tuple[str, ...]:
    """The principals that `actor`'s node stands for, besides its own caller, that a target names one by
    one (`named_on`): for a role, the sessions of it named there (whoever becomes the role picks its
    session name, §1.3 (1), §1.5 grantee); for a stand-in for an account's principals, that account's root
    user when a grant names the account (the evaluator reads such a grant as the root user's, §9 q2:
    someone there holds it, whichever reading holds); for the stand-in for any other account (`*`), a
    principal of each account that a condition on the caller's account admits (`Principal: *` +
    `kms:CallerAccount`, "the way to say everyone in account X", §3.1), other than its own."""
    sessions, accounts, pinned = named
    if actor.hypothetical and actor.node in accounts:
        return (actor.node,)
    if actor.kind == "any":
        own = actor.account
        return tuple(f"arn:aws:iam::{a}:role/{ANY_PRINCIPAL_NAME}" for a in sorted(pinned) if a != own)
    caller = parse_caller(actor.subject.principal)
    if caller.kind != "session":
        return ()
    found = sessions.get((caller.account or "", caller.role_name or ""), ())
    return tuple(s for s in found if s != caller.arn)


def _as_session(actor: Actor) -> Actor:
    """A role calls KMS only through a session of it (§1.3, §2.2): its requests are made as
    `arn:aws:sts::<account>:assumed-role/<name>/kmspolicy-session`, whose chain (account, role, session) a
    `NotPrincipal` must list whole to spare it. A session ARN drops the role's path, so a role with a path
    sends its ARN as `aws:PrincipalArn`, as AWS sets it for its sessions. Other callers are unchanged."""
    caller = parse_caller(actor.subject.principal)
    if caller.kind != "role" or caller.role_name is None:
        return actor
    prefix = f"arn:{caller.partition}"
    session = f"{prefix}:sts::{caller.account}:assumed-role/{caller.role_name}/{SESSION_NAME}"
    pathless = f"{prefix}:iam::{caller.account}:role/{caller.role_name}"
    sent = () if caller.arn == pathless else (("aws:PrincipalArn", caller.arn),)
    return replace(actor, subject=replace(actor.subject, principal=session), sent=sent)


# what a CreateGrant request sets by the grant it asks for (`_Builder._by_grant` sets them itself)
_GRANT_REQUEST_KEYS = frozenset({"kms:grantoperations", "kms:granteeprincipal"})
_CONTEXT_PREFIX = "kms:encryptioncontext:"


def _grant_constraint(
    context: dict[str, ContextValue],
) -> tuple[GrantConstraints | None, dict[str, ContextValue]]:
    """The constraint of the grant a CreateGrant request with `context` creates, and the request context
    that satisfies it: a `kms:GrantConstraintType` asks for an `EncryptionContextEquals` or `...Subset`
    constraint, on the `kms:EncryptionContext:<k>` values of the request (§3.1), or on a context of its
    own choosing when the request names none."""
    kind = next((v for k, v in context.items() if k.lower() == "kms:grantconstrainttype"), None)
    if kind is None:
        return None, {}
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    pairs = {
        k[len(_CONTEXT_PREFIX) :]: v
        for k, v in context.items()
        if k.lower().startswith(_CONTEXT_PREFIX) and isinstance(v, str)
    } or {_TAG_FILLER: _TAG_FILLER}
    if "EncryptionContextSubset" in kinds:
        constraints = GrantConstraints(encryption_context_subset=pairs)
    else:
        constraints = GrantConstraints(encryption_context_equals=pairs)
    return constraints, {f"kms:EncryptionContext:{k}": v for k, v in pairs.items()}


def _account_of(value: object) -> str | None:
    """The account of an account id or an account's root ARN (`arn:aws:iam::<account>:root`)."""
    if not isinstance(value, str):
        return None
    if value.isdigit():
        return value
    return value.split(":")[4] if value.endswith(":root") and value.count(":") == 5 else None


def _aws_managed(policy_arn: str) -> bool:
    parts = policy_arn.split(":")
    return len(parts) > 4 and parts[4] == "aws"


def _covers(actor: Actor, actions: Iterable[str]) -> bool:
    """Whether any statement of the actor's identity policies covers one of `actions` at all: calls that
    only identity policies can allow (IAM writes, the alias half of alias operations) are denied unasked
    otherwise."""
    return any(compile_policy(p).for_action(a) for p in actor.subject.identity_policies for a in actions)


# Actions that only keys of one usage support; KMS rejects them on other keys whatever the policies say.
_USAGE_ONLY: dict[str, frozenset[str]] = {
    "ENCRYPT_DECRYPT": frozenset(
        {
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:GenerateDataKeyPair",
            "kms:GenerateDataKeyPairWithoutPlaintext",
        }
    ),
    "SIGN_VERIFY": frozenset({"kms:Sign", "kms:Verify"}),
    "GENERATE_VERIFY_MAC": frozenset({"kms:GenerateMac", "kms:VerifyMac"}),
}


def applicable(key: Key, action: str) -> bool:
    """Whether KMS accepts `action` on a key of this usage at all (keys that are not roles)."""
    if ":kms:" not in str(key.arn):
        return True
    return all(key.key_usage == usage or action not in actions for usage, actions in _USAGE_ONLY.items())


def _personal_grant(grant: Grant) -> bool:
    """A grant to one user or role: it matters only to that principal (and its sessions)."""
    grantee = grant.grantee_principal
    return isinstance(grantee, str) and (
        ":role/" in grantee or ":user/" in grantee or ":assumed-role/" in grantee
    )


def _personal_names(target: Target) -> frozenset[str]:
    """The users and roles that this target's grants, or the `Principal` elements of its policy, name one
    by one, as `account/kind/name`: they are decided on the target itself, the rest on its class."""
    policy = target.key_policy or target.key.policy
    named = [str(g.grantee_principal) for g in target.grants if _personal_grant(g)]
    if policy is not None:
        named += [str(p.value) for s in policy.statements for p in s.principal or () if _names_one(p)]
    return frozenset(_principal_name(value) for value in named)


def _names_one(principal: Principal) -> bool:
    """A `Principal` entry naming one IAM user or role (not an account, a service or `*`)."""
    value = principal.value
    return (
        principal.type == "AWS"
        and isinstance(value, str)
        and value.startswith("arn:")
        and "*" not in value
        and "?" not in value
        and (":iam::" in value or ":sts::" in value)
        and (":role/" in value or ":user/" in value or ":assumed-role/" in value)
    )


@lru_cache(maxsize=65536)
def _principal_name(arn: str) -> str:
    # role paths and session names do not change who a grant names (§2.2); cached, as every witness
    # search compares each grantee of the key with its caller
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return arn
    resource = parts[5]
    if resource.startswith("assumed-role/"):
        return f"{parts[4]}/role/{resource.split('/')[1]}"
    kind = resource.split("/", 1)[0]
    return f"{parts[4]}/{kind}/{resource.rsplit('/', 1)[-1]}"


def _remap(decision: Decision, source: Target, target: Target) -> Decision:
    """A decision made on one key of a class, as it reads on another: the same statements and grants,
    with the other key's positions."""
    if source is target or not decision.determining:
        return decision
    source_policy = source.key_policy or source.key.policy
    policy = target.key_policy or target.key.policy
    grants = {g.grant_id: g for g in target.grants}
    refs = []
    for ref in decision.determining:
        if (
            ref.layer in ("key_policy", "trust")  # the resource policy: a key's, or a role's trust policy
            and policy is not None
            and source_policy is not None
            and ref.index is not None
        ):
            statement = policy.statements[ref.index]
            ref = ref.model_copy(update={"policy": policy.name, "sid": statement.sid, "span": statement.span})
        elif ref.layer == "grant" and ref.grant_id in grants:
            ref = ref.model_copy(update={"span": grants[ref.grant_id].span})
        refs.append(ref)
    return decision.model_copy(update={"determining": tuple(refs)})


def _witnesses(
    policies: Sequence[Policy | None],
    grants: Sequence[Grant],
    action: str,
    principal: str,
    aliases: Iterable[str] = (),
    stand_in: StandIn | None = None,
    tags: dict[str, str] | None = None,
) -> list[dict[str, ContextValue]]:
    """Witness contexts for one denied request, from the statements that cover its action and the grants
    that name its caller and list the operation: only their conditions can change the answer.

    A caller names in `kms:RequestAlias` only an alias that points at the key (`aliases`); naming
    another takes an alias change first (`_Builder._by_alias`). A `stand_in` caller's organisation is a
    witness value too. A policy variable in a value is what the caller's request makes of it (its user
    name, its `tags`, its account, §2.6), so `kms:EncryptionContext:owner` = `${aws:username}` is tried
    with the user's name; a variable the caller has no value for stays, and matches nothing."""
    variables = _variables_of(principal, tags or {})
    conditions = [
        _resolved(condition, variables)
        for policy in policies
        if policy is not None
        for compiled in compile_policy(policy).for_action(action)
        for condition in compiled.statement.conditions
    ]
    operation = action.split(":", 1)[-1]
    parts = principal.split(":")
    account_root = f"arn:aws:iam::{parts[4]}:root" if len(parts) > 4 else None
    # a grant to the caller's role, to any session of it (another may be the caller) or to its account
    own = _principal_name(principal)
    relevant = [
        g
        for g in grants
        if isinstance(g.grantee_principal, str)
        and (g.grantee_principal == account_root or _principal_name(g.grantee_principal) == own)
        and operation in g.operations
    ]
    only = {"kms:requestalias": [_alias_name(a) for a in aliases]}
    found = contexts_from(conditions, relevant, limit=_WITNESS_LIMIT, only=only, stand_in=stand_in)[1:]
    if _takes_context(action):
        return found
    # a request of an action that takes no encryption context (kms:Sign) cannot carry one
    return [c for c in found if not any(k.lower().startswith("kms:encryptioncontext") for k in c)]


def _takes_context(action: str) -> bool:
    """Whether requests of `action` may carry an encryption context (the catalogue's condition keys)."""
    info = catalog_action(action)
    return info is None or any(k.startswith("kms:EncryptionContext") for k in info.condition_keys)


def _has_variables(policy: Policy) -> bool:
    """Whether a condition on a key the caller sets (a witness key) has a policy variable in a value."""
    return any(
        controlled(c.key_lower) and any(isinstance(v, str) and "${" in v for v in c.values)
        for s in policy.statements
        for c in s.conditions
    )


def _variables_of(principal: str, tags: dict[str, str]) -> dict[str, str]:
    """The policy variables (lower case) that a request of `principal` sets, with their values (§2.6)."""
    caller = parse_caller(principal)
    found = {f"aws:principaltag/{k.lower()}": v for k, v in tags.items()}
    if caller.account:
        found["aws:principalaccount"] = caller.account
    if caller.kind == "user" and caller.name:
        found["aws:username"] = caller.name
    return found


def _resolved(condition: Condition, variables: dict[str, str]) -> Condition:
    """`condition` with the variables of its values that `variables` sets replaced by their values."""
    if not any(isinstance(v, str) and "${" in v for v in condition.values):
        return condition

    def one(value: str | Unknown) -> str | Unknown:
        if isinstance(value, Unknown):
            return value
        out, rest = "", value
        while "${" in rest:
            start = rest.find("${")
            end = rest.find("}", start)
            if end < 0:
                break
            name = rest[start + 2 : end].lower()
            out += rest[:start] + variables.get(name, rest[start : end + 1])
            rest = rest[end + 1 :]
        return out + rest

    return condition._replace(values=tuple(one(v) for v in condition.values))


def level_policies(levels: Sequence[PolicyLevel] | None) -> tuple[Policy, ...]:
    """The SCPs or RCPs of every level, root first."""
    return tuple(p for level in levels or () for p in level.policies)


def situation_of(subject: Subject, target: Target) -> Situation:
    """The evaluator's situation of one caller on one target (what `evaluate_grid` decides in)."""
    return Situation(
        key=target.key,
        key_policy=target.key_policy,
        identity_policies=subject.identity_policies,
        permission_boundary=subject.permission_boundary,
        session_policies=subject.session_policies,
        scps=subject.scps,
        rcps=target.rcps,
        grants=target.grants,
        caller_tags=dict(subject.caller_tags),
        caller_org_id=subject.caller_org_id,
        caller_org_paths=subject.caller_org_paths,
    )


def org_levels(attachments: Sequence[object], owner: str) -> tuple[PolicyLevel, ...] | None:
    """SCP or RCP attachments as levels root first, then OUs, then the account (§1.7)."""
    if not attachments:
        return None
    by_target: dict[str, list[Policy]] = {}
    for attachment in attachments:
        by_target.setdefault(attachment.target, []).append(attachment.policy)  # type: ignore[attr-defined]

    def rank(target: str) -> int:
        if target.startswith("r-"):
            return 0
        if target.startswith("ou-"):
            return 1
        return 2

    order = sorted(by_target, key=rank)
    return tuple(PolicyLevel(name=t, policies=tuple(by_target[t])) for t in order)


def boundary_of(entity: IamEntity) -> Policy | None:
    """The permissions boundary the graph decides `entity` with. A boundary whose document is not in the
    input (`permission_boundary_arn` without `permission_boundary`) still makes a `Deny` + `NotPrincipal`
    statement apply to the entity whatever its list says (§2.2), so the entity keeps one; what it allows
    is unknown, and it is taken to allow everything, so that the entity's identity-based access is not
    under-reported (the review notes the missing document, `missing_boundaries`)."""
    if entity.permission_boundary is not None or entity.permission_boundary_arn is None:
        return entity.permission_boundary
    return _unknown_boundary(entity.permission_boundary_arn)


@lru_cache(maxsize=256)
def _unknown_boundary(arn: str) -> Policy:
    return _ALLOW_ALL.model_copy(
        update={
            "kind": PolicyKind.BOUNDARY,
            "name": f"permissions boundary {arn} (document not in the input: taken to allow everything)",
            "arn": arn,
        }
    )


def missing_boundaries(account: Account) -> list[tuple[str, str]]:
    """(principal ARN, boundary ARN) of the users and roles whose permissions boundary is attached but
    whose document is not in the input."""
    return [
        (e.arn, e.permission_boundary_arn)
        for e in account.principals
        if e.permission_boundary_arn is not None and e.permission_boundary is None
    ]


def trust_targets(account: Account) -> dict[str, Target]:
    """Each role with a trust policy as an evaluator target: the role as the situation's `key` (its ARN
    and account), its trust policy (`PolicyKind.TRUST`) as the resource policy of `sts:AssumeRole`."""
    return {
        e.arn: Target(key=Key(arn=e.arn, key_id=e.name, account=e.account), key_policy=e.trust_policy)
        for e in account.principals
        if e.type == "role" and e.trust_policy is not None
    }


def _delegate_all(account: str) -> Policy:
    root = f"arn:aws:iam::{account}:root"
    return Policy(
        kind=PolicyKind.KEY,
        name="stand-in: IAM resources are decided by identity policies",
        statements=(
            Statement(
                index=0,
                effect="Allow",
                principal=(Principal(type="AWS", value=root, raw=root, span=_SYNTH),),
                action=(Item(value="*", span=_SYNTH),),
                resource=(Item(value="*", span=_SYNTH),),
                span=_SYNTH,
            ),
        ),
        span=_SYNTH,
    )


def _principal_pairs(policy: Policy) -> Iterator[tuple[str, str]]:
    for statement in policy.statements:
        for principal in (*(statement.principal or ()), *(statement.not_principal or ())):
            if (
                isinstance(principal.value, str)
                and principal.value != "*"
                and principal.type in ("AWS", "Service")
            ):
                yield principal.value, principal.type


_CALLER_ACCOUNT_KEYS = frozenset({"kms:calleraccount", "aws:principalaccount"})


def _caller_accounts(policy: Policy) -> Iterator[str]:
    """The account ids that the policy's non-negated conditions on the caller's account ask for."""
    for statement in policy.statements:
        for condition in statement.conditions:
            if condition.key_lower in _CALLER_ACCOUNT_KEYS and not _negated(condition):
                for value in condition.values:
                    if isinstance(value, str) and value.isdigit() and len(value) == 12:
                        yield value


def _principal_values(policy: Policy) -> Iterator[str]:
    for value, _ in _principal_pairs(policy):
        yield value


def _unused_account(known: set[str]) -> str:
    candidate = 999999999999
    while str(candidate) in known:
        candidate -= 1
    return str(candidate)


def _policy_print(policy: Policy | None) -> object:
    """What a key policy says, without positions and without which users and roles its `Principal`
    elements name one by one: keys with equal prints are decided alike for every caller that neither
    names (the callers they name are decided on each key itself, see `_personal_names`)."""
    if policy is None:
        return None
    return tuple(
        (
            s.effect,
            None
            if s.principal is None
            else tuple((p.type, "<named>" if _names_one(p) else str(p.value)) for p in s.principal),
            _values(s.not_principal),
            _items(s.action),
            _items(s.not_action),
            _items(s.resource),
            _items(s.not_resource),
            tuple((c.operator_raw, c.key_lower, tuple(str(v) for v in c.values)) for c in s.conditions),
        )
        for s in policy.statements
    )


def _values(principals: tuple[Principal, ...] | None) -> object:
    return None if principals is None else tuple((p.type, str(p.value)) for p in principals)


def _items(items: tuple[Item, ...] | None) -> object:
    return None if items is None else tuple(str(i.value) for i in items)


_TAG_FILLER = "kmspolicy-x"


@dataclass(frozen=True)
class _TagChange:
    """A tag set to `value`, or removed (`value` None): on a key by `kms:TagResource` /
    `kms:UntagResource`, on a role or user by `iam:TagRole` / `iam:UntagRole` and the user's pair."""

    tag: str
    value: str | None

    def method(self, pair: tuple[str, str]) -> str:
        """The (tag, untag) `pair`'s method that makes this change."""
        return pair[0] if self.value is not None else pair[1]

    @property
    def context(self) -> dict[str, ContextValue]:
        """What the tagging request sends (§3.3: `aws:TagKeys`, `aws:RequestTag/<tag>`)."""
        found: dict[str, ContextValue] = {"aws:TagKeys": (self.tag,)}
        if self.value is not None:
            found[f"aws:RequestTag/{self.tag}"] = self.value
        return found

    @property
    def said(self) -> str:
        return f"tag `{self.tag}={self.value}`" if self.value is not None else f"untag `{self.tag}`"

    def applied(self, tags: dict[str, str]) -> dict[str, str] | None:
        """The tags after the change (tag keys compared case-insensitively); None when it changes nothing."""
        if _lookup(tags, self.tag) == self.value:
            return None
        kept = {k: v for k, v in tags.items() if k.lower() != self.tag.lower()}
        return kept if self.value is None else {**kept, self.tag: self.value}


def _tag_changes(reads: dict[str, list[str]]) -> list[_TagChange]:
    """For each tag that conditions read: set to each value they write, set to a value none writes (which
    lifts a Deny on the value there now), and removed."""
    return [
        change
        for tag, values in reads.items()
        for change in (
            *(_TagChange(tag, v) for v in dict.fromkeys((*values, _TAG_FILLER))),
            _TagChange(tag, None),
        )
    ]


def _tag_reads(policies: Iterable[Policy | None], prefix: str, tags: dict[str, str]) -> dict[str, list[str]]:
    """Tag -> the values that the conditions on `<prefix><tag>` (`aws:resourcetag/`, `aws:principaltag/`)
    of `policies` write, in Allow and Deny statements alike: a tag change may satisfy an Allow or lift a
    Deny (§1.9). `${aws:PrincipalTag/T}` in a value is the caller's own tag `T` (`tags`); a value with
    another variable is left out, a wildcard is filled in."""
    found: dict[str, list[str]] = {}
    for policy in policies:
        for statement in policy.statements if policy is not None else ():
            for condition in statement.conditions:
                if not condition.key_lower.startswith(prefix):
                    continue
                values = found.setdefault(condition.key.split("/", 1)[1], [])
                for value in condition.values:
                    own = _with_own_tags(value, tags)
                    if own is not None:
                        values.append(own.replace("*", _TAG_FILLER).replace("?", "x"))
    return {tag: list(dict.fromkeys(values)) for tag, values in found.items()}


def _compared_tags(policies: Iterable[Policy | None], keys: Iterable[Key]) -> dict[str, list[str]]:
    """Principal tag `T` -> the values that would make it equal a key's tag: a condition
    `aws:ResourceTag/X` = `${aws:PrincipalTag/T}` (ABAC, §1.9) compares it with each key's `X`."""
    prefix = "${aws:principaltag/"
    found: dict[str, list[str]] = {}
    for policy in policies:
        for statement in policy.statements if policy is not None else ():
            for condition in statement.conditions:
                if not condition.key_lower.startswith("aws:resourcetag/"):
                    continue
                resource_tag = condition.key.split("/", 1)[1]
                for value in condition.values:
                    if isinstance(value, str) and value.lower().startswith(prefix) and value.endswith("}"):
                        on_keys = (_lookup(k.tags, resource_tag) for k in keys)
                        found.setdefault(value[len(prefix) : -1], []).extend(v for v in on_keys if v)
    return found


def _names_writers(target: Target, method: str) -> bool:
    """Whether the target's key policy has an Allow for `method` naming principals one by one or `*`
    (not only accounts, which delegate to IAM)."""
    policy = target.key_policy or target.key.policy
    return policy is not None and any(
        c.statement.effect == "Allow"
        and any(
            not (isinstance(p.value, str) and (p.value.endswith(":root") or p.value.isdigit()))
            for p in c.statement.principal or ()
        )
        for c in compile_policy(policy, "key_policy").for_action(method)
    )


_ALIAS_KEYS = ("kms:resourcealiases", "kms:requestalias")
_ALIAS_WRITES = ("kms:CreateAlias", "kms:UpdateAlias")


def _alias_conditions(policy: Policy | None, tags: dict[str, str]) -> list[tuple[Glob, str]]:
    """The alias names that the `kms:ResourceAliases` / `kms:RequestAlias` conditions of a policy's Allow
    statements ask for: each as a pattern (to match existing aliases) and one name that matches it.

    `${aws:PrincipalTag/T}` in a value is the caller's own tag `T` (`tags`; a key policy is read for any
    caller, with no tags, so that its values with variables are left out)."""
    if policy is None:
        return []
    found: list[tuple[Glob, str]] = []
    for statement in policy.statements:
        if statement.effect != "Allow":
            continue
        for condition in statement.conditions:
            if condition.key_lower in _ALIAS_KEYS and not _negated(condition):
                for value in condition.values:
                    pattern = _with_own_tags(value, tags)
                    if pattern is not None:
                        found.append((Glob(pattern), pattern.replace("*", "kmspolicy-x").replace("?", "x")))
    return found


def _negated(condition: Condition) -> bool:
    return condition.operator is None or condition.operator.negated


def _with_own_tags(value: str | Unknown, tags: dict[str, str]) -> str | None:
    """A condition value with `${aws:PrincipalTag/T}` replaced by the tag's value; None when it holds any
    other variable or a tag the actor does not have."""
    if isinstance(value, Unknown):
        return None
    prefix = "${aws:principaltag/"
    while "${" in value:
        start = value.find("${")
        end = value.find("}", start)
        if end < 0 or not value[start:end].lower().startswith(prefix):
            return None
        own = _lookup(tags, value[start + len(prefix) : end])
        if own is None:
            return None
        value = value[:start] + own + value[end + 1 :]
    return value


def _alias_name(alias: str) -> str:
    """`alias/x` from an alias name or ARN."""
    return alias.split(":", 5)[5] if alias.startswith("arn:") else alias


def _valid_alias(name: str) -> bool:
    """A name a customer can create: `alias/` then `[a-zA-Z0-9:/_-]`, 1-256 characters, outside the
    reserved `alias/aws/` (§1.9)."""
    body = name[len("alias/") :]
    return (
        name.startswith("alias/")
        and not name.startswith("alias/aws/")
        and 0 < len(name) <= 256
        and bool(body)
        and all(c.isascii() and (c.isalnum() or c in ":/_-") for c in body)
    )


def _lookup(tags: dict[str, str], name: str) -> str | None:
    return next((v for k, v in tags.items() if k.lower() == name.lower()), None)


__all__ = [
    "ANY_PRINCIPAL_NAME",
    "ASSUME",
    "DEFAULT_ACTIONS",
    "AccessGraph",
    "Actor",
    "StatementRef",
    "account_of",
    "build_graph",
]
