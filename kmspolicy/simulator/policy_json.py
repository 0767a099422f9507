"""Policy JSON -> `kmspolicy.model.Policy`, for policies handed to the simulated API.

The simulator reads policies itself rather than through `kmspolicy.parse`: it is the independent side
of the differential tests, and the API needs a yes/no answer (MalformedPolicyDocumentException), not
findings. Only what the authoriser needs is kept; positions are JSON pointers into the document.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kmspolicy.model import (
    Condition,
    Item,
    Operator,
    OperatorFamily,
    Policy,
    PolicyKind,
    Principal,
    PrincipalType,
    SetQualifier,
    Span,
    Statement,
)

# base operator -> (family, negated); straight from the operator table of reference §2.5
OPERATORS: dict[str, tuple[OperatorFamily, bool]] = {
    "StringEquals": ("String", False),
    "StringNotEquals": ("String", True),
    "StringEqualsIgnoreCase": ("String", False),
    "StringNotEqualsIgnoreCase": ("String", True),
    "StringLike": ("String", False),
    "StringNotLike": ("String", True),
    "NumericEquals": ("Numeric", False),
    "NumericNotEquals": ("Numeric", True),
    "NumericLessThan": ("Numeric", False),
    "NumericLessThanEquals": ("Numeric", False),
    "NumericGreaterThan": ("Numeric", False),
    "NumericGreaterThanEquals": ("Numeric", False),
    "DateEquals": ("Date", False),
    "DateNotEquals": ("Date", True),
    "DateLessThan": ("Date", False),
    "DateLessThanEquals": ("Date", False),
    "DateGreaterThan": ("Date", False),
    "DateGreaterThanEquals": ("Date", False),
    "Bool": ("Bool", False),
    "BinaryEquals": ("Binary", False),
    "IpAddress": ("IpAddress", False),
    "NotIpAddress": ("IpAddress", True),
    "ArnEquals": ("Arn", False),
    "ArnLike": ("Arn", False),
    "ArnNotEquals": ("Arn", True),
    "ArnNotLike": ("Arn", True),
    "Null": ("Null", False),
}

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_PRINCIPAL_TYPES: tuple[PrincipalType, ...] = ("AWS", "Service", "Federated", "CanonicalUser")


class PolicyError(ValueError):
    """The document is not a policy KMS would store."""


def read_operator(raw: str) -> Operator | None:
    """`ForAnyValue:StringNotLikeIfExists` -> its parts; None for a name that is no operator."""
    qualifier: SetQualifier | None = None
    rest = raw
    for prefix in ("ForAllValues", "ForAnyValue"):
        if raw.startswith(prefix + ":"):
            qualifier = "ForAllValues" if prefix == "ForAllValues" else "ForAnyValue"
            rest = raw[len(prefix) + 1 :]
    if_exists = rest.endswith("IfExists") and rest != "IfExists"
    base = rest[: -len("IfExists")] if if_exists else rest
    if base not in OPERATORS or (if_exists and base == "Null"):
        return None
    family, negated = OPERATORS[base]
    return Operator(
        raw=raw, qualifier=qualifier, base=base, family=family, negated=negated, if_exists=if_exists
    )


def read_policy(document: str | dict[str, Any], kind: PolicyKind, name: str) -> Policy:
    if isinstance(document, str):
        try:
            data = json.loads(document)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"the policy is not valid JSON: {exc.msg}") from exc
    else:
        data = document
    if not isinstance(data, dict):
        raise PolicyError("the policy must be a JSON object")
    statements = data.get("Statement")
    if statements is None:
        raise PolicyError("the policy has no `Statement`")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise PolicyError("`Statement` must be an object or an array")
    version = data.get("Version")
    if version is not None and not isinstance(version, str):
        raise PolicyError("`Version` must be a string")
    policy_id = data.get("Id")
    return Policy(
        kind=kind,
        name=name,
        version=version,
        id=policy_id if isinstance(policy_id, str) else None,
        statements=tuple(_statement(s, i, name) for i, s in enumerate(statements)),
        span=Span(file=name),
    )


def _statement(data: Any, index: int, name: str) -> Statement:
    pointer = f"/Statement/{index}"
    if not isinstance(data, dict):
        raise PolicyError(f"statement {index} is not an object")
    effect = data.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"statement {index} has no valid `Effect`")
    if "Action" in data and "NotAction" in data:
        raise PolicyError(f"statement {index} has both `Action` and `NotAction`")
    if "Resource" in data and "NotResource" in data:
        raise PolicyError(f"statement {index} has both `Resource` and `NotResource`")
    sid = data.get("Sid")
    return Statement(
        index=index,
        sid=sid if isinstance(sid, str) else None,
        effect=effect,
        principal=_principals(data, "Principal", name, pointer),
        not_principal=_principals(data, "NotPrincipal", name, pointer),
        action=_items(data, "Action", name, pointer),
        not_action=_items(data, "NotAction", name, pointer),
        resource=_items(data, "Resource", name, pointer),
        not_resource=_items(data, "NotResource", name, pointer),
        conditions=_conditions(data.get("Condition"), name, pointer),
        span=Span(file=name, pointer=pointer),
    )


def _strings(value: Any, what: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, str | int | float):
            out.append(str(v))
        else:
            raise PolicyError(f"`{what}` holds a value that is not a string")
    return out


def _items(data: dict[str, Any], element: str, name: str, pointer: str) -> tuple[Item, ...] | None:
    if element not in data:
        return None
    return tuple(
        Item(value=v, span=Span(file=name, pointer=f"{pointer}/{element}/{i}"))
        for i, v in enumerate(_strings(data[element], element))
    )


def _principals(data: dict[str, Any], element: str, name: str, pointer: str) -> tuple[Principal, ...] | None:
    if element not in data:
        return None
    value = data[element]
    span = Span(file=name, pointer=f"{pointer}/{element}")
    if value == "*":
        return (Principal(type="AWS", value="*", raw="*", span=span),)
    if not isinstance(value, dict) or not value:
        raise PolicyError(f"`{element}` must be `*` or an object of principal types")
    out: list[Principal] = []
    for ptype, raw_values in value.items():
        if ptype not in _PRINCIPAL_TYPES:
            raise PolicyError(f"`{element}` has an unknown principal type `{ptype}`")
        for raw in _strings(raw_values, element):
            normal = f"arn:aws:iam::{raw}:root" if ptype == "AWS" and _ACCOUNT_ID.match(raw) else raw
            out.append(Principal(type=ptype, value=normal, raw=raw, span=span))
    return tuple(out)


def _conditions(block: Any, name: str, pointer: str) -> tuple[Condition, ...]:
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise PolicyError("`Condition` must be an object")
    out = []
    for op_raw, keys in block.items():
        if not isinstance(keys, dict):
            raise PolicyError(f"condition operator `{op_raw}` must map keys to values")
        operator = read_operator(op_raw)
        for key, values in keys.items():
            out.append(
                Condition(
                    operator=operator,
                    operator_raw=op_raw,
                    key=key,
                    key_lower=key.lower(),
                    values=tuple(_strings(values, key)),
                    span=Span(file=name, pointer=f"{pointer}/Condition/{op_raw}/{key}"),
                )
            )
    return tuple(out)


def policy_document(policy: Policy) -> dict[str, Any]:
    """The JSON document a `Policy` model stands for (used to store models given by scenarios)."""
    out: dict[str, Any] = {"Statement": [_statement_document(s) for s in policy.statements]}
    if policy.version is not None:
        out = {"Version": policy.version, **out}
    if policy.id is not None:
        out["Id"] = policy.id
    return out


def _statement_document(statement: Statement) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if statement.sid is not None:
        out["Sid"] = statement.sid
    if statement.effect is not None:
        out["Effect"] = statement.effect
    for element, principals in (
        ("Principal", statement.principal),
        ("NotPrincipal", statement.not_principal),
    ):
        if principals is None:
            continue
        if len(principals) == 1 and principals[0].raw == "*" and principals[0].type == "AWS":
            out[element] = "*"
            continue
        grouped: dict[str, list[str]] = {}
        for p in principals:
            if isinstance(p.raw, str):
                grouped.setdefault(p.type, []).append(p.raw)
        out[element] = grouped
    for element, items in (
        ("Action", statement.action),
        ("NotAction", statement.not_action),
        ("Resource", statement.resource),
        ("NotResource", statement.not_resource),
    ):
        if items is not None:
            out[element] = [i.value for i in items if isinstance(i.value, str)]
    if statement.conditions:
        block: dict[str, dict[str, list[str]]] = {}
        for c in statement.conditions:
            block.setdefault(c.operator_raw, {})[c.key] = [v for v in c.values if isinstance(v, str)]
        out["Condition"] = block
    return out
