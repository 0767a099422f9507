"""How fast the rules run: every rule over the 10,000-document corpus, and one small file end to end.

    python benchmarks/bench_lint.py                 # 10,000 documents, 3 rounds
    python benchmarks/bench_lint.py --size 1000 --repeat 1

Measures, in one process:
  * `kmspolicy.lint.lint` with every registered rule over the documents of the corpus, parsed once
    beforehand (CPU time of the first lint, target: at least 5,000 documents per second; then the
    best of the other `--repeat` rounds, with warm caches);
  * the slowest rules (time per rule over the whole corpus), to show where the time goes;
  * a fresh `python -c` process that imports the parser and the lint driver, loads every rule and
    lints one key policy (CPU and wall time, best of `--repeat`; target: under 300 ms). It inherits
    the environment: with `PYTHONDONTWRITEBYTECODE=1` every module is compiled from source each time,
    which an installed package never does (set `PYTHONPYCACHEPREFIX` to a scratch folder instead).
The corpus comes from `benchmarks/corpus.py` (written on first use under benchmarks/.corpus/).
"""

from __future__ import annotations

import argparse
import gc
import resource
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
    """Time of each rule over every policy, key and grant of the corpus, as the driver runs it: the
    targets (and their statement facts) are built once and shared, and a policy rule runs only on the
    policies that have what it `needs`."""
    options = Options()
    trust = Trust(owner=None)
    policies: list[PolicyTarget] = []
    keys: list[KeyTarget] = []
    grants: list[GrantTarget] = []
    for document in documents:
        policies.extend(PolicyTarget(document, trust, options, p) for p in document.policies)
        for key in document.keys:
            keys.append(KeyTarget(document, trust, options, key))
            if key.policy is not None:
                policies.append(PolicyTarget(document, trust, options, key.policy, key))
        grants.extend(GrantTarget(document, trust, options, g) for g in document.grants)
    for target in policies:
        target.features  # noqa: B018  # facts and features are the driver's cost, not a rule's
    costs: list[tuple[float, str]] = []
    gc.disable()  # as the driver does; a collection would land on whichever rule runs then
    for rule in all_rules():
        start = time.process_time()
        if isinstance(rule, PolicyRule):
            for target in policies:
                kinds_ok = rule.kinds is None or target.policy.kind in rule.kinds
                if kinds_ok and rule.needs <= target.features:
                    list(rule.run(target))
        elif isinstance(rule, KeyRule):
            for key_target in keys:
                list(rule.run(key_target))
        elif isinstance(rule, GrantRule):
            for grant_target in grants:
                list(rule.run(grant_target))
        costs.append((time.process_time() - start, f"{rule.id} {rule.name}"))
    gc.enable()
    return sorted(costs, reverse=True)


def _child_cpu(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `command`; on a loaded machine the CPU time is the figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=HERE.parent)
    wall = time.perf_counter() - start
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
    # The first lint is the figure: later ones find the rules' caches (answers per repeated condition,
    # catalogue look-ups, cut-down policies) and the evaluator's compiled policies warm.
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
    for cost, name in _per_rule(documents)[:8]:
        print(f"  {cost * 1000:8.1f} ms  {name}")

    sample = HERE / ".corpus" / "one-key-policy.json"
    sample.parent.mkdir(parents=True, exist_ok=True)
    sample.write_text(ONE_FILE, encoding="utf-8")
    command = [sys.executable, "-c", STARTUP, str(sample)]

    runs = [_child_cpu(command) for _ in range(args.repeat)]
    wall, cpu = min(w for w, _ in runs), min(c for _, c in runs)
    print(
        f"one file, fresh process (import + all rules + lint): {cpu * 1000:.0f} ms CPU, "
        f"{wall * 1000:.0f} ms wall (target < 300 ms)"
    )


if __name__ == "__main__":
    main()
