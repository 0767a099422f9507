"""How fast kmspolicy reads its inputs, against `json.loads` and against parliament.

    python benchmarks/bench_parse.py                    # the 10,000-document corpus, 3 rounds
    python benchmarks/bench_parse.py --size 1000 --no-parliament

Measures, in one process each, CPU time (best of `--repeat` rounds, so that other load on the machine
counts as little as possible):
  * `json.loads` of every file of the corpus (read from disk), the floor;
  * `kmspolicy.parse.parse_paths` over the same folder (read, detect, parse, check the structure,
    build the model), and the ratio to the floor (target: at most 3x);
  * the same plus `kmspolicy.lint.lint` with every rule, for reference;
  * peak memory of a fresh process that parses the corpus (tracemalloc and max RSS; target < 300 MB);
  * parliament 1.x analysing the policies of the same corpus (it reads no grant listings) in its own
    venv under benchmarks/.corpus/, timing only its analysis loop (target: kmspolicy >= 10x faster).
It also checks that no source position was computed: positions are for reports only.

Only the standard library is imported at the top: the same file runs as the parliament child inside
parliament's venv, which has no kmspolicy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / ".corpus"
PARLIAMENT_VENV = CORPUS / "venv-parliament"
PARLIAMENT_VERSION = "parliament==1.6.4"


def _policy_texts(folder: Path) -> list[str]:
    """The policy documents of the corpus as parliament takes them (get-key-policy: the inner string)."""
    texts = []
    for path in sorted(folder.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        obj = json.loads(text)
        if "Statement" in obj:
            texts.append(text)
        elif isinstance(obj.get("Policy"), str):
            texts.append(obj["Policy"])
    return texts


def _best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times)


# --------------------------------------------------------------------------- children


def _parliament_child(folder: Path, repeat: int) -> None:
    import parliament  # type: ignore[import-not-found]  # only in the benchmark venv

    texts = _policy_texts(folder)

    def analyse() -> int:
        return sum(len(parliament.analyze_policy_string(text).findings) for text in texts)

    analyse()  # warm: parliament loads its privilege data on first use
    findings = analyse()
    print(json.dumps({"seconds": _best(repeat, analyse), "documents": len(texts), "findings": findings}))


def _memory_child(folder: Path, traced: bool) -> None:
    """Parse in a fresh process: peak of Python allocations (tracemalloc), or peak RSS without it."""
    import tracemalloc

    from kmspolicy.parse import parse_paths

    if traced:
        tracemalloc.start()
    result = parse_paths([str(folder)])
    peak = tracemalloc.get_traced_memory()[1] if traced else _peak_rss()
    print(json.dumps({"documents": len(result.documents), "peak": peak}))


def _peak_rss() -> int:
    """VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _memory(folder: Path, traced: bool) -> float:
    child = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(folder), *(["--traced"] if traced else [])],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    peak: float = json.loads(child.stdout.strip().splitlines()[-1])["peak"]
    return peak


# --------------------------------------------------------------------------- the benchmark


def _ensure_corpus(size: int) -> Path:
    sys.path.insert(0, str(HERE))
    from corpus import write_corpus

    folder = CORPUS / str(size)
    if not folder.is_dir() or sum(1 for _ in folder.glob("*.json")) != size:
        print(f"writing the {size:,}-document corpus to {folder} ...", file=sys.stderr)
        write_corpus(CORPUS, size)
    return folder


def _parliament(folder: Path, repeat: int) -> dict[str, float] | None:
    python = PARLIAMENT_VENV / "bin" / "python"
    if not python.exists():
        print(f"installing {PARLIAMENT_VERSION} into {PARLIAMENT_VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(PARLIAMENT_VENV)], check=True)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", PARLIAMENT_VERSION], check=False
        )
        if installed.returncode != 0:
            print("parliament could not be installed; skipping the comparison", file=sys.stderr)
            return None
    child = subprocess.run(
        [str(python), __file__, "--parliament-child", str(folder), "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def _lint_time(folder: Path, repeat: int) -> float | None:
    from kmspolicy.parse import parse_paths

    try:
        from kmspolicy.config import LintConfig
        from kmspolicy.lint import lint
    except ImportError:
        return None
    config = LintConfig()
    return _best(repeat, lambda: lint(parse_paths([str(folder)]).documents, config=config))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-parliament", action="store_true")
    parser.add_argument("--no-lint", action="store_true")
    parser.add_argument("--parliament-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parliament_child:
        _parliament_child(args.parliament_child, args.repeat)
        return
    if args.memory_child:
        _memory_child(args.memory_child, args.traced)
        return

    from kmspolicy.parse import parse_paths
    from kmspolicy.parse.source import JsonLocator

    folder = _ensure_corpus(args.size)
    files = sorted(folder.glob("*.json"))
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    parse_paths([str(HERE.parent / "tests" / "corpus" / "good")])  # warm: grammars, caches

    floor = _best(args.repeat, lambda: [json.loads(p.read_text(encoding="utf-8")) for p in files])
    ours = _best(args.repeat, lambda: parse_paths([str(folder)]))
    result = parse_paths([str(folder)])
    scanned = sum(
        1
        for source in result.sources._files.values()
        if isinstance(source.locator, JsonLocator) and source.locator._scan is not None
    )
    rows = [
        ("corpus", f"{len(files):,} files, {megabytes:.1f} MB, {len(result.documents):,} documents read"),
        ("json.loads (read + decode)", f"{floor:.3f} s  {floor / len(files) * 1e6:.0f} µs/file"),
        ("kmspolicy parse_paths", f"{ours:.3f} s  {ours / len(files) * 1e6:.0f} µs/file"),
        ("ratio to json.loads", f"{ours / floor:.1f}x  (target <= 3x)"),
        ("findings while parsing", f"{len(result.findings)}"),
        ("files whose positions were computed", f"{scanned}  (must be 0)"),
    ]
    if not args.no_lint:
        linted = _lint_time(folder, args.repeat)
        if linted is not None:
            rows.append(
                ("kmspolicy parse + lint (all rules)", f"{linted:.3f} s  {linted / floor:.1f}x json.loads")
            )
    traced, rss = _memory(folder, traced=True), _memory(folder, traced=False)
    rows.append(
        (
            "peak memory (fresh process, parse only)",
            f"{traced / 1e6:.0f} MB allocated by Python, {rss / 1e6:.0f} MB peak RSS (target < 300 MB)",
        )
    )
    if not args.no_parliament:
        theirs = _parliament(folder, args.repeat)
        if theirs is not None:
            policy_files = [
                p for p in files if p.name.startswith(("key-policy", "identity-policy", "get-key-policy"))
            ]
            ours_same = _best(args.repeat, lambda: parse_paths([str(p) for p in policy_files]))
            rows += [
                (
                    "parliament analyse_policy_string",
                    f"{theirs['seconds']:.3f} s for {theirs['documents']:,} policies",
                ),
                ("kmspolicy on the same policies", f"{ours_same:.3f} s"),
                ("kmspolicy speed-up", f"{theirs['seconds'] / ours_same:.1f}x  (target >= 10x)"),
            ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
