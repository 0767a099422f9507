"""Pre-deployment review of a whole account: the access graph, its questions, `diff`, and reports.

- `graph`: `build_graph(account_or_document)` -> `AccessGraph` (networkx), every edge decided by
  `kmspolicy.evaluate`;
- `questions`: `access(...)` (who can do what with each key, by which path) and `paths(...)`;
- `diff`: `diff(old, new)`, every access the new input allows and the old does not, with witnesses;
- `report`: text, JSON, Markdown, HTML, DOT and Mermaid renderings.

`merged_account(documents)` turns everything one command reads (a snapshot folder, or several policy,
template and plan files) into one account; `section_g_findings` runs the effective-access lint rules
(catalogue rows 60-66) that the review report shows.
"""

from __future__ import annotations

from collections.abc import Sequence

from kmspolicy.config import LintConfig
from kmspolicy.model import Account, Document, Finding
from kmspolicy.review.graph import account_of

SECTION_G: tuple[str, ...] = ("KMS060", "KMS061", "KMS062", "KMS063", "KMS064", "KMS065", "KMS066")


def merged_account(documents: Sequence[Document], *, account: str | None = None) -> Account:
    """One account from every parsed input: a snapshot's own, or the union of what the files declare."""
    accounts = [account_of(d, account=account) for d in documents]
    if len(accounts) == 1:
        return accounts[0]
    owner = account or next((a.account_id for a in accounts if a.account_id), None)
    return Account(
        account_id=owner,
        org_id=next((a.org_id for a in accounts if a.org_id), None),
        principals=tuple(p for a in accounts for p in a.principals),
        keys=tuple(k for a in accounts for k in a.keys),
        aliases=tuple(x for a in accounts for x in a.aliases),
        scps=tuple(s for a in accounts for s in a.scps),
        rcps=tuple(r for a in accounts for r in a.rcps),
    )


def section_g_findings(
    documents: Sequence[Document], config: LintConfig, *, account: str | None = None
) -> list[Finding]:
    """The findings of the effective-access rules for the review report (other rules are `lint`'s)."""
    from kmspolicy.lint import lint

    chosen = config.model_copy(update={"select": SECTION_G})
    return lint(documents, config=chosen, account=account)


__all__ = ["SECTION_G", "merged_account", "section_g_findings"]
