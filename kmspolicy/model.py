"""The one normalised model that every stage of kmspolicy reads.

Everything here is a frozen pydantic model but for three named tuples (see `Span`). The parser
builds them through `trusted()` (or, for its most numerous nodes, `at()`), which skips pydantic's
validation: the parser has already checked the structure and reported what was wrong with a
position, and re-validating every node would cost more than parsing the JSON (see benchmarks/).
Models built by users (the Python API, tests) go through the normal validating constructor.

Positions are carried as a `Span` of (file, JSON pointer) only. Turning a pointer into line and
column needs the source text and a position-aware scan; `kmspolicy.parse.source.SourceSet.locate`
does that lazily, only for the spans that end up in a report.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

_new = object.__new__
# BaseModel's slots, set directly: cheaper than object.__setattr__, and pydantic's own __setattr__
# refuses frozen models.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
# What trusted() works out once per class: the defaults, and per tuple of keywords the shared
# fields-set and whether the keywords already are the node's dict. Kept here rather than on the
# class, as reading a class attribute goes through pydantic's metaclass and costs more.
_TRUSTED_PLANS: dict[type, tuple[dict[str, Any], dict[tuple[str, ...], tuple[set[str], bool]]]] = {}

M = TypeVar("M", bound="Frozen")


class Frozen(BaseModel):
    # Schemas are built on first validation: the parser builds nodes with `trusted()`, so most runs
    # never validate one and start faster.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    @classmethod
    def trusted(cls: type[M], **fields: Any) -> M:
        """Build without validation; for the parser, which has validated the input already.

        The node is what `{**defaults, **fields}` gives, with `fields` as its set fields. The parser
        builds hundreds of thousands of nodes, so everything that depends only on the class and the
        call's keywords is worked out once. Calls with the same keywords share one fields-set: a set
        per node was a third of the parser's memory, and pydantic never changes it in place on a
        frozen model (`model_copy` copies it first).
        """
        defaults, shapes = _plan(cls)
        keys = tuple(fields)
        shape = shapes.get(keys)
        if shape is None:
            # `fields` itself can be the node's dict when it has every default, in that order.
            shape = shapes[keys] = (set(keys), tuple({**defaults, **fields}) == keys)
        fields_set, complete = shape
        return trusted_node(cls, fields if complete else {**defaults, **fields}, fields_set)

    @classmethod
    def trusted_defaults(cls) -> dict[str, Any]:
        """The values `trusted()` gives the fields it is not given (one dict per class: never change it)."""
        return _plan(cls)[0]


def _plan(cls: type[Frozen]) -> tuple[dict[str, Any], dict[tuple[str, ...], tuple[set[str], bool]]]:
    plan = _TRUSTED_PLANS.get(cls)
    if plan is None:
        plan = _TRUSTED_PLANS[cls] = (
            {
                name: (info.default_factory() if info.default_factory is not None else info.default)  # type: ignore[call-arg]
                for name, info in cls.model_fields.items()
                if not info.is_required()
            },
            {},
        )
    return plan


def trusted_node(cls: type[M], fields: dict[str, Any], fields_set: set[str]) -> M:
    """A node whose dict is `fields` as given (every field, in any order), with nothing validated and
    `fields_set` (shared, never changed) as its set fields: `trusted()` without its per-call work."""
    obj = _new(cls)
    _set_dict(obj, fields)
    _set_fields_set(obj, fields_set)
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


# --------------------------------------------------------------------------- positions


class Span(NamedTuple):
    """Where a model node came from: a file and an RFC 6901 JSON pointer into it.

    For a policy embedded as a JSON string (get-key-policy output, Terraform plans), the pointer
    continues into the embedded document: `/Policy/Statement/0/Effect`.

    Spans, items and principals are named tuples, not pydantic models: the parser makes one per
    node or entry, and as models (an object and a dict each) they were a third of the parser's time
    and half its memory; a named tuple is a fifth of the size and as immutable. JSON shows them as
    objects, as it would models.
    """

    file: str
    pointer: str = ""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return _object_in_json(source, handler)


def _object_in_json(source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
    """The schema of a named tuple of the model, which JSON shows as an object, as it would a model."""
    schema = handler(source)
    # set on the definition, which every use of the tuple refers to, not on this one reference to it
    definition: dict[str, Any] = handler.resolve_ref_schema(schema)  # type: ignore[assignment]
    serializer = core_schema.plain_serializer_function_ser_schema(_as_object, when_used="json")
    definition["serialization"] = serializer
    return schema


def _as_object(value: Any) -> Any:
    if isinstance(value, _Positioned):
        return {name: _as_object(getattr(value, name)) for name in value._shown}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: _as_object(field) for name, field in zip(value._fields, value, strict=True)}
    if isinstance(value, BaseModel):  # an `Unknown`: dumped here, which builds its serializer if need be
        return value.model_dump(mode="json")
    return value


class Location(Frozen):
    """A resolved position; lines and columns are 1-based, the end is exclusive."""

    file: str
    pointer: str
    line: int
    column: int
    end_line: int
    end_column: int


# --------------------------------------------------------------------------- values


class Unknown(Frozen):
    """A value that cannot be known before deployment.

    CloudFormation intrinsics that do not resolve and Terraform's unknown-after-apply values become
    this, never literal text. Matchers treat it as matching nothing and say so in their trace.
    """

    expr: str


Scalar = str | Unknown


# --------------------------------------------------------------------------- ARNs


class Arn(Frozen):
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        """`key`, `alias`, `role`, ... : the resource part up to the first `/` (or `:`)."""
        for sep in ("/", ":"):
            if sep in self.resource:
                return self.resource.split(sep, 1)[0]
        return self.resource

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


# --------------------------------------------------------------------------- policies


class PolicyKind(str, Enum):
    KEY = "key"  # a KMS key policy (resource policy)
    IDENTITY = "identity"  # IAM user/role/group policy, inline or managed
    TRUST = "trust"  # a role's trust (assume-role) policy
    BOUNDARY = "boundary"  # permissions boundary
    SESSION = "session"  # session policy
    SCP = "scp"
    RCP = "rcp"


PrincipalType = Literal["AWS", "Service", "Federated", "CanonicalUser"]


class _Positioned(tuple[Any, ...]):
    """A named tuple whose last two fields are its span's `file` and `pointer`: the parser makes one per
    entry, and a span object for each was a tenth of its time and a quarter of the objects a parsed
    corpus keeps alive. The span is made when asked for; each class is built with a `span` argument,
    and JSON shows the fields named in `_shown`, the span as an object, as if it were a field."""

    __slots__ = ()
    _shown: tuple[str, ...]

    @property
    def span(self) -> Span:
        return _new_tuple(Span, self[-2:])

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (*self[:-2], self.span)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # validated as instances: they are made by the parser or by their own constructors
        serializer = core_schema.plain_serializer_function_ser_schema(_as_object, when_used="json")
        return core_schema.is_instance_schema(cls, serialization=serializer)


class _PrincipalFields(NamedTuple):
    type: PrincipalType
    value: Scalar
    raw: Scalar
    file: str
    pointer: str


class Principal(_Positioned, _PrincipalFields):
    """One principal value. `"*"` and `{"AWS": "*"}` both become type AWS, value `*`.

    A bare account id is normalised to its root ARN (`value`); `raw` keeps what was written.
    """

    __slots__ = ()
    _shown = ("type", "value", "raw", "span")

    def __new__(cls, type: PrincipalType, value: Scalar, raw: Scalar, span: Span) -> Principal:
        return _new_tuple(cls, (type, value, raw, *span))


class _ItemFields(NamedTuple):
    value: Scalar
    file: str
    pointer: str


class Item(_Positioned, _ItemFields):
    """One entry of Action/NotAction or Resource/NotResource, as written, with its position."""

    __slots__ = ()
    _shown = ("value", "span")

    def __new__(cls, value: Scalar, span: Span) -> Item:
        return _new_tuple(cls, (value, *span))


# The parser's builders for its most numerous nodes: `tuple.__new__` without the keyword handling of
# the classes' own constructors, which costs half as much again per node.
def new_span(file: str, pointer: str) -> Span:
    return _new_tuple(Span, (file, pointer))


def new_item(value: Scalar, file: str, pointer: str) -> Item:
    return _new_tuple(Item, (value, file, pointer))


def new_principal(type: PrincipalType, value: Scalar, raw: Scalar, file: str, pointer: str) -> Principal:
    return _new_tuple(Principal, (type, value, raw, file, pointer))


_new_tuple = tuple.__new__


SetQualifier = Literal["ForAllValues", "ForAnyValue"]
OperatorFamily = Literal["String", "Numeric", "Date", "Bool", "Binary", "IpAddress", "Arn", "Null"]


class Operator(Frozen):
    """A parsed condition operator name such as `ForAnyValue:StringNotLikeIfExists`."""

    raw: str
    qualifier: SetQualifier | None
    base: str  # canonical spelling of the base operator, e.g. "StringNotLike"
    family: OperatorFamily
    negated: bool
    if_exists: bool


class _ConditionFields(NamedTuple):
    operator: Operator | None
    operator_raw: str
    key: str
    key_lower: str
    values: tuple[Scalar, ...]
    file: str
    pointer: str


class Condition(_Positioned, _ConditionFields):
    """One (operator, key, values) triple of a Condition block; its span points at the key inside the
    operator block.

    `operator` is None when the operator name is not valid; the parser reports that as a finding and
    the evaluator treats the condition as never satisfied. `key` keeps the spelling as written;
    `key_lower` is the case-insensitive identity of the key.
    """

    __slots__ = ()
    _shown = ("operator", "operator_raw", "key", "key_lower", "values", "span")

    def __new__(
        cls,
        operator: Operator | None,
        operator_raw: str,
        key: str,
        key_lower: str,
        values: tuple[Scalar, ...],
        span: Span,
    ) -> Condition:
        return _new_tuple(cls, (operator, operator_raw, key, key_lower, values, *span))


def new_condition(
    operator: Operator | None,
    operator_raw: str,
    key: str,
    key_lower: str,
    values: tuple[Scalar, ...],
    file: str,
    pointer: str,
) -> Condition:
    """As `new_item`."""
    return _new_tuple(Condition, (operator, operator_raw, key, key_lower, values, file, pointer))


Effect = Literal["Allow", "Deny"]


class Statement(Frozen):
    index: int
    sid: str | None = None
    effect: Effect | None = None  # None: missing or invalid (reported by the parser)
    principal: tuple[Principal, ...] | None = None
    not_principal: tuple[Principal, ...] | None = None
    action: tuple[Item, ...] | None = None
    not_action: tuple[Item, ...] | None = None
    resource: tuple[Item, ...] | None = None
    not_resource: tuple[Item, ...] | None = None
    conditions: tuple[Condition, ...] = ()
    span: Span


class Policy(Frozen):
    kind: PolicyKind
    name: str  # the policy's name where it has one, else the file (and pointer) it came from
    arn: str | None = None  # a customer or AWS managed policy's ARN (what iam:CreatePolicyVersion names)
    version: str | None = None
    id: str | None = None
    statements: tuple[Statement, ...] = ()
    span: Span
    # A managed policy's versions other than the default (in force): iam:SetDefaultPolicyVersion
    # can put any of them in force. Empty when not known or not a managed policy.
    other_versions: tuple[Policy, ...] = ()


class PolicyLevel(Frozen):
    """One level of an organisation's hierarchy (root, an OU, the account) and the SCPs or RCPs there."""

    name: str
    policies: tuple[Policy, ...] = ()


# --------------------------------------------------------------------------- grants, keys, aliases


class GrantConstraints(Frozen):
    encryption_context_equals: dict[str, str] | None = None
    encryption_context_subset: dict[str, str] | None = None
    # The newer `SourceArn` constraint of grants to service principals (reference §1.5, §9 q1): the
    # grant is used only for requests whose `aws:SourceArn` is this ARN.
    source_arn: str | None = None


class Grant(Frozen):
    """One grant, as `aws kms list-grants` returns it."""

    key_id: str
    grant_id: str
    name: str | None = None
    grantee_principal: Scalar
    retiring_principal: Scalar | None = None
    issuing_account: str | None = None
    operations: tuple[str, ...] = ()
    constraints: GrantConstraints | None = None
    creation_date: str | None = None
    token: str | None = None  # known only to the simulator and to scenarios that set it
    span: Span


KeyManager = Literal["AWS", "CUSTOMER"]


class Alias(Frozen):
    name: str  # alias/...
    arn: str | None = None
    target_key_id: str | None = None
    span: Span | None = None


class Key(Frozen):
    arn: Scalar
    key_id: str
    account: str | None = None
    region: str | None = None
    partition: str = "aws"
    key_manager: KeyManager = "CUSTOMER"
    key_spec: str = "SYMMETRIC_DEFAULT"
    key_usage: str = "ENCRYPT_DECRYPT"
    origin: str = "AWS_KMS"
    key_state: str = "Enabled"
    enabled: bool = True
    description: str | None = None
    multi_region: bool = False
    multi_region_key_type: Literal["PRIMARY", "REPLICA"] | None = None
    rotation_enabled: bool | None = None  # None: not known from the input
    rotation_period_days: int | None = None
    deletion_date: str | None = None
    pending_window_days: int | None = None
    bypass_policy_lockout_safety_check: bool | None = None
    expiration_model: str | None = None  # imported material: KEY_MATERIAL_EXPIRES / ..._DOES_NOT_EXPIRE
    valid_to: str | None = None  # imported material: when it expires (ISO 8601)
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)
    policy: Policy | None = None
    policy_declared: bool = True  # False when IaC declares a key without a policy (default applies)
    grants: tuple[Grant, ...] = ()
    span: Span | None = None


class KeyConsumer(Frozen):
    """A resource of another service that a template or plan encrypts (or leaves unencrypted).

    `key` is what the resource names: a key ARN or id, an alias (`alias/aws/s3` for the AWS managed
    key), an Unknown placeholder (a `Ref` to a key in the same template), or None when the resource
    uses no customer-chosen key (service default encryption, or none: see `encrypted`).
    """

    resource_type: str  # e.g. AWS::S3::Bucket, aws_s3_bucket_server_side_encryption_configuration
    name: str  # logical id or Terraform address
    key: Scalar | None = None
    encrypted: bool = True
    purpose: str = ""  # what is encrypted, e.g. "bucket default encryption", "trail log files"
    span: Span


class Share(Frozen):
    """Another account that a template lets read a consumer's data: a secret's resource policy, an
    EBS snapshot or AMI permission, an S3 replication rule.

    `resource` is the `KeyConsumer.name` whose data is shared; `account` is the account id or the
    principal ARN the template names (Unknown when it is known only at deployment).
    """

    resource: str
    account: Scalar
    how: str  # e.g. "resource policy `SecretPolicy`", "replication rule"
    span: Span


# --------------------------------------------------------------------------- IAM principals, accounts


IamEntityType = Literal["user", "role", "group"]


class IamEntity(Frozen):
    """An IAM user, role or group with every policy in force on it.

    For users, `policies` already includes the policies of their groups; for managed policies only
    the default version is included.
    """

    arn: str
    type: IamEntityType
    name: str
    account: str
    path: str = "/"
    unique_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    policies: tuple[Policy, ...] = ()
    permission_boundary: Policy | None = None
    # The boundary attached, also when its document is not in the input (`permission_boundary` None).
    permission_boundary_arn: str | None = None
    trust_policy: Policy | None = None
    groups: tuple[str, ...] = ()
    span: Span | None = None


class OrgPolicyAttachment(Frozen):
    """An SCP or RCP and the root, OU or account it is attached to."""

    target: str
    policy: Policy


class Account(Frozen):
    """An account snapshot: everything kmspolicy knows about one AWS account."""

    account_id: str | None = None
    org_id: str | None = None
    partition: str = "aws"
    principals: tuple[IamEntity, ...] = ()
    keys: tuple[Key, ...] = ()
    aliases: tuple[Alias, ...] = ()
    scps: tuple[OrgPolicyAttachment, ...] = ()
    rcps: tuple[OrgPolicyAttachment, ...] = ()


# --------------------------------------------------------------------------- parsed inputs


class InputKind(str, Enum):
    POLICY = "policy"  # a raw policy document; the parser decides key vs identity policy
    KEY_POLICY = "key-policy"
    IDENTITY_POLICY = "identity-policy"
    GET_KEY_POLICY = "get-key-policy"
    DESCRIBE_KEY = "describe-key"
    LIST_GRANTS = "list-grants"
    LIST_ALIASES = "list-aliases"
    ROTATION_STATUS = "rotation-status"
    CLOUDFORMATION = "cloudformation"
    TERRAFORM_PLAN = "terraform-plan"
    SNAPSHOT = "snapshot"


class Document(Frozen):
    """Everything read from one input (a file, or a snapshot directory).

    `keys` carry their own policy and grants; `policies` holds the policies that are not a key's
    (identity, trust, boundary, SCP/RCP). `notes` are things the parser assumed, for the user.
    """

    file: str
    kind: InputKind
    policies: tuple[Policy, ...] = ()
    keys: tuple[Key, ...] = ()
    grants: tuple[Grant, ...] = ()  # grants not attached to a known key
    aliases: tuple[Alias, ...] = ()
    principals: tuple[IamEntity, ...] = ()
    consumers: tuple[KeyConsumer, ...] = ()
    shares: tuple[Share, ...] = ()
    account: Account | None = None
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- findings


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"
    ERROR = "error"  # the input is invalid or will be rejected by AWS


SEVERITY_RANK: dict[Severity, int] = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
    Severity.ERROR: 5,
}


class StatementRef(Frozen):
    """What a finding or a decision points at: a statement of a policy, or a grant."""

    layer: str  # key_policy, identity, boundary, session, scp, rcp, grant, trust
    policy: str | None = None  # policy name or file
    sid: str | None = None
    index: int | None = None
    grant_id: str | None = None
    span: Span | None = None


class Finding(Frozen):
    """One problem found by a rule or by the parser.

    `location` is resolved from `span` by the lint driver once the run is over.
    """

    id: str  # permanent rule id, e.g. KMS001; parser findings use PARSE ids
    rule: str  # catalogue name, e.g. kp-public-principal
    severity: Severity
    message: str
    help: str = ""
    span: Span
    location: Location | None = None
    statement: StatementRef | None = None


# --------------------------------------------------------------------------- requests and decisions


DecisionEffect = Literal["ALLOW", "IMPLICIT_DENY", "EXPLICIT_DENY"]

ContextValue = str | tuple[str, ...]


class Request(Frozen):
    """One KMS request: who calls which action on what, with which request context.

    `principal` is the caller: an IAM user ARN, an assumed-role or federated-user session ARN, an
    account root ARN, or a service principal name (`s3.amazonaws.com`). `resource` is a key ARN, an
    alias ARN, or `*` for key-less actions. `context` holds condition keys set by the request; what
    AWS fills in by itself (aws:PrincipalArn, kms:CallerAccount, ...) is derived by the evaluator
    unless set here. Context keys are matched case-insensitively.
    """

    principal: str
    action: str
    resource: str = "*"
    context: dict[str, ContextValue] = Field(default_factory=dict)
    grant_tokens: tuple[str, ...] = ()
    grant_id: str | None = None  # the grant a RetireGrant/RevokeGrant request names


class Situation(Frozen):
    """Everything besides the request that decides it.

    `scps` / `rcps`: None means no organisation policies are in force; a tuple of levels (root
    first) means they are the complete set at each level.
    `identity_policies`: every identity policy in force on the caller (for users, group policies too).
    `caller_tags`: tags of the calling user/role (and session tags), for aws:PrincipalTag.
    `caller_org_id` / `caller_org_paths`: the caller's organisation, for aws:PrincipalOrgID/Paths.
    """

    key: Key | None = None
    key_policy: Policy | None = None
    identity_policies: tuple[Policy, ...] = ()
    permission_boundary: Policy | None = None
    session_policies: tuple[Policy, ...] = ()
    scps: tuple[PolicyLevel, ...] | None = None
    rcps: tuple[PolicyLevel, ...] | None = None
    grants: tuple[Grant, ...] = ()
    caller_tags: dict[str, str] = Field(default_factory=dict)
    caller_org_id: str | None = None
    caller_org_paths: tuple[str, ...] = ()


TraceOutcome = Literal["match", "no-match", "skip", "info"]


class TraceStep(Frozen):
    """One step of an evaluation: what was looked at, and whether it matched and why (not)."""

    layer: str
    outcome: TraceOutcome
    reason: str  # lower-case sentence, user values in backticks
    ref: StatementRef | None = None
    element: str | None = None  # Principal, Action, Resource, Condition, Operations, Constraints, ...
    span: Span | None = None


class Decision(Frozen):
    effect: DecisionEffect
    reason: str  # one line, e.g. "no identity-based policy allows `kms:Decrypt`"
    determining: tuple[StatementRef, ...] = ()
    trace: tuple[TraceStep, ...] = ()
    nearest: tuple[TraceStep, ...] = ()  # on denial: statements that failed on one element only
