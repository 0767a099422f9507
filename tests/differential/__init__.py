"""Differential testing of the evaluator against the simulator's reference authoriser (STYLE.md 8)."""
