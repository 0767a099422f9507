"""Checks the `expect` block of an IaC / snapshot case file against what a reader produced.

```yaml
expect:
  values:            # dotted paths into Document.model_dump(mode="json"); numbers index lists
    keys.0.policy_declared: false
    keys.0.arn: {expr: "GetAtt(DataKey.Arn)"}
  count:             # lengths of lists at dotted paths
    keys: 2
  findings:          # exactly these findings, in any order (`findings_subset: true`: at least these)
    - {id: KMS092, pointer: /Resources/K, line: 3, column: 5, message: "substring"}
  notes:             # each is a substring of some note
    - "taken at its default"
  locate:            # pointer -> [line, column, end line, end column] through SourceSet.locate
    /Resources/K: [3, 5, 9, 1]
```
For a snapshot (several files), `locate` keys are `relative/path.json#/pointer` and a finding may name
its `file` relative to the snapshot folder.
"""

from __future__ import annotations

from typing import Any

from kmspolicy.model import Document, Finding, Span
from kmspolicy.parse.source import SourceSet


def value_at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list):
            data = data[int(part)]
        else:
            assert isinstance(data, dict), f"`{path}`: `{part}` indexes {data!r:.200}"
            assert part in data, f"`{path}`: no `{part}` in {data!r:.200}"
            data = data[part]
    return data


def _finding_matches(finding: Finding, wanted: dict[str, Any], sources: SourceSet, file: str) -> bool:
    if finding.id != wanted["id"] or finding.span.pointer != wanted.get("pointer", finding.span.pointer):
        return False
    if ("file" in wanted and f"{file}/{wanted['file']}" != finding.span.file) or (
        "file" not in wanted and finding.span.file != file
    ):
        return False
    if "message" in wanted and wanted["message"] not in finding.message:
        return False
    if "line" in wanted or "column" in wanted:
        where = sources.locate(finding.span)
        assert where is not None, f"finding at `{finding.span.pointer}` has no position"
        return (where.line, where.column) == (
            wanted.get("line", where.line),
            wanted.get("column", where.column),
        )
    return True


def check(
    document: Document, findings: list[Finding], sources: SourceSet, expect: dict[str, Any], file: str
) -> None:
    dumped = document.model_dump(mode="json")
    for path, wanted in (expect.get("values") or {}).items():
        assert value_at(dumped, path) == wanted, f"`{path}`: {value_at(dumped, path)!r} != {wanted!r}"
    for path, size in (expect.get("count") or {}).items():
        assert len(value_at(dumped, path)) == size, f"`{path}` has {len(value_at(dumped, path))} items"
    for note in expect.get("notes") or []:
        assert any(note in found for found in document.notes), f"no note with `{note}` in {document.notes}"
    for place, position in (expect.get("locate") or {}).items():
        in_file = "#" in place and not place.startswith("/")
        name, _, pointer = place.partition("#") if in_file else ("", "", place)
        where = sources.locate(Span(file=f"{file}/{name}" if name else file, pointer=pointer))
        assert where is not None, f"`{place}` has no position"
        got = [where.line, where.column, where.end_line, where.end_column][: len(position)]
        assert got == position, f"`{place}` is at {got}, expected {position}"
    if "findings" in expect:
        wanted_findings = expect["findings"] or []
        unmatched = list(findings)
        for wanted in wanted_findings:
            match = next((f for f in unmatched if _finding_matches(f, wanted, sources, file)), None)
            assert match is not None, (
                f"no finding {wanted} among {[(f.id, f.span.pointer, f.message) for f in unmatched]}"
            )
            unmatched.remove(match)
        if not expect.get("findings_subset"):
            assert not unmatched, (
                f"unexpected findings: {[(f.id, f.span.pointer, f.message) for f in unmatched]}"
            )
