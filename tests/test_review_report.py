"""Review reports in every format, and the HTML report in a real headless browser when there is one."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pytest

from kmspolicy.config import LintConfig
from kmspolicy.model import Finding
from kmspolicy.parse import parse_paths
from kmspolicy.review import merged_account, section_g_findings
from kmspolicy.review.cases import load_case
from kmspolicy.review.diff import diff
from kmspolicy.review.graph import AccessGraph, build_graph
from kmspolicy.review.questions import access, paths
from kmspolicy.review.report import REVIEW_FORMATS, render_access, render_diff, render_paths, render_review

SAMPLE = Path(__file__).parents[1] / "samples" / "account"
CASES = Path(__file__).parent / "review_cases"


@pytest.fixture(scope="module")
def reviewed() -> tuple[AccessGraph, list[Finding]]:
    parsed = parse_paths([str(SAMPLE)])
    graph = build_graph(merged_account(parsed.documents))
    findings = [
        f.model_copy(update={"location": parsed.sources.locate(f.span)})
        for f in section_g_findings(parsed.documents, LintConfig())
    ]
    return graph, findings


@pytest.mark.parametrize("fmt", REVIEW_FORMATS)
def test_every_format_names_the_keys_and_principals(
    reviewed: tuple[AccessGraph, list[Finding]], fmt: str
) -> None:
    graph, findings = reviewed
    out = render_review(graph, findings, fmt)  # type: ignore[arg-type]
    assert "alias/app-data" in out
    assert "CiDeployer" in out


def test_json_review_is_a_matrix_with_findings(reviewed: tuple[AccessGraph, list[Finding]]) -> None:
    graph, findings = reviewed
    body = json.loads(render_review(graph, findings, "json"))
    app_data = next(k for k in body["access"] if k["aliases"] == ["alias/app-data"])
    chain = next(p for p in app_data["principals"] if p["label"] == "CiDeployer")
    assert "kms:Decrypt" in chain["actions"]
    assert chain["indirect"]
    assert not chain["external"]
    assert {f["rule"] for f in body["findings"]} >= {"eff-transitive-access", "eff-scp-rcp-blocks-intended"}


def test_dot_is_a_graph_networkx_can_read_back(
    reviewed: tuple[AccessGraph, list[Finding]], tmp_path: Path
) -> None:
    graph, findings = reviewed
    dot = render_review(graph, findings, "dot")
    assert dot.startswith("digraph access {")
    assert dot.rstrip().endswith("}")
    # every node and edge of the graph is drawn (edges merged per source, target and kind)
    assert dot.count(" -> ") == len({(u, v, d["kind"]) for u, v, d in graph.graph.edges(data=True)})
    assert sum(1 for line in dot.splitlines() if "shape=" in line) == nx.number_of_nodes(graph.graph)


def test_mermaid_has_one_line_per_node_and_edge(reviewed: tuple[AccessGraph, list[Finding]]) -> None:
    graph, findings = reviewed
    lines = render_review(graph, findings, "mermaid").splitlines()
    assert lines[0] == "flowchart LR"
    arrows = [line for line in lines if "-->" in line or "-.->" in line]
    assert len(arrows) == len({(u, v, d["kind"]) for u, v, d in graph.graph.edges(data=True)})


def test_html_is_one_self_contained_file(reviewed: tuple[AccessGraph, list[Finding]]) -> None:
    graph, findings = reviewed
    page = render_review(graph, findings, "html")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == len([k for k in graph.keys if any(True for _ in graph.graph.in_edges(k))])
    for remote in ("<script", "<link", "src=", "@import", "url(http"):
        assert remote not in page
    assert "http://www.w3.org/2000/svg" in page  # the only URL: the SVG namespace, never fetched
    assert "eff-transitive-access" in page
    assert "Access matrix" in page


def test_access_paths_and_diff_renderings() -> None:
    case = load_case(CASES / "role_chain_three_hops.yaml")
    graph = build_graph(case.build("role_chain_three_hops"))
    text = render_access(graph, access(graph, key="k1", action="kms:Decrypt"))
    assert "dev: via Hop1 -> Hop2 -> Hop3" in text
    as_json = json.loads(render_access(graph, access(graph, key="k1", action="kms:Decrypt"), "json"))
    assert as_json[0]["action"] == "kms:Decrypt"
    assert {"principal", "path", "conditions", "external"} <= set(as_json[0]["principals"][0])
    explained = render_paths(graph, paths(graph, "dev", "k1", "kms:Decrypt"))
    assert "dev can assume Hop1" in explained
    assert "because the trust policy allows" in explained
    old = case.build("old")
    key = old.keys[0]
    assert key.policy is not None
    opened = key.policy.model_copy(update={"statements": key.policy.statements[:1]})
    new = old.model_copy(update={"keys": (key.model_copy(update={"policy": opened}),)})
    shown = render_diff(diff(new, old))
    assert shown.startswith("new access: ")
    assert "kms:Decrypt" in shown


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(
    _chromium() is None,
    reason="no chromium on PATH (apt-get install chromium); the HTML report is not rendered",
)
def test_html_report_renders_in_headless_chromium(
    reviewed: tuple[AccessGraph, list[Finding]], tmp_path: Path
) -> None:
    graph, findings = reviewed
    page = tmp_path / "review.html"
    page.write_text(render_review(graph, findings, "html"), encoding="utf-8")
    shot = tmp_path / "review.png"
    browser = _chromium()
    assert browser is not None
    profile = tmp_path / "profile"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--screenshot={shot}",
        "--window-size=1280,900",
        page.as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 900)
    # a blank page compresses to a few kilobytes; the report's tables and pictures do not
    assert len(data) > 40_000
    dom = subprocess.run(
        [*command[:-3], f"--user-data-dir={profile}-dom", "--dump-dom", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
        text=True,
    ).stdout
    assert dom.count("<svg") >= 1
    assert "Access review of account 111122223333" in dom
