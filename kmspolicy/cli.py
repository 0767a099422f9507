"""The `kmspolicy` command. Thin: read arguments, call the library, render, choose the exit code.

Exit codes everywhere: 0 clean, 1 findings (lint) or expectation failures (test) or new access
(diff), 2 usage or input errors.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from kmspolicy import __version__
from kmspolicy.model import Account, Finding, InputKind, Severity

if TYPE_CHECKING:
    from kmspolicy.model import Decision
    from kmspolicy.parse import ParseResult
    from kmspolicy.parse.source import SourceSet
    from kmspolicy.scenario import Scenario

app = typer.Typer(
    name="kmspolicy",
    help=(
        "Lint, explain and review AWS KMS key policies, IAM policies and grants.\n\n"
        "\b\nExamples:\n"
        "  kmspolicy lint samples/                        lint every file below a folder\n"
        "  kmspolicy lint kp.json --format sarif          SARIF for GitHub code scanning\n"
        "  kmspolicy explain scenario.yaml                why is this request allowed or denied?\n"
        "  kmspolicy explain --key-policy kp.json \\\n"
        "      --query 'can ROLE_ARN kms:Decrypt KEY_ARN' the same question in one line\n"
        "  kmspolicy test tests/access/                   assert expected access in CI\n"
        "  kmspolicy simulate scenario.yaml               replay a scenario in the KMS simulator\n"
        "  kmspolicy rules kp-public-principal            documentation of one rule\n\n"
        "Exit codes: 0 clean, 1 findings / failed expectations / new access, 2 usage or input errors."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


# Options that several commands share.
Kind = Annotated[InputKind | None, typer.Option(help="Input kind, instead of detecting it.")]
OwnerAccount = Annotated[str | None, typer.Option(help="Owner account id when the input does not say.")]
TrustedAccounts = Annotated[
    list[str] | None,
    typer.Option("--trusted-account", metavar="ACCOUNT_ID", help="A trusted account id (repeatable)."),
]
TrustedOrgs = Annotated[
    list[str] | None,
    typer.Option("--trusted-org", metavar="ORG_ID", help="A trusted organization id (repeatable)."),
]


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class OutFormat(str, Enum):
    text = "text"
    json = "json"


def _fail(message: str) -> NoReturn:
    typer.echo(f"kmspolicy: {message}", err=True)
    raise typer.Exit(2)


def _check_account(account: str | None) -> None:
    from kmspolicy.config import is_account_id

    if account is not None and not is_account_id(account):
        _fail(f"option `--account`: `{account}` is not a 12-digit account id")


def _check_action(action: str, option: str) -> None:
    """Reject a `kms:` action the catalogue does not know; other services' actions are left alone."""
    from kmspolicy.catalog import action as catalogued

    service, _, name = action.partition(":")
    wildcard = "*" in name or "?" in name
    if service.lower() == "kms" and not wildcard and catalogued(action) is None:
        _fail(f"{option}: unknown action `{action}`; KMS actions are spelled like `kms:Decrypt`")


def _check_principal(principal: str) -> None:
    # the same test as the query's: a one-line question and its flags accept the same principals
    from kmspolicy.query import SERVICE_PRINCIPAL

    if not (principal.startswith("arn:") or SERVICE_PRINCIPAL.fullmatch(principal)):
        _fail(
            f"--principal: expected a principal ARN or a service principal such as `s3.amazonaws.com`, "
            f"found `{principal}`"
        )


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kmspolicy {__version__}")
        raise typer.Exit(0)


def _use_color(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Lint, explain and review AWS KMS key policies, IAM policies and grants."""


@app.command()
def lint(
    paths: Annotated[
        list[str],
        typer.Argument(metavar="PATH...", help="Files or folders to lint; `-` reads standard input."),
    ],
    format: Annotated[LintFormat, typer.Option("--format", "-f", help="Output format.")] = LintFormat.text,
    kind: Kind = None,
    account: OwnerAccount = None,
    trusted_account: TrustedAccounts = None,
    trusted_org: TrustedOrgs = None,
    select: Annotated[
        list[str] | None, typer.Option(metavar="RULE", help="Only these rules (id, name or prefix).")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option(metavar="RULE", help="Skip these rules (id, name or prefix).")
    ] = None,
    fail_on: Annotated[
        Severity | None, typer.Option(help="Lowest severity that makes the run fail (default: low).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Configuration file (default: searched upward).")
    ] = None,
    baseline: Annotated[Path | None, typer.Option(help="Report only findings not in this baseline.")] = None,
    write_baseline: Annotated[Path | None, typer.Option(help="Write all findings to this baseline.")] = None,
    max_bytes: Annotated[int, typer.Option(min=1, help="Refuse input files larger than this.")] = 10_000_000,
    color: Annotated[bool | None, typer.Option("--color/--no-color", help="Colour the text output.")] = None,
) -> None:
    """Check policies, grants and key configurations against the rule catalogue."""
    from kmspolicy import baseline as baselines
    from kmspolicy import config as configs
    from kmspolicy.lint import lint as run_rules
    from kmspolicy.parse import parse_paths
    from kmspolicy.parse.context import input_errors
    from kmspolicy.report.findings import render
    from kmspolicy.rules import all_rules

    _check_account(account)
    known_rules = all_rules()

    def unmatched(where: str, selectors: Iterable[str]) -> None:
        # a selector that picks no rule would silently select, ignore or re-rate nothing
        unknown = [s for s in selectors if not any(configs.matches(s, r.id, r.name) for r in known_rules)]
        if unknown:
            names = ", ".join(f"`{s}`" for s in unknown)
            _fail(f"{where}: no rule matches {names}; `kmspolicy rules` lists them")

    unmatched("option `--select`", select or [])
    unmatched("option `--ignore`", ignore or [])
    try:
        found = config if config is not None else configs.find_config(Path.cwd())
        loaded = configs.load_config(found)
        for key, selectors in (
            ("select", loaded.select),
            ("ignore", loaded.ignore),
            ("severity", loaded.severity),
            ("suppressions", [s.rule for s in loaded.suppressions]),
        ):
            unmatched(f"{found}: key `{key}`", selectors)
        settings = configs.merge_cli(
            loaded,
            trusted_accounts=trusted_account or [],
            trusted_orgs=trusted_org or [],
            select=select or [],
            ignore=ignore or [],
            fail_on=fail_on,
        )
    except (configs.ConfigError, OSError) as error:
        _fail(str(error))
    parsed = parse_paths(paths, kind=kind, account=account, max_bytes=max_bytes, progress=_progress())
    # `lint()` applies the configuration to the rules' findings; the reader's need it here.
    findings = configs.apply(settings, parsed.findings) + run_rules(
        parsed.documents, config=settings, account=account
    )
    if write_baseline is not None:
        try:
            baselines.write_baseline(write_baseline, findings, parsed.sources)
        except OSError as error:
            _fail(f"cannot write baseline {write_baseline}: {error}")
    if baseline is not None:
        try:
            known = baselines.read_baseline(baseline)
        except (ValueError, OSError) as error:
            _fail(str(error))
        findings = baselines.filter_new(findings, known, parsed.sources)
    rules = {rule.id: rule for rule in known_rules}
    colored = format is LintFormat.text and _use_color(color)
    output = render(
        findings, parsed.sources, format.value, rules=rules, color=colored, tool_version=__version__
    )
    if output:
        typer.echo(output, color=colored)
    # Only unreadable input exits 2; softer remarks of the reader count like any finding.
    unusable = bool(input_errors(findings))
    raise typer.Exit(configs.exit_code(findings, settings.fail_on, input_errors=unusable))


def _progress() -> bool:
    """A progress bar only for people watching a terminal, never in CI logs or pipes."""
    return sys.stderr.isatty() and not os.environ.get("CI")


@app.command()
def rules(
    name: Annotated[str | None, typer.Argument(help="A rule id or name; without it, list all rules.")] = None,
    format: Annotated[OutFormat, typer.Option("--format", "-f")] = OutFormat.text,
) -> None:
    """List the rules, or print the documentation of one."""
    from kmspolicy.rules import all_rules, get_rule

    if name is None:
        listed = sorted(all_rules(), key=lambda r: r.id)
        if format is OutFormat.json:
            typer.echo(
                json.dumps(
                    [
                        {"id": r.id, "name": r.name, "severity": r.severity.value, "summary": r.summary}
                        for r in listed
                    ],
                    indent=2,
                )
            )
            return
        for r in listed:
            typer.echo(f"{r.id}  {r.name:<40} {r.severity.value:<8} {r.summary}")
        return
    rule = get_rule(name)
    if rule is None:
        _fail(f"no rule `{name}`; `kmspolicy rules` lists them")
    if format is OutFormat.json:
        typer.echo(
            json.dumps(
                {
                    "id": rule.id,
                    "name": rule.name,
                    "severity": rule.severity.value,
                    "summary": rule.summary,
                    "help": rule.help,
                    "doc": rule.doc,
                },
                indent=2,
            )
        )
        return
    typer.echo(f"{rule.id} {rule.name} ({rule.severity.value})\n")
    typer.echo(rule.doc)


def _explained(
    explained: list[tuple[Scenario | None, Decision]], sources: SourceSet, fmt: OutFormat, color: bool
) -> str:
    """The explanations of `kmspolicy explain`: texts one after another, or one JSON array with an object
    per request (as `test --format json` prints one document)."""
    from kmspolicy.report.explain import render_json, render_text

    if fmt is OutFormat.json:
        documents = [
            render_json(scenario, decision, sources, scenario.file if scenario is not None else None)
            for scenario, decision in explained
        ]
        return json.dumps(documents, indent=2)
    return "\n\n".join(
        render_text(scenario, decision, sources, color=color) for scenario, decision in explained
    )


@app.command()
def explain(
    scenarios: Annotated[
        list[Path] | None, typer.Argument(help="Scenario files (JSON or YAML) stating one situation each.")
    ] = None,
    query: Annotated[
        str | None,
        typer.Option(help="One-line question: `can PRINCIPAL ACTION RESOURCE [with KEY=VALUE and ...]`."),
    ] = None,
    key_policy: Annotated[
        Path | None, typer.Option(help="Key policy (raw or get-key-policy output).")
    ] = None,
    key: Annotated[Path | None, typer.Option(help="describe-key output for the key's metadata.")] = None,
    identity_policy: Annotated[
        list[Path] | None, typer.Option(help="An identity policy of the caller (repeatable).")
    ] = None,
    boundary: Annotated[Path | None, typer.Option(help="The caller's permissions boundary.")] = None,
    session_policy: Annotated[list[Path] | None, typer.Option(help="A session policy (repeatable).")] = None,
    scp: Annotated[
        list[Path] | None, typer.Option(help="An SCP; all given form one level (repeatable).")
    ] = None,
    rcp: Annotated[
        list[Path] | None, typer.Option(help="An RCP; all given form one level (repeatable).")
    ] = None,
    grants: Annotated[Path | None, typer.Option(help="list-grants output for the key.")] = None,
    principal: Annotated[
        str | None, typer.Option(help="Caller ARN (user, role session, root, service).")
    ] = None,
    action: Annotated[str | None, typer.Option(help="Action, e.g. kms:Decrypt.")] = None,
    resource: Annotated[str | None, typer.Option(help="Key ARN, alias ARN or `*`.")] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(help="Request context KEY=VALUE (repeatable; repeat a key for a list)."),
    ] = None,
    grant_token: Annotated[
        list[str] | None, typer.Option(help="A grant token sent with the request.")
    ] = None,
    format: Annotated[OutFormat, typer.Option("--format", "-f")] = OutFormat.text,
    color: Annotated[bool | None, typer.Option("--color/--no-color")] = None,
) -> None:
    """Decide a request exactly as AWS KMS would, and say which statement, grant or gap decided it."""
    from kmspolicy.evaluate import evaluate
    from kmspolicy.parse.situation import InputError, situation_from_files
    from kmspolicy.query import QueryError, parse_query
    from kmspolicy.scenario import load_scenarios

    use_color = format is OutFormat.text and _use_color(color)
    request_flags = {"--principal": principal, "--action": action, "--resource": resource}
    file_flags: dict[str, list[Path]] = {
        "--key-policy": [key_policy] if key_policy else [],
        "--key": [key] if key else [],
        "--identity-policy": identity_policy or [],
        "--boundary": [boundary] if boundary else [],
        "--session-policy": session_policy or [],
        "--scp": scp or [],
        "--rcp": rcp or [],
        "--grants": [grants] if grants else [],
    }
    flags = {
        "--query": query,
        **request_flags,
        "--context": context,
        "--grant-token": grant_token,
        **file_flags,
    }
    if scenarios:
        # a scenario file states the whole situation: a flag beside it would be ignored
        given = [name for name, value in flags.items() if value]
        if given:
            _fail(f"give scenario files or {', '.join(given)}, not both")
        from kmspolicy.parse.source import SourceSet

        sources = SourceSet()
        explained: list[tuple[Scenario | None, Decision]] = []
        bad = False
        for path in scenarios:
            loaded, problems = load_scenarios(path, sources)
            if _print_problems(problems, sources):
                bad = True
                continue
            for scenario in loaded:
                explained.append((scenario, evaluate(scenario.situation, scenario.request)))
        typer.echo(_explained(explained, sources, format, use_color))
        raise typer.Exit(2 if bad else 0)
    for option, files in file_flags.items():
        for file in files:
            if file.is_dir():
                _fail(f"{option}: `{file}` is a folder; give one file")
    try:
        if query is not None:
            given = [name for name, value in request_flags.items() if value is not None]
            if given:
                _fail(f"give --query or {', '.join(given)}, not both")
            request = parse_query(query)
            _check_action(request.action, "--query")
        else:
            missing = [name for name, value in request_flags.items() if value is None]
            if missing:
                _fail(f"give scenario files, --query, or all of {', '.join(missing)}")
            _check_principal(principal or "")
            _check_action(action or "", "--action")
            request = None
        situation, request, sources = situation_from_files(
            request=request,
            principal=principal,
            action=action,
            resource=resource,
            context=context or [],
            grant_tokens=grant_token or [],
            key_policy=key_policy,
            key=key,
            identity_policies=identity_policy or [],
            boundary=boundary,
            session_policies=session_policy or [],
            scps=scp or [],
            rcps=rcp or [],
            grants=grants,
        )
    except QueryError as error:
        column = f" at column {error.column}" if error.column is not None else ""
        _fail(f"--query: {error.message}{column}")
    except InputError as error:
        _fail(str(error))
    typer.echo(_explained([(None, evaluate(situation, request))], sources, format, use_color))


@app.command("test")
def run_tests(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders of them.")],
    format: Annotated[OutFormat, typer.Option("--format", "-f")] = OutFormat.text,
    color: Annotated[bool | None, typer.Option("--color/--no-color")] = None,
) -> None:
    """Run every scenario that states `expect` and fail on any mismatch: access assertions for CI."""
    from kmspolicy.evaluate import evaluate
    from kmspolicy.parse.source import SourceSet
    from kmspolicy.report.explain import render_text
    from kmspolicy.scenario import check, load_scenarios

    sources = SourceSet()
    files = _scenario_files(paths)
    passed = failed = 0
    bad = False
    results: list[dict[str, object]] = []
    for path in files:
        loaded, problems = load_scenarios(path, sources)
        bad = _print_problems(problems, sources) or bad
        for scenario in loaded:
            if scenario.expect is None:
                continue
            decision = evaluate(scenario.situation, scenario.request)
            mismatches = check(scenario, decision)
            results.append(
                {"file": scenario.file, "name": scenario.name, "ok": not mismatches, "problems": mismatches}
            )
            if mismatches:
                failed += 1
                if format is OutFormat.text:
                    typer.echo(f"FAIL {scenario.file}: {scenario.name}")
                    for line in mismatches:
                        typer.echo(f"  {line}")
                    typer.echo(render_text(scenario, decision, sources, color=_use_color(color)))
            else:
                passed += 1
    if format is OutFormat.json:
        typer.echo(json.dumps({"results": results, "passed": passed, "failed": failed}, indent=2))
    else:
        typer.echo(f"{passed} passed, {failed} failed")
    if not (passed or failed or bad):  # a gate that checks nothing must not pass
        _fail(f"no scenario in {', '.join(map(str, paths))} states `expect`: nothing was checked")
    raise typer.Exit(2 if bad else (1 if failed else 0))


def _print_problems(problems: list[Finding], sources: SourceSet) -> bool:
    """Print a scenario file's findings as `file:line:col: message` on stderr, the ones that leave its
    scenarios standing as warnings; True when one makes the file unusable (exit 2)."""
    from kmspolicy.parse.context import input_errors

    errors = input_errors(problems)
    for problem in problems:
        where = sources.locate(problem.span)
        pos = f"{where.line}:{where.column}" if where else "1:1"
        warning = "" if problem in errors else "warning: "
        typer.echo(f"{problem.span.file}:{pos}: {warning}{problem.message}", err=True)
    return bool(errors)


def _scenario_files(paths: list[Path]) -> list[Path]:
    from kmspolicy.parse import STDIN

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in {".json", ".yaml", ".yml"} and p.is_file()
            )
            if not found:  # a gate that checks nothing must not pass
                _fail(f"{path}: no scenario files (`*.json`, `*.yaml`, `*.yml`) in this folder")
            files.extend(found)
        elif path.exists() or str(path) == STDIN:
            files.append(path)
        else:
            _fail(f"{path}: no such file or folder")
    return files


@app.command()
def simulate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files to replay in the KMS simulator.")],
    format: Annotated[OutFormat, typer.Option("--format", "-f")] = OutFormat.text,
) -> None:
    """Build each scenario's world in the simulator, make the call for real, print the outcome; where the
    scenario states `expect`, compare (exit 1 on a mismatch, like `test`)."""
    from kmspolicy.parse.source import SourceSet
    from kmspolicy.scenario import load_scenarios
    from kmspolicy.simulator.scenario_replay import ReplayError, replay

    sources = SourceSet()
    bad = failed = False
    results: list[dict[str, object]] = []
    for path in _scenario_files(scenarios):
        loaded, problems = load_scenarios(path, sources)
        if _print_problems(problems, sources):
            bad = True
            continue
        for scenario in loaded:
            try:
                outcome = replay(scenario)
            except ReplayError as problem:
                typer.echo(f"{scenario.file}: {scenario.name}: {problem}", err=True)
                bad = True
                continue
            ok = scenario.expect is None or outcome["effect"] == scenario.expect
            failed = failed or not ok
            if format is OutFormat.json:
                checked = {"expect": scenario.expect, "ok": ok} if scenario.expect is not None else {}
                results.append({"file": scenario.file, "name": scenario.name, **outcome, **checked})
                continue
            # a call refused before any decision (validation, an unknown key) has no decision to show
            shown = outcome["effect"] or "no decision"
            error = outcome["error"] or "none"
            verdict = (
                "" if scenario.expect is None else ", as expected" if ok else f", expected {scenario.expect}"
            )
            mark = "" if ok else "FAIL "
            typer.echo(f"{mark}{scenario.file}: {scenario.name}: {shown} (error: {error}){verdict}")
    if format is OutFormat.json:
        typer.echo(json.dumps(results, indent=2, default=str))
    raise typer.Exit(2 if bad else 1 if failed else 0)


class ReviewFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    dot = "dot"
    mermaid = "mermaid"


class AnswerFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def _review_account(
    paths: list[str], kind: InputKind | None, account: str | None, *, json_errors: bool = False
) -> tuple[Account, ParseResult]:
    """Parse the inputs of `access` / `paths` / `diff` into one account; exit 2 on unreadable input,
    having printed the problems on stderr and, with `json_errors`, as a JSON document on stdout (a
    pipeline reading JSON must get JSON)."""
    from kmspolicy.parse import parse_paths
    from kmspolicy.parse.context import INPUT_ERROR_RULES, input_errors
    from kmspolicy.review import merged_account

    _check_account(account)
    parsed = parse_paths(paths, kind=kind, account=account)
    problems = [f for f in parsed.findings if f.rule in INPUT_ERROR_RULES]
    # the input errors stop the review; the others (a truncated listing, a policy missing from iam.json,
    # an unexpanded Transform) make the answer incomplete, not wrong: warnings, and the review goes on
    if _print_problems(problems, parsed.sources):
        if json_errors:
            shown = []
            for error in input_errors(problems):
                at = parsed.sources.locate(error.span)
                line, column = (at.line, at.column) if at else (1, 1)
                shown.append(
                    {"file": error.span.file, "line": line, "column": column, "message": error.message}
                )
            typer.echo(json.dumps({"errors": shown}, indent=2))
        _fail("cannot review: the input could not be read")
    if not parsed.documents:
        _fail(f"cannot review: no policy, template, plan or snapshot found in {', '.join(paths)}")
    return merged_account(parsed.documents, account=account), parsed


@app.command()
def access(
    paths: Annotated[list[str], typer.Argument(help="A snapshot folder, or policy / template / plan files.")],
    key: Annotated[str | None, typer.Option(help="Only this key (ARN, key id or alias name).")] = None,
    principal: Annotated[
        str | None, typer.Option(help="Instead: every key and action this principal can reach.")
    ] = None,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. kms:Decrypt.")] = None,
    format: Annotated[
        ReviewFormat,
        typer.Option(
            "--format", "-f", help="text, json or markdown answers; html, dot or mermaid: the review."
        ),
    ] = ReviewFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here, not to stdout.")] = None,
    kind: Kind = None,
    account: OwnerAccount = None,
    trusted_account: TrustedAccounts = None,
    trusted_org: TrustedOrgs = None,
) -> None:
    """Who can use or manage each key: directly, through roles they can assume, grants or escalation."""
    from kmspolicy.config import LintConfig
    from kmspolicy.review import section_g_findings
    from kmspolicy.review.graph import build_graph
    from kmspolicy.review.questions import access as ask
    from kmspolicy.review.report import render_access, render_review

    if action is not None:
        _check_action(action, "--action")
    merged, parsed = _review_account(paths, kind, account, json_errors=format is ReviewFormat.json)
    graph = build_graph(
        merged, trusted_accounts=trusted_account or (), trusted_orgs=trusted_org or (), account=account
    )
    if format in (ReviewFormat.html, ReviewFormat.dot, ReviewFormat.mermaid):
        config = LintConfig(
            trusted_accounts=frozenset(trusted_account or ()), trusted_orgs=frozenset(trusted_org or ())
        )
        findings = [
            f.model_copy(update={"location": parsed.sources.locate(f.span)})
            for f in section_g_findings(parsed.documents, config, account=account)
        ]
        text = render_review(graph, findings, format.value)  # type: ignore[arg-type]
    else:
        try:
            answers = ask(graph, key=key, principal=principal, action=action)
        except KeyError as error:
            _fail(str(error.args[0]))
        text = render_access(graph, answers, format.value, principal=principal)  # type: ignore[arg-type]
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            _fail(f"cannot write {output}: {error}")
    else:
        typer.echo(text, nl=False)


@app.command()
def paths(
    inputs: Annotated[
        list[str], typer.Argument(help="A snapshot folder, or policy / template / plan files.")
    ],
    principal: Annotated[
        str, typer.Option("--from", help="The starting principal (ARN, name, account, `*`).")
    ],
    key: Annotated[str, typer.Option("--to", help="The key (ARN, key id or alias name).")],
    action: Annotated[str, typer.Option(help="The action to reach.")] = "kms:Decrypt",
    format: Annotated[AnswerFormat, typer.Option("--format", "-f")] = AnswerFormat.text,
    kind: Kind = None,
    account: OwnerAccount = None,
) -> None:
    """The shortest and every simple escalation path from a principal to an action on a key."""
    from kmspolicy.review.graph import build_graph
    from kmspolicy.review.questions import paths as find_paths
    from kmspolicy.review.report import render_paths

    _check_action(action, "--action")
    merged, _ = _review_account(inputs, kind, account, json_errors=format is AnswerFormat.json)
    graph = build_graph(merged, account=account)
    try:
        answer = find_paths(graph, principal, key, action)
    except KeyError as error:
        _fail(str(error.args[0]))
    typer.echo(render_paths(graph, answer, format.value), nl=False)  # type: ignore[arg-type]
    raise typer.Exit(0 if answer.shortest is not None else 1)


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="The baseline: snapshot folder, policy, template or plan.")],
    new: Annotated[str, typer.Argument(help="The changed version, of the same kind.")],
    removed: Annotated[bool, typer.Option("--removed", help="Also list the access NEW takes away.")] = False,
    format: Annotated[AnswerFormat, typer.Option("--format", "-f")] = AnswerFormat.text,
    kind: Kind = None,
    account: Annotated[str | None, typer.Option(help="Owner account id when the inputs do not say.")] = None,
    trusted_account: TrustedAccounts = None,
    trusted_org: TrustedOrgs = None,
) -> None:
    """Every access NEW allows that OLD does not, each with a witness request; exit 1 when there is any."""
    from kmspolicy.review.diff import diff as compare
    from kmspolicy.review.report import render_diff

    as_json = format is AnswerFormat.json
    old_account, old_parsed = _review_account([old], kind, account, json_errors=as_json)
    new_account, new_parsed = _review_account([new], kind, account, json_errors=as_json)
    # a whole account against files (or the reverse) compares unlike things; a policy against its
    # get-key-policy form, or a template against a plan, compares what they declare
    snapshots = [
        any(d.kind is InputKind.SNAPSHOT for d in parsed.documents) for parsed in (old_parsed, new_parsed)
    ]
    if snapshots[0] != snapshots[1]:
        which = (old, new) if snapshots[0] else (new, old)
        _fail(f"`{which[0]}` is an account snapshot but `{which[1]}` is not: compare inputs of one kind")
    result = compare(
        old_account,
        new_account,
        account=account,
        trusted_accounts=trusted_account or (),
        trusted_orgs=trusted_org or (),
        # paths through roles exist only where the inputs describe principals (snapshots, templates)
        transitive=bool(old_account.principals and new_account.principals),
    )
    typer.echo(render_diff(result, format.value, removed=removed), nl=False)  # type: ignore[arg-type]
    raise typer.Exit(1 if result.added else 0)


def main() -> None:
    """Console entry point: no traceback ever reaches the user."""
    # File names that are not UTF-8 (kept as lone surrogates by the OS layer) and `\ud800`-style
    # escapes in JSON strings cannot be written as UTF-8: show them escaped instead of failing.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        typer.echo("kmspolicy: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # a bug: say so plainly, with what to report
        typer.echo(f"kmspolicy: internal error: {type(error).__name__}: {error}", err=True)
        typer.echo("kmspolicy: please report this with the input that caused it", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
