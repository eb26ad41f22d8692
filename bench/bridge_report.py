"""Turns bench/bridge.sh's output into the Markdown table BENCHMARKS.md shows.

Usage: bridge_report.py RESULTS.tsv   (bridge.sh's standard output)

Each engine run is set against the Postfix runs just before and after it (the mean of their
rates): the machine drifts from run to run, and a ratio against a Postfix run measured minutes
away would carry that drift. A row gives each run's rate, their median, the median of the
per-run ratios, TLS against plain (the median of each run against the plain run of its
round), first reply, CPU, peak memory and exactness.
"""

import json
import statistics
import sys
from collections import defaultdict


def read(path):
    """Engine runs with their bracketing Postfix rates, and every Postfix rate, by size."""
    engine, postfix = [], defaultdict(list)
    waiting = []  # engine runs waiting for the Postfix run after them
    before = {}
    for line in open(path):
        kind, _, rest = line.rstrip("\n").partition("\t")
        if kind == "postfix":
            mails, _exit, delivered = rest.split("\t")
            rate = int(mails) / float(delivered)
            postfix[int(mails)].append(rate)
            for run in waiting:
                run["postfix"] = (run["postfix_before"] + rate) / 2
            engine.extend(waiting)
            waiting = []
            before[int(mails)] = rate
        elif kind == "engine":
            run = json.loads(rest)
            run["postfix_before"] = before[run["mails"]]
            waiting.append(run)
    return engine, postfix


def span(values, digits=2, unit=""):
    low, high = min(values), max(values)
    if round(low, digits) == round(high, digits):
        return f"{low:.{digits}f}{unit}"
    return f"{low:.{digits}f}–{high:.{digits}f}{unit}"


def main():
    engine, postfix = read(sys.argv[1])
    groups = defaultdict(list)
    for run in engine:
        groups[(run["mails"], run["variant"])].append(run)
    print("| backlog | variant | replies/s per run | median | ours / Postfix (median of runs) "
          "| TLS against plain | first reply | CPU | peak memory | missing / duplicates |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---|")
    for (mails, variant), runs in sorted(groups.items()):
        rates = [r["rate"] for r in runs]
        ratios = [r["rate"] / r["postfix"] for r in runs]
        plain = groups.get((mails, "plain"))
        against = "—"
        if variant != "plain" and plain and len(plain) == len(runs):
            # Paired: each run against the plain run of the same round, for the same drift.
            changes = [r["rate"] / p["rate"] - 1 for r, p in zip(runs, plain)]
            against = f"{statistics.median(changes):+.1%} ({', '.join(f'{c:+.0%}' for c in changes)})"
        lost = sum(r["missing"] for r in runs), sum(r["duplicates"] for r in runs)
        print(f"| {mails:,} | {variant} | {', '.join(f'{r:.0f}' for r in rates)} "
              f"| {statistics.median(rates):.0f} | {statistics.median(ratios):.2f}× "
              f"({', '.join(f'{x:.2f}' for x in ratios)}) | {against} "
              f"| {span([r['first_s'] for r in runs], unit=' s')} "
              f"| {span([r['cpu_s'] for r in runs], unit=' s')} "
              f"| {max(r['peak_kib'] for r in runs) / 1024:.1f} MiB | {lost[0]} / {lost[1]} |")
    print()
    for mails, rates in sorted(postfix.items()):
        print(f"Postfix, {mails:,} mails: {', '.join(f'{r:.0f}' for r in rates)}/s "
              f"(median {statistics.median(rates):.0f}/s)")


if __name__ == "__main__":
    main()
