"""How fast the rules run: every rule over the 10,000-document corpus, and one small file end to end.

    python benchmarks/bench_lint.py                 # 10,000 documents, 3 rounds
    python benchmarks/bench_lint.py --size 1000 --repeat 1

Measures, in one process:
  * `kmspolicy.lint.lint` with every registered rule over the documents of the corpus, parsed once
    beforehand (CPU time, best of `--repeat`; target: at least 5,000 documents per second);
  * the slowest rules (time per rule over the whole corpus), to show where the time goes;
  * a fresh `python -c` process that imports the parser and the lint driver, loads every rule and
    lints one key policy (wall time, best of `--repeat`; target: under 300 ms).
The corpus comes from `benchmarks/corpus.py` (written on first use under benchmarks/.corpus/).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import DEFAULT_OUT, write_corpus  # noqa: E402

from kmspolicy.config import LintConfig  # noqa: E402
from kmspolicy.lint import lint  # noqa: E402
from kmspolicy.model import Document  # noqa: E402
from kmspolicy.parse import parse_paths  # noqa: E402
from kmspolicy.rules import all_rules  # noqa: E402
from kmspolicy.rules.framework import (  # noqa: E402
    GrantRule,
    GrantTarget,
    KeyRule,
    KeyTarget,
    Options,
    PolicyRule,
    PolicyTarget,
    Trust,
)

ONE_FILE = """{"Version": "2012-10-17", "Statement": [
 {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
  "Action": "kms:*", "Resource": "*"},
 {"Sid": "Use", "Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
  "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com",
                                                  "kms:CallerAccount": "111122223333"}}}]}
"""

STARTUP = """
import sys
from kmspolicy.config import LintConfig
from kmspolicy.lint import lint
from kmspolicy.parse import parse_paths
parsed = parse_paths([sys.argv[1]])
findings = parsed.findings + lint(parsed.documents, config=LintConfig())
print(len(findings))
"""


def _best(repeat: int, run: Callable[[], object], clock: Callable[[], float] = time.process_time) -> float:
    times = []
    for _ in range(repeat):
        start = clock()
        run()
        times.append(clock() - start)
    return min(times)


def _per_rule(documents: list[Document]) -> list[tuple[float, str]]:
    """Time of each rule over every policy, key and grant of the corpus (no driver overhead)."""
    options = Options()
    trust = Trust(owner=None)
    costs: list[tuple[float, str]] = []
    for rule in all_rules():
        start = time.process_time()
        for document in documents:
            for policy in document.policies:
                if isinstance(rule, PolicyRule):
                    list(rule.run(PolicyTarget(document, trust, options, policy)))
            for key in document.keys:
                if isinstance(rule, KeyRule):
                    list(rule.run(KeyTarget(document, trust, options, key)))
                if isinstance(rule, PolicyRule) and key.policy is not None:
                    list(rule.run(PolicyTarget(document, trust, options, key.policy, key)))
            for grant in document.grants:
                if isinstance(rule, GrantRule):
                    list(rule.run(GrantTarget(document, trust, options, grant)))
        costs.append((time.process_time() - start, f"{rule.id} {rule.name}"))
    return sorted(costs, reverse=True)


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
    seconds = _best(args.repeat, lambda: findings.append(lint(documents, config=config)))
    rate = len(documents) / seconds if seconds else float("inf")
    print(
        f"lint, all {len(all_rules())} rules: {len(documents):,} documents in {seconds:.2f} s CPU "
        f"= {rate:,.0f} documents/s (target >= 5,000)"
    )
    print("slowest rules over the corpus:")
    for cost, name in _per_rule(documents)[:8]:
        print(f"  {cost * 1000:8.1f} ms  {name}")

    sample = HERE / ".corpus" / "one-key-policy.json"
    sample.parent.mkdir(parents=True, exist_ok=True)
    sample.write_text(ONE_FILE, encoding="utf-8")
    command = [sys.executable, "-c", STARTUP, str(sample)]

    def one() -> object:
        return subprocess.run(command, check=True, capture_output=True, cwd=HERE.parent)

    wall = _best(args.repeat, one, time.perf_counter)
    print(f"one file, fresh process (import + all rules + lint): {wall * 1000:.0f} ms wall (target < 300 ms)")


if __name__ == "__main__":
    main()
