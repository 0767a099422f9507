"""Read `terraform show -json` output (a plan, or a state) into KMS keys, grants and IAM principals.

Values come from `planned_values` (then `prior_state`, `values` and `resource_changes`), each resource
joined with `resource_changes[].change.after_unknown`, so that a value Terraform learns only at apply
time becomes `Unknown("aws_kms_key.main.arn (known after apply)")` instead of being missing. Links
between resources (a key and its `aws_kms_key_policy`, a grant and its key, a role and its policies)
follow the `references` of the plan's `configuration` first and known values (ids, ARNs, names) second.
Policy strings are embedded JSON: their positions land inside the plan file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from kmspolicy.model import (
    Alias,
    Document,
    Grant,
    GrantConstraints,
    IamEntity,
    IamEntityType,
    InputKind,
    Key,
    KeyConsumer,
    Policy,
    PolicyKind,
    Scalar,
    Share,
    Unknown,
)
from kmspolicy.parse.consumers import (
    TERRAFORM,
    TERRAFORM_BUCKET,
    ConsumerSpec,
    consumer,
    kms_algorithm,
    policy_shares,
)
from kmspolicy.parse.context import INPUT_ERROR, SYN_STRUCTURE, ReadContext, pointer_join
from kmspolicy.parse.policy import read_policy
from kmspolicy.parse.source import load_embedded_json

_ENTITY_TYPES: dict[str, IamEntityType] = {
    "aws_iam_role": "role",
    "aws_iam_user": "user",
    "aws_iam_group": "group",
}
# inline policy resource -> (attribute naming its holder, holder type)
_INLINE_POLICIES: dict[str, tuple[str, IamEntityType]] = {
    "aws_iam_role_policy": ("role", "role"),
    "aws_iam_user_policy": ("user", "user"),
    "aws_iam_group_policy": ("group", "group"),
}
_ATTACHMENTS: dict[str, tuple[str, IamEntityType]] = {
    "aws_iam_role_policy_attachment": ("role", "role"),
    "aws_iam_user_policy_attachment": ("user", "user"),
    "aws_iam_group_policy_attachment": ("group", "group"),
}
# aws_iam_policy_document statement block attributes -> policy elements
_BLOCK_LISTS = {
    "actions": "Action",
    "not_actions": "NotAction",
    "resources": "Resource",
    "not_resources": "NotResource",
}
_BLOCK_PRINCIPALS = {"principals": "Principal", "not_principals": "NotPrincipal"}


@dataclass
class _Resource:
    address: str  # as in the plan: module.net.aws_kms_key.main["a"]
    config_address: str  # the same without instance keys: module.net.aws_kms_key.main
    module: str  # module.net. (with the trailing dot) or ""
    type: str
    mode: str  # managed | data
    values: dict[str, object]
    pointer: str
    unknown: dict[str, object] = field(default_factory=dict)
    expressions: dict[str, object] = field(default_factory=dict)
    expressions_pointer: str = ""  # where `expressions` is in the plan

    def get(self, name: str) -> object:
        """An attribute's value, `Unknown` when Terraform learns it at apply time, else None."""
        value = self.values.get(name)
        if value is not None:
            return value
        if self.unknown.get(name) is True:
            # Name what the value comes from when the configuration says: `aws_iam_role.app.arn`.
            source = self.expressions.get(name)
            refs = source.get("references") if isinstance(source, dict) else None
            origin = refs[0] if isinstance(refs, list) and refs else f"{self.address}.{name}"
            return Unknown.trusted(expr=f"{origin} (known after apply)")
        return None

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if isinstance(value, str) and value else None

    def references(self, name: str) -> list[str]:
        """Configuration addresses of the resources an attribute's expression refers to."""
        return self.expression_references(self.expressions.get(name))

    def expression_references(self, expression: object) -> list[str]:
        """Configuration addresses of the resources a configuration expression refers to."""
        refs = expression.get("references") if isinstance(expression, dict) else None
        found: list[str] = []
        for ref in refs if isinstance(refs, list) else []:
            if not isinstance(ref, str) or ref.startswith(("var.", "local.", "module.", "each.", "count.")):
                continue
            parts = _strip_index(ref).split(".")
            size = 3 if parts[0] == "data" else 2
            if len(parts) >= size:
                address = self.module + ".".join(parts[:size])
                if address not in found:
                    found.append(address)
        return found


def _strip_index(address: str) -> str:
    """`module.a["x"].aws_kms_key.k[0]` -> `module.a.aws_kms_key.k`."""
    out, depth = [], 0
    for char in address:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def _module_prefix(address: str, mode: str, resource_type: str) -> str:
    marker = ("data." if mode == "data" else "") + resource_type + "."
    bare = _strip_index(address)
    return bare[: bare.rfind(marker)] if marker in bare else ""


def _modules(module: object, pointer: str) -> Iterator[tuple[dict[str, object], str]]:
    """A module of `planned_values` / `prior_state` and every child module, with pointers."""
    if not isinstance(module, dict):
        return
    yield module, pointer
    children = module.get("child_modules")
    for index, child in enumerate(children if isinstance(children, list) else []):
        yield from _modules(child, pointer_join(pointer, "child_modules", index))


def _config_modules(
    module: object, prefix: str, pointer: str
) -> Iterator[tuple[dict[str, object], str, str]]:
    """A module of `configuration` and every module it calls: (module, address prefix, pointer)."""
    if not isinstance(module, dict):
        return
    yield module, prefix, pointer
    calls = module.get("module_calls")
    for name, call in (calls if isinstance(calls, dict) else {}).items():
        if isinstance(call, dict):
            at = pointer_join(pointer, "module_calls", name, "module")
            yield from _config_modules(call.get("module"), f"{prefix}module.{name}.", at)


def _collect(plan: dict[str, object]) -> list[_Resource]:
    resources: dict[str, _Resource] = {}
    prior = plan.get("prior_state")
    # (values, pointer, data sources only): in a plan, `prior_state` still holds what will be destroyed,
    # so only the data sources read at plan time are taken from it.
    roots = [
        (plan.get("planned_values"), "/planned_values", False),
        (prior.get("values") if isinstance(prior, dict) else None, "/prior_state/values", True),
        (plan.get("values"), "/values", False),
    ]
    for values, prefix, data_only in roots:
        if not isinstance(values, dict):
            continue
        for module, pointer in _modules(values.get("root_module"), f"{prefix}/root_module"):
            items = module.get("resources")
            for index, item in enumerate(items if isinstance(items, list) else []):
                if not isinstance(item, dict) or not isinstance(item.get("address"), str):
                    continue
                address = str(item["address"])
                if address in resources or not isinstance(item.get("values"), dict):
                    continue
                mode, kind = str(item.get("mode", "managed")), str(item.get("type", ""))
                if data_only and mode != "data":
                    continue
                resources[address] = _Resource(
                    address=address,
                    config_address=_strip_index(address),
                    module=_module_prefix(address, mode, kind),
                    type=kind,
                    mode=mode,
                    values=item["values"],
                    pointer=pointer_join(pointer, "resources", index, "values"),
                )
    changes = plan.get("resource_changes")
    for index, change_item in enumerate(changes if isinstance(changes, list) else []):
        if not isinstance(change_item, dict) or not isinstance(change_item.get("change"), dict):
            continue
        address, change = str(change_item.get("address", "")), change_item["change"]
        after_unknown = change.get("after_unknown")
        unknown = after_unknown if isinstance(after_unknown, dict) else {}
        if address in resources:
            resources[address].unknown = unknown
            continue
        after = change.get("after")
        if change.get("actions") == ["delete"] or not isinstance(after, dict):
            continue
        mode, kind = str(change_item.get("mode", "managed")), str(change_item.get("type", ""))
        resources[address] = _Resource(
            address=address,
            config_address=_strip_index(address),
            module=_module_prefix(address, mode, kind),
            type=kind,
            mode=mode,
            values=after,
            pointer=pointer_join("/resource_changes", index, "change", "after"),
            unknown=unknown,
        )
    configuration = plan.get("configuration")
    expressions: dict[str, tuple[dict[str, object], str]] = {}
    if isinstance(configuration, dict):
        root = _config_modules(configuration.get("root_module"), "", "/configuration/root_module")
        for module, prefix, pointer in root:
            items = module.get("resources")
            for index, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and isinstance(item.get("expressions"), dict):
                    at = pointer_join(pointer, "resources", index, "expressions")
                    expressions[prefix + str(item.get("address"))] = (item["expressions"], at)
    for resource in resources.values():
        resource.expressions, resource.expressions_pointer = expressions.get(
            resource.config_address, ({}, "")
        )
    return list(resources.values())


def _block_value(expression: object) -> object:
    """A configuration expression as a value: its constant, or `Unknown` naming what it refers to."""
    if not isinstance(expression, dict):
        return None
    if "constant_value" in expression:
        return expression["constant_value"]
    refs = expression.get("references")
    if isinstance(refs, list) and refs:
        return Unknown.trusted(expr=f"{refs[0]} (known after apply)")
    return None


def _statement_from_block(block: dict[str, object]) -> dict[str, object]:
    """One `aws_iam_policy_document` statement block of the configuration as a policy statement."""
    statement: dict[str, object] = {}
    sid = _block_value(block.get("sid"))
    if sid:
        statement["Sid"] = sid
    statement["Effect"] = _block_value(block.get("effect")) or "Allow"
    for attribute, element in _BLOCK_LISTS.items():
        entries = _block_value(block.get(attribute))
        if entries:
            statement[element] = entries
    for attribute, element in _BLOCK_PRINCIPALS.items():
        principals: dict[str, list[object]] = {}
        blocks = block.get(attribute)
        for principal in blocks if isinstance(blocks, list) else []:
            if not isinstance(principal, dict):
                continue
            kind, identifiers = (
                _block_value(principal.get("type")),
                _block_value(principal.get("identifiers")),
            )
            if isinstance(kind, str):
                principals.setdefault(kind, []).extend(
                    identifiers if isinstance(identifiers, list) else [identifiers]
                )
        if principals:
            statement[element] = principals
    conditions: dict[str, dict[str, object]] = {}
    blocks = block.get("condition")
    for condition in blocks if isinstance(blocks, list) else []:
        if not isinstance(condition, dict):
            continue
        test, variable = _block_value(condition.get("test")), _block_value(condition.get("variable"))
        if isinstance(test, str) and isinstance(variable, str):
            conditions.setdefault(test, {})[variable] = _block_value(condition.get("values"))
    if conditions:
        statement["Condition"] = conditions
    return statement


@dataclass
class _Entity:
    resource: _Resource | None
    type: IamEntityType
    name: str
    path: str
    account: str
    arn: str
    tags: dict[str, str]
    policies: list[Policy] = field(default_factory=list)
    boundary: Policy | None = None
    boundary_arn: str | None = None
    trust: Policy | None = None


@dataclass
class _Reader:
    ctx: ReadContext
    resources: list[_Resource]
    by_config: dict[str, list[_Resource]] = field(default_factory=dict)
    documents: dict[str, Policy | None] = field(default_factory=dict)  # data source address -> policy
    keys: dict[str, dict[str, object]] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    # key address -> what other resources attach to it
    key_grants: dict[str, list[Grant]] = field(default_factory=dict)
    key_aliases: dict[str, list[str]] = field(default_factory=dict)
    managed: dict[str, Policy] = field(default_factory=dict)  # aws_iam_policy address -> policy
    entities: dict[str, _Entity] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)
    consumers: list[KeyConsumer] = field(default_factory=list)
    shares: list[Share] = field(default_factory=list)
    account: str | None = None

    def __post_init__(self) -> None:
        arn_accounts: list[str] = []
        for resource in self.resources:
            self.by_config.setdefault(resource.config_address, []).append(resource)
            if resource.type == "aws_caller_identity" and isinstance(resource.values.get("account_id"), str):
                self.account = str(resource.values["account_id"])
            arn = resource.values.get("arn")
            if (
                resource.type.startswith(("aws_kms_", "aws_iam_"))
                and isinstance(arn, str)
                and arn.count(":") >= 5
            ):
                arn_accounts.append(arn.split(":")[4])
        # The owner account: --account, else the caller identity of the plan, else the resources' ARNs.
        known = [account for account in arn_accounts if account.isdigit()]
        self.account = self.ctx.account or self.account or (known[0] if known else None)

    # ----------------------------------------------------------------- linking

    def linked(
        self, resource: _Resource, attribute: str, types: tuple[str, ...], *values: str
    ) -> _Resource | None:
        """The resource of one of `types` that `attribute` refers to, by reference or by known value."""
        for address in resource.references(attribute):
            found = [r for r in self.by_config.get(address, []) if r.type in types]
            if len(found) == 1:
                return found[0]
        wanted = resource.values.get(attribute)
        if isinstance(wanted, str) and wanted:
            for other in self.resources:
                if other.type in types and any(other.values.get(name) == wanted for name in values):
                    return other
        return None

    def policy_attribute(
        self, resource: _Resource, attribute: str, kind: PolicyKind, name: str
    ) -> Policy | None:
        """The policy a JSON-string attribute holds, or the policy document data source it refers to."""
        value = resource.get(attribute)
        pointer = pointer_join(resource.pointer, attribute)
        if isinstance(value, str) and value:
            document = load_embedded_json(value, self.ctx, pointer)
            return (
                None if document is None else read_policy(document, self.ctx, pointer, kind=kind, name=name)
            )
        if value is not None and not isinstance(value, str | Unknown):
            self.ctx.report(
                SYN_STRUCTURE,
                f"`{attribute}` of `{resource.address}` must be a policy document as a JSON string,"
                f" not {_kind_of(value)}",
                pointer,
            )
        source = self.linked(resource, attribute, ("aws_iam_policy_document",))
        if source is not None:
            policy = self.data_document(source, kind, name)
            if policy is not None:
                return policy if policy.kind is kind else policy.model_copy(update={"kind": kind})
        if isinstance(value, Unknown):
            self.ctx.notes.append(
                f"`{attribute}` of `{resource.address}` is known only after apply; not read"
            )
        return None

    def data_document(self, source: _Resource, kind: PolicyKind, name: str) -> Policy | None:
        """The policy of an `aws_iam_policy_document`, read once, as the kind of its first use."""
        if source.address in self.documents:
            return self.documents[source.address]
        policy: Policy | None = None
        rendered = source.values.get("json")
        statements = source.expressions.get("statement")
        if isinstance(rendered, str) and rendered:
            pointer = pointer_join(source.pointer, "json")
            document = load_embedded_json(rendered, self.ctx, pointer)
            if document is not None:
                policy = read_policy(document, self.ctx, pointer, kind=kind, name=name)
        elif isinstance(statements, list):
            # Not rendered at plan time: rebuild it from the configuration's statement blocks, where
            # every reference to another resource stays unknown.
            document = {
                "Version": "2012-10-17",
                "Statement": [_statement_from_block(b) for b in statements if isinstance(b, dict)],
            }
            self.ctx.notes.append(
                f"`{source.address}` is rendered only at apply; read from its configuration blocks"
            )
            for merged in ("source_policy_documents", "override_policy_documents"):
                if merged in source.expressions:
                    self.ctx.notes.append(f"the `{merged}` of `{source.address}` are not included")
            # Statements are rebuilt, so inner positions resolve to the configuration's statement list.
            pointer = pointer_join(source.expressions_pointer or source.pointer, "statement")
            policy = read_policy(document, self.ctx, pointer, kind=kind, name=name)
        self.documents[source.address] = policy
        return policy

    # ----------------------------------------------------------------- resources

    def read(self) -> None:
        by_type: dict[str, list[_Resource]] = {}
        for resource in self.resources:
            by_type.setdefault(resource.type if resource.mode == "managed" else "data", []).append(resource)
        for kind in _KEY_TYPES:
            for resource in by_type.get(kind, []):
                self.key(resource)
        for resource in by_type.get("aws_kms_key_policy", []):
            self.key_policy(resource)
        for resource in by_type.get("aws_kms_grant", []):
            self.grant(resource)
        for resource in by_type.get("aws_kms_alias", []):
            self.alias(resource)
        for resource in by_type.get("aws_iam_policy", []):
            policy = self.policy_attribute(resource, "policy", PolicyKind.IDENTITY, self.name_of(resource))
            if policy is not None:
                self.managed[resource.address] = policy
                self.policies.append(policy)
        for kind, entity_type in _ENTITY_TYPES.items():
            for resource in by_type.get(kind, []):
                self.entity(resource, entity_type)
        for kind in _INLINE_POLICIES:
            for resource in by_type.get(kind, []):
                self.inline_policy(resource)
        for kind in _ATTACHMENTS:
            for resource in by_type.get(kind, []):
                self.attachment(resource)
        for kind, spec in TERRAFORM.items():
            for resource in by_type.get(kind, []):
                self.consumer(resource, spec)
        for resource in by_type.get("aws_s3_bucket_server_side_encryption_configuration", []):
            self.bucket_encryption(resource)
        for resource in by_type.get("aws_secretsmanager_secret_policy", []):
            self.secret_policy(resource)
        for resource in by_type.get("aws_snapshot_create_volume_permission", []):
            self.snapshot_permission(resource)
        for resource in by_type.get("aws_s3_bucket_replication_configuration", []):
            self.replication(resource, by_type.get("aws_s3_bucket_server_side_encryption_configuration", []))

    def name_of(self, resource: _Resource) -> str:
        return resource.text("name") or resource.address

    def key(self, resource: _Resource) -> None:
        replica = resource.type in ("aws_kms_replica_key", "aws_kms_replica_external_key")
        external = resource.type in ("aws_kms_external_key", "aws_kms_replica_external_key")
        arn = resource.get("arn")
        # partition, service, region, account of a well-formed ARN; a malformed one is kept but not split
        parts = arn.split(":")[1:5] if isinstance(arn, str) and arn.count(":") >= 5 else None
        # Without the configuration, a policy known only after apply may be declared or merely computed
        # (the default): it is an explicit unknown, `policy` None with `policy_declared`, which the
        # default-policy rule and the rules that read the policy leave alone.
        declared = (
            "policy" in resource.expressions
            if resource.expressions_pointer
            else resource.text("policy") is not None or resource.unknown.get("policy") is True
        )
        policy = self.policy_attribute(resource, "policy", PolicyKind.KEY, resource.address)
        enabled = resource.values.get("enabled" if replica or external else "is_enabled")
        rotation = resource.values.get("enable_key_rotation")
        fields: dict[str, object] = {
            "arn": arn if isinstance(arn, str | Unknown) else Unknown.trusted(expr=f"{resource.address}.arn"),
            "key_id": resource.text("key_id") or resource.address,
            "account": parts[3] if parts else self.account,
            "region": parts[2] if parts else None,
            "partition": parts[0] if parts else "aws",
            "description": resource.text("description"),
            "enabled": enabled is not False,
            "key_state": "Disabled" if enabled is False else "Enabled",
            "pending_window_days": _integer(resource.values.get("deletion_window_in_days")),
            "bypass_policy_lockout_safety_check": _flag(
                resource.values.get("bypass_policy_lockout_safety_check")
            ),
            "tags": _tags(resource.values),
            "policy": policy,
            "policy_declared": declared,
            "span": self.ctx.span(resource.pointer),
        }
        if external:
            # Imported material expires at `valid_to`; without it, it does not expire. Imported material
            # never rotates automatically.
            valid_to = resource.get("valid_to")
            fields.update(
                origin="EXTERNAL",
                expiration_model=(
                    "KEY_MATERIAL_EXPIRES" if valid_to is not None else "KEY_MATERIAL_DOES_NOT_EXPIRE"
                ),
                valid_to=valid_to if isinstance(valid_to, str) else None,
                rotation_enabled=False,
            )
        if replica:
            fields.update(multi_region=True, multi_region_key_type="REPLICA")
            target = self.linked(resource, "primary_key_arn", ("aws_kms_key", "aws_kms_external_key"), "arn")
            primary = None if target is None else self.keys.get(target.address)
            # Spec, usage and rotation are shared with the primary key.
            for shared in ("key_spec", "key_usage", "rotation_enabled", "rotation_period_days"):
                if primary is not None and shared in primary:
                    fields[shared] = primary[shared]
        else:
            multi_region = _flag(resource.values.get("multi_region"))
            fields.update(
                key_spec=resource.text("customer_master_key_spec")
                or resource.text("key_spec")
                or "SYMMETRIC_DEFAULT",
                key_usage=resource.text("key_usage") or "ENCRYPT_DECRYPT",
                multi_region=bool(multi_region),
                multi_region_key_type="PRIMARY" if multi_region else None,
            )
            if not external:
                fields.update(
                    origin=_origin(resource),
                    rotation_enabled=_flag(rotation) if rotation is not None else False,
                    rotation_period_days=_integer(resource.values.get("rotation_period_in_days")),
                )
        self.keys[resource.address] = fields

    def key_for(self, resource: _Resource, attribute: str) -> str | None:
        """The address of the key an attribute refers to."""
        target = self.linked(resource, attribute, _KEY_TYPES, "key_id", "arn", "id")
        return target.address if target is not None and target.address in self.keys else None

    def consumer_key(self, resource: _Resource, block: _Block, attribute: str) -> Scalar | None:
        """The key an attribute names; a key of this plan is named by the key's ARN.

        A computed attribute left out of the configuration (an EBS volume's `kms_key_id`) is unknown
        in the plan, yet means the service's default key: it counts as not set.
        """
        values, unknown, expressions = block
        expression = expressions.get(attribute)
        for address in resource.expression_references(expression):
            arn = self.keys[address]["arn"] if address in self.keys else None
            if isinstance(arn, str | Unknown):
                return arn
        value = values.get(attribute)
        if isinstance(value, str) and value:
            return value
        if unknown.get(attribute) is True and (expression is not None or not resource.expressions):
            return Unknown.trusted(expr=f"{resource.address}.{attribute} (known after apply)")
        return None

    def consumer(self, resource: _Resource, spec: ConsumerSpec) -> None:
        block: _Block = (resource.values, resource.unknown, resource.expressions)
        switched = None if spec.switch is None else _flag(resource.values.get(spec.switch))
        self.consumers.append(
            consumer(
                spec,
                resource.type,
                resource.address,
                self.consumer_key(resource, block, spec.key),
                switched,
                self.ctx.span(pointer_join(resource.pointer, spec.key)),
            )
        )

    def bucket_encryption(self, resource: _Resource) -> None:
        """One consumer per `rule` block's `apply_server_side_encryption_by_default`."""
        spec = TERRAFORM_BUCKET
        default = "apply_server_side_encryption_by_default"
        for index, rule in enumerate(_blocks(resource.values.get("rule"))):
            block = (
                _first(rule.get(default)),
                _first(_nth(resource.unknown.get("rule"), index).get(default)),
                _first(_nth(resource.expressions.get("rule"), index).get(default)),
            )
            self.consumers.append(
                consumer(
                    spec,
                    resource.type,
                    resource.address,
                    self.consumer_key(resource, block, spec.key),
                    kms_algorithm(block[0].get(spec.switch or "")),
                    self.ctx.span(pointer_join(resource.pointer, "rule", index, default, 0, spec.key)),
                )
            )

    def secret_policy(self, resource: _Resource) -> None:
        secret = self.linked(resource, "secret_arn", ("aws_secretsmanager_secret",), "arn", "id")
        if secret is None:
            return
        policy = self.policy_attribute(resource, "policy", PolicyKind.KEY, resource.address)
        if policy is not None:
            self.shares.extend(policy_shares(policy, secret.address, f"resource policy `{resource.address}`"))

    def snapshot_permission(self, resource: _Resource) -> None:
        """A share of the volume that the permitted snapshot was taken of."""
        snapshot = self.linked(resource, "snapshot_id", ("aws_ebs_snapshot",), "id")
        volume = None if snapshot is None else self.linked(snapshot, "volume_id", ("aws_ebs_volume",), "id")
        account = resource.get("account_id")
        if volume is not None and isinstance(account, str | Unknown):
            span = self.ctx.span(pointer_join(resource.pointer, "account_id"))
            how = f"snapshot permission `{resource.address}`"
            self.shares.append(Share.trusted(resource=volume.address, account=account, how=how, span=span))

    def replication(self, resource: _Resource, encryptions: list[_Resource]) -> None:
        """A share of the bucket's default encryption per replication rule that names an account.

        The bucket is matched by what both name: the same `aws_s3_bucket`, or the same bucket name.
        """
        refs = set(resource.references("bucket"))
        name = resource.text("bucket")
        sources = [
            e
            for e in encryptions
            if refs & set(e.references("bucket")) or (name is not None and e.text("bucket") == name)
        ]
        for index, rule in enumerate(_blocks(resource.values.get("rule"))):
            account = _first(rule.get("destination")).get("account")
            if not isinstance(account, str) or not account:
                continue
            span = self.ctx.span(pointer_join(resource.pointer, "rule", index, "destination", 0, "account"))
            how = "a replication rule"
            self.shares.extend(
                Share.trusted(resource=source.address, account=account, how=how, span=span)
                for source in sources
            )

    def key_policy(self, resource: _Resource) -> None:
        address = self.key_for(resource, "key_id")
        key = None if address is None else self.keys[address]
        name = resource.address if key is None else str(key["key_id"])
        policy = self.policy_attribute(resource, "policy", PolicyKind.KEY, name)
        # PutKeyPolicy through this resource skips the lockout check as the key's own flag would.
        bypass = _flag(resource.values.get("bypass_policy_lockout_safety_check"))
        if key is None:
            key_id = resource.text("key_id") or resource.address
            self.ctx.notes.append(f"`{resource.address}` sets the policy of key `{key_id}`, not in this plan")
            self.keys[resource.address] = {
                "arn": Unknown.trusted(expr=f"{key_id} (not in this plan)"),
                "key_id": key_id,
                "account": self.account,
                "policy": policy,
                "bypass_policy_lockout_safety_check": bypass,
                "span": self.ctx.span(resource.pointer),
            }
            return
        # The key's policy is managed by this resource, so the key does not get the default one.
        key.update(policy=policy if policy is not None else key["policy"], policy_declared=True)
        if bypass:
            key.update(bypass_policy_lockout_safety_check=True)

    def grant(self, resource: _Resource) -> None:
        address = self.key_for(resource, "key_id")
        key = None if address is None else self.keys[address]
        grantee = resource.get("grantee_principal")
        retiring = resource.get("retiring_principal")
        operations = resource.values.get("operations")
        grant = Grant.trusted(
            key_id=str(key["key_id"]) if key is not None else resource.text("key_id") or resource.address,
            grant_id=resource.text("grant_id") or f"{resource.address}.grant_id (known after apply)",
            name=resource.text("name"),
            grantee_principal=_scalar(grantee, resource, "grantee_principal"),
            retiring_principal=None
            if retiring is None
            else _scalar(retiring, resource, "retiring_principal"),
            operations=tuple(str(op) for op in operations) if isinstance(operations, list) else (),
            constraints=_constraints(resource.values.get("constraints")),
            span=self.ctx.span(resource.pointer),
        )
        if address is None:
            self.ctx.notes.append(f"the key of grant `{resource.address}` is not in this plan")
            self.grants.append(grant)
        else:
            self.key_grants.setdefault(address, []).append(grant)

    def alias(self, resource: _Resource) -> None:
        name = resource.text("name")
        if name is None:
            self.ctx.notes.append(f"the name of alias `{resource.address}` is known only after apply")
            return
        address = self.key_for(resource, "target_key_id")
        key = None if address is None else self.keys[address]
        if address is not None:
            self.key_aliases.setdefault(address, []).append(name)
        self.aliases.append(
            Alias.trusted(
                name=name,
                arn=resource.text("arn"),
                target_key_id=str(key["key_id"]) if key is not None else resource.text("target_key_id"),
                span=self.ctx.span(resource.pointer),
            )
        )

    def entity(self, resource: _Resource, entity_type: IamEntityType) -> None:
        name = self.name_of(resource)
        path = resource.text("path") or "/"
        account = self.account or ""
        entity = _Entity(
            resource=resource,
            type=entity_type,
            name=name,
            path=path,
            account=account,
            arn=resource.text("arn") or f"arn:aws:iam::{account}:{entity_type}{path}{name}",
            tags=_tags(resource.values),
        )
        self.entities[resource.address] = entity
        if entity_type != "role":
            return
        entity.trust = self.policy_attribute(
            resource, "assume_role_policy", PolicyKind.TRUST, f"{name} trust policy"
        )
        if entity.trust is not None:
            self.policies.append(entity.trust)
        blocks = resource.values.get("inline_policy")
        for index, block in enumerate(blocks if isinstance(blocks, list) else []):
            if not isinstance(block, dict) or not isinstance(block.get("policy"), str) or not block["policy"]:
                continue
            pointer = pointer_join(resource.pointer, "inline_policy", index, "policy")
            document = load_embedded_json(str(block["policy"]), self.ctx, pointer)
            policy_name = str(block.get("name") or f"{name} inline policy {index}")
            policy = (
                None
                if document is None
                else read_policy(document, self.ctx, pointer, kind=PolicyKind.IDENTITY, name=policy_name)
            )
            if policy is not None:
                entity.policies.append(policy)
                self.policies.append(policy)
        arns = resource.values.get("managed_policy_arns")
        for arn in arns if isinstance(arns, list) else []:
            self.attach_arn(entity, arn, resource)
        attached = resource.get("permissions_boundary")
        if attached is not None:
            if isinstance(attached, str | Unknown):
                entity.boundary_arn = attached.expr if isinstance(attached, Unknown) else attached
            target = self.linked(resource, "permissions_boundary", ("aws_iam_policy",), "arn")
            boundary = None if target is None else self.managed.get(target.address)
            if boundary is None:
                self.ctx.notes.append(f"the permissions boundary of `{resource.address}` is not in this plan")
            else:
                entity.boundary = boundary.model_copy(update={"kind": PolicyKind.BOUNDARY})

    def attach_arn(self, entity: _Entity, arn: object, resource: _Resource) -> None:
        for address, policy in self.managed.items():
            holder = next((r for r in self.resources if r.address == address), None)
            if holder is not None and isinstance(arn, str) and holder.values.get("arn") == arn:
                entity.policies.append(policy)
                return
        self.ctx.notes.append(f"managed policy `{arn}` of `{resource.address}` is not in this plan")

    def holder(self, resource: _Resource, attribute: str, entity_type: IamEntityType) -> _Entity | None:
        target = self.linked(resource, attribute, (f"aws_iam_{entity_type}",), "name", "id")
        if target is not None:
            return self.entities.get(target.address)
        name = resource.text(attribute)
        if name is None:
            return None
        # A holder declared outside this plan: still worth an entity, so its policies are linted.
        address = f"{entity_type}:{name}"
        if address not in self.entities:
            account = self.account or ""
            self.entities[address] = _Entity(
                resource=None,
                type=entity_type,
                name=name,
                path="/",
                account=account,
                arn=f"arn:aws:iam::{account}:{entity_type}/{name}",
                tags={},
            )
            self.ctx.notes.append(
                f"{entity_type} `{name}` is not declared in this plan; only its policies here are known"
            )
        return self.entities[address]

    def inline_policy(self, resource: _Resource) -> None:
        attribute, entity_type = _INLINE_POLICIES[resource.type]
        policy = self.policy_attribute(resource, "policy", PolicyKind.IDENTITY, self.name_of(resource))
        if policy is None:
            return
        self.policies.append(policy)
        holder = self.holder(resource, attribute, entity_type)
        if holder is None:
            self.ctx.notes.append(f"the {entity_type} of `{resource.address}` is known only after apply")
        else:
            holder.policies.append(policy)

    def attachment(self, resource: _Resource) -> None:
        attribute, entity_type = _ATTACHMENTS[resource.type]
        holder = self.holder(resource, attribute, entity_type)
        target = self.linked(resource, "policy_arn", ("aws_iam_policy",), "arn")
        policy = None if target is None else self.managed.get(target.address)
        if holder is None:
            self.ctx.notes.append(f"the {entity_type} of `{resource.address}` is not in this plan")
        elif policy is None:
            self.ctx.notes.append(f"the policy that `{resource.address}` attaches is not in this plan")
        elif policy not in holder.policies:
            holder.policies.append(policy)

    def principals(self) -> tuple[IamEntity, ...]:
        return tuple(
            IamEntity.trusted(
                arn=entity.arn,
                type=entity.type,
                name=entity.name,
                account=entity.account,
                path=entity.path,
                unique_id=entity.resource.text("unique_id") if entity.resource is not None else None,
                tags=entity.tags,
                policies=tuple(entity.policies),
                permission_boundary=entity.boundary,
                permission_boundary_arn=entity.boundary_arn,
                trust_policy=entity.trust,
                span=self.ctx.span(entity.resource.pointer) if entity.resource is not None else None,
            )
            for entity in self.entities.values()
        )


# (values, after_unknown, configuration expressions) of a resource or of one of its nested blocks
_Block = tuple[dict[str, object], dict[str, object], dict[str, object]]


def _blocks(value: object) -> list[dict[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _nth(value: object, index: int) -> dict[str, object]:
    """Item `index` of a list of nested blocks, or an empty block."""
    item = value[index] if isinstance(value, list) and index < len(value) else None
    return item if isinstance(item, dict) else {}


def _first(value: object) -> dict[str, object]:
    return _nth(value, 0)


# The resource types that declare a key (with an imported-material key and its replica).
_KEY_TYPES = ("aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key", "aws_kms_replica_external_key")


def _origin(key: _Resource) -> str:
    """The key's origin as KMS reports it: a key in a custom key store has no AWS_KMS material."""
    if key.get("xks_key_id"):
        return "EXTERNAL_KEY_STORE"
    if key.get("custom_key_store_id"):
        return "AWS_CLOUDHSM"  # a custom key store named without an external key is a CloudHSM one
    return "AWS_KMS"


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _tags(values: dict[str, object]) -> dict[str, str]:
    """The tags a resource gets: `tags_all`, which adds the provider's `default_tags` to `tags`, when
    the plan knows it; else `tags`."""
    value = values.get("tags_all")
    if not isinstance(value, dict):
        value = values.get("tags")
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}


def _scalar(value: object, resource: _Resource, attribute: str) -> Scalar:
    if isinstance(value, str | Unknown):
        return value
    return Unknown.trusted(expr=f"{resource.address}.{attribute}")


def _constraints(value: object) -> GrantConstraints | None:
    blocks = [block for block in value if isinstance(block, dict)] if isinstance(value, list) else []
    if not blocks:
        return None
    block = blocks[0]
    equals, subset = block.get("encryption_context_equals"), block.get("encryption_context_subset")
    return GrantConstraints.trusted(
        encryption_context_equals={str(k): str(v) for k, v in equals.items()}
        if isinstance(equals, dict)
        else None,
        encryption_context_subset={str(k): str(v) for k, v in subset.items()}
        if isinstance(subset, dict)
        else None,
    )


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "a string"


# (section, the type Terraform writes it as, that type in words)
_SECTIONS: tuple[tuple[str, type, str], ...] = (
    ("planned_values", dict, "a mapping"),
    ("resource_changes", list, "a list"),
    ("prior_state", dict, "a mapping"),
    ("values", dict, "a mapping"),
    ("configuration", dict, "a mapping"),
)


def _check_sections(plan: dict[str, object], ctx: ReadContext) -> None:
    """Report plan sections of the wrong type, and a plan (not a state: that has `values`) missing a
    section `terraform show -json` writes; the resources it would list would be lost silently."""
    for name, expected, words in _SECTIONS:
        if name in plan and plan[name] is not None and not isinstance(plan[name], expected):
            ctx.report(
                SYN_STRUCTURE,
                f"`{name}` must be {words}, not {_kind_of(plan[name])}",
                pointer_join("", name),
            )
    if "values" in plan:
        return
    planned = plan.get("planned_values")
    # Terraform leaves out `resource_changes` only when the plan has no resources at all.
    has_resources = any(
        isinstance(module.get("resources"), list) and module["resources"]
        for module, _ in _modules(
            planned.get("root_module") if isinstance(planned, dict) else None, "/planned_values"
        )
    )
    for name, missing in (
        ("planned_values", "planned_values" not in plan),
        ("resource_changes", "resource_changes" not in plan and has_resources),
    ):
        if missing:
            ctx.report(
                SYN_STRUCTURE,
                f"this Terraform plan has no `{name}`: it is not complete `terraform show -json` output",
                "",
            )


def read_terraform_plan(obj: object, ctx: ReadContext) -> Document:
    """Read `terraform show -json` output (see the module docstring)."""
    if not isinstance(obj, dict) or not ({"planned_values", "resource_changes", "values"} & obj.keys()):
        ctx.report(
            INPUT_ERROR,
            "this is not `terraform show -json` output: it has no `planned_values` or `resource_changes`",
            "",
        )
        return Document.trusted(file=ctx.file, kind=InputKind.TERRAFORM_PLAN, notes=tuple(ctx.notes))
    _check_sections(obj, ctx)
    if "configuration" not in obj:
        ctx.notes.append("the plan has no `configuration`; resources are linked by known values only")
    reader = _Reader(ctx=ctx, resources=_collect(obj))
    if not reader.resources:
        ctx.notes.append("the plan declares no resources")
    reader.read()
    return Document.trusted(
        file=ctx.file,
        kind=InputKind.TERRAFORM_PLAN,
        policies=tuple(reader.policies),
        keys=tuple(
            Key.trusted(
                **fields,
                aliases=tuple(reader.key_aliases.get(address, ())),
                grants=tuple(reader.key_grants.get(address, ())),
            )
            for address, fields in reader.keys.items()
        ),
        grants=tuple(reader.grants),
        aliases=tuple(reader.aliases),
        principals=reader.principals(),
        consumers=tuple(reader.consumers),
        shares=tuple(reader.shares),
        notes=tuple(ctx.notes),
    )
