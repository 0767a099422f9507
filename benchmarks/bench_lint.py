"""How fast the rules run: every rule over the 10,000-document corpus, and one small file end to end.

    python benchmarks/bench_lint.py                 # 10,000 documents, 3 rounds
    python benchmarks/bench_lint.py --size 1000 --repeat 1

Measures, in one process:
  * `kmspolicy.lint.lint` with every registered rule over the documents of the corpus, parsed once
    beforehand (CPU time of the first lint, target: at least 5,000 documents per second; then the
    best of the other `--repeat` rounds, with warm caches);
  * the slowest rules (CPU time of each rule's checks in a later lint), to show where the time goes;
  * a fresh process running `kmspolicy lint` on one key policy, as CI does (CPU and wall time, best of
    `--repeat`; target: under 300 ms), start-up included: imports, the rule registry, the rules that
    run, text output. It inherits the environment: with `PYTHONDONTWRITEBYTECODE=1` every module
    without bytecode is compiled from source each time, which an installed package never does (set
    `PYTHONPYCACHEPREFIX` to a scratch folder instead).
The corpus comes from `benchmarks/corpus.py` (written on first use under benchmarks/.corpus/).
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import DEFAULT_OUT, write_corpus  # noqa: E402

import kmspolicy.lint  # noqa: E402
from kmspolicy.config import LintConfig  # noqa: E402
from kmspolicy.lint import lint  # noqa: E402
from kmspolicy.model import Document, Finding  # noqa: E402
from kmspolicy.parse import parse_paths  # noqa: E402
from kmspolicy.rules import Rule, all_rules  # noqa: E402

ONE_FILE = """{"Version": "2012-10-17", "Statement": [
 {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
  "Action": "kms:*", "Resource": "*"},
 {"Sid": "Use", "Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
  "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com",
                                                  "kms:CallerAccount": "111122223333"}}}]}
"""

# The `kmspolicy` command itself (what the console script runs), on the file named after `-c`.
STARTUP = """
import sys
from kmspolicy.cli import app
sys.argv = ["kmspolicy", "lint", sys.argv[1]]
app()
"""


def _best(repeat: int, run: Callable[[], object], clock: Callable[[], float] = time.process_time) -> float:
    times = []
    for _ in range(repeat):
        start = clock()
        run()
        times.append(clock() - start)
    return min(times)


def _per_rule(documents: list[Document], config: LintConfig) -> list[tuple[float, str]]:
    """CPU time of each rule's checks over the corpus, inside a real `lint` run: the driver picks the
    targets, owners and applicable rules as always, and only the checks are timed. The run follows the
    first one, so caches of repeated answers are warm, as they are for every rule but the first to ask."""
    costs: dict[str, float] = {}
    clock = time.process_time

    def timed(rule: Rule) -> Rule:
        check = getattr(rule, "check", None)
        if check is None:
            return rule
        label = f"{rule.id} {rule.name}"
        costs[label] = 0.0

        def run(target: Any) -> list[Finding]:
            start = clock()
            found = list(check(target))
            costs[label] += clock() - start
            return found

        return dataclasses.replace(rule, check=run)  # type: ignore[arg-type]  # a ParserRule has no check

    wrapped = tuple(timed(rule) for rule in all_rules())
    # The driver reads the registry through its module's `all_rules`: hand it the timed rules.
    driver = vars(kmspolicy.lint)
    driver["all_rules"] = lambda: wrapped
    try:
        lint(documents, config=config)
    finally:
        driver["all_rules"] = all_rules
    return sorted(((cost, label) for label, cost in costs.items()), reverse=True)


def _child_cpu(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `command`; on a loaded machine the CPU time is the figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, cwd=HERE.parent)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: the file has findings, as this one does
        raise RuntimeError(f"`{' '.join(command)}` failed: {done.stderr.decode()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    folder = DEFAULT_OUT / str(args.size)
    if not folder.is_dir() or not any(folder.iterdir()):
        folder = write_corpus(DEFAULT_OUT, args.size)
    parsed = parse_paths([str(folder)])
    documents = parsed.documents
    config = LintConfig()
    all_rules()  # registration is not part of the per-document cost

    findings: list[object] = []
    # The first lint is the figure: later ones find the rules' caches (answers per repeated condition
    # or Action list, owner-side probes per statement content, catalogue look-ups, cut-down policies)
    # and the evaluator's compiled policies warm. Within the first, policies that repeat statements
    # (the corpus, like an account, has one owner and one organization) share those answers.
    first = _best(1, lambda: findings.append(lint(documents, config=config)))
    rate = len(documents) / first if first else float("inf")
    print(
        f"lint, all {len(all_rules())} rules: {len(documents):,} documents in {first:.2f} s CPU "
        f"= {rate:,.0f} documents/s (first lint after parsing; target >= 5,000)"
    )
    if args.repeat > 1:
        again = _best(args.repeat - 1, lambda: findings.append(lint(documents, config=config)))
        rate = len(documents) / again if again else float("inf")
        print(f"  again, best of {args.repeat - 1}: {again:.2f} s CPU = {rate:,.0f} documents/s")
    print("slowest rules over the corpus:")
    for cost, name in _per_rule(documents, config)[:8]:
        print(f"  {cost * 1000:8.1f} ms  {name}")

    sample = HERE / ".corpus" / "one-key-policy.json"
    sample.parent.mkdir(parents=True, exist_ok=True)
    sample.write_text(ONE_FILE, encoding="utf-8")
    command = [sys.executable, "-c", STARTUP, str(sample)]

    runs = [_child_cpu(command) for _ in range(args.repeat)]
    wall, cpu = min(w for w, _ in runs), min(c for _, c in runs)
    print(
        f"one file, fresh `kmspolicy lint` process: {cpu * 1000:.0f} ms CPU, "
        f"{wall * 1000:.0f} ms wall (target < 300 ms)"
    )


if __name__ == "__main__":
    main()
