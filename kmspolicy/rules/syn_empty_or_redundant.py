"""Empty or redundant policy content.

## What it flags
Actions already covered by another entry of the same statement (`kms:Decrypt` beside `kms:*`),
repeated `Resource` values, repeated condition values, and statements identical to an earlier one.
The parser reports empty arrays and objects (`"Action": []`, `"Condition": {}`) under the same rule.

## Why it is risky
Nothing breaks, but redundancy hides intent: a reviewer cannot tell which entry was meant, and a
later edit of one copy leaves the other in force.

## Example
```json
{"Effect": "Allow", "Action": ["kms:*", "kms:Decrypt"], "Resource": ["*", "*"]}
```

## Use instead
One entry per action, resource and value; one statement per grant.

## References
- IAM Access Analyzer suggestions "Redundant action", "Redundant resource", "Redundant statement",
  "Empty array", "Empty object"
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from kmspolicy.model import Finding, Item, Principal, Severity, Statement
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import expand_written, statement_label


def check(target: PolicyTarget) -> Iterator[Finding]:
    seen_statements: dict[tuple[object, ...], Statement] = {}
    # Only statements of the same shape can repeat each other: the full signature is built for those.
    shapes: list[tuple[object, ...]] = [()] * len(target.facts)
    if len(shapes) > 1:
        shapes = [_shape(f.statement) for f in target.facts]
    repeated_shapes = {shape for shape in shapes if shapes.count(shape) > 1}
    for facts, shape in zip(target.facts, shapes, strict=True):
        statement = facts.statement
        entries = facts.item_actions
        for i, j in _redundant_actions(facts.written_actions) if len(entries) > 1 else ():
            (item, covered), (other, wider) = entries[i], entries[j]
            if covered != wider or any(c in str(other.value) for c in "*?"):
                message = f"`{item.value}` is already covered by `{other.value}`"
            elif item.value == other.value:
                message = f"`{item.value}` is listed twice"
            else:
                message = f"`{item.value}` repeats `{other.value}` (action names are case-insensitive)"
            yield target.report(RULE, message, item.span, statement)
        resources = statement.resource or ()
        if statement.not_resource:
            resources = (*resources, *statement.not_resource)
        if len(resources) > 1:
            values: set[str] = set()
            for item in resources:
                if isinstance(item.value, str):
                    if item.value in values:
                        yield target.report(RULE, f"`{item.value}` is listed twice", item.span, statement)
                    values.add(item.value)
        for condition in statement.conditions:
            if len(condition.values) < 2:
                continue
            literal = [v for v in condition.values if isinstance(v, str)]
            if len(set(literal)) < len(literal):
                repeated = next(v for v in literal if literal.count(v) > 1)
                yield target.report(
                    RULE, f"`{condition.key}` lists `{repeated}` twice", condition.span, statement
                )
        if shape not in repeated_shapes:
            continue
        signature = _signature(statement)
        if signature in seen_statements:
            yield target.report(
                RULE,
                f"this statement repeats {statement_label(seen_statements[signature])}",
                statement.span,
                statement,
            )
        else:
            seen_statements[signature] = statement


@lru_cache(maxsize=4096)
def _redundant_actions(written: tuple[str | None, ...]) -> tuple[tuple[int, int], ...]:
    """(i, j) for each literal action i already covered by entry j of the same list.

    Depends on the values alone, and policies repeat the same lists (console defaults), so it is
    worked out once per list.
    """
    entries = expand_written(written)[0]
    found = []
    for i, value in enumerate(written):
        covered = entries[i]
        if not covered or value is None or "*" in value or "?" in value:
            continue
        for j, wider in enumerate(entries):
            if j != i and covered <= wider and (wider != covered or j < i):
                found.append((i, j))
                break
    return tuple(found)


def _shape(statement: Statement) -> tuple[object, ...]:
    """What equal signatures have in common, cheap to compute: the effect and the size of each element."""

    def size(items: tuple[object, ...] | None) -> int | None:
        return None if items is None else len(items)

    return (
        statement.effect,
        size(statement.principal),
        size(statement.not_principal),
        size(statement.action),
        size(statement.not_action),
        size(statement.resource),
        size(statement.not_resource),
        len(statement.conditions),
    )


def _signature(statement: Statement) -> tuple[object, ...]:
    """What a statement says, without its position and Sid: equal signatures mean duplicate statements."""

    def values(items: tuple[Item, ...] | tuple[Principal, ...] | None) -> tuple[object, ...] | None:
        return None if items is None else tuple(i.value for i in items)

    return (
        statement.effect,
        values(statement.principal),
        values(statement.not_principal),
        values(statement.action),
        values(statement.not_action),
        values(statement.resource),
        values(statement.not_resource),
        tuple((c.operator_raw, c.key_lower, c.values) for c in statement.conditions),
    )


RULE = PolicyRule(
    id="KMS095",
    name="syn-empty-or-redundant",
    severity=Severity.INFO,
    summary="empty arrays/objects, redundant actions, resources, values or statements",
    help="remove the redundant entry",
    check=check,
)
