"""Turns the benchmark's results (tab-separated, written by sandbox.sh) into Markdown tables.

Usage: report.py RESULTS.tsv
"""

import statistics
import sys
from collections import defaultdict

SMTP_CONFIGS = [
    ("1", "1 client, a connection per message"),
    ("16", "16 clients, a connection per message"),
    ("1 -d", "1 client, connection reuse (`-d`)"),
    ("16 -d", "16 clients, connection reuse (`-d`)"),
]
MIB = 1024 * 1024


def rows(path):
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                yield line.split("\t")


def fmt(value, digits=0):
    return f"{value:,.{digits}f}"


def spread(values):
    """`median (min–max)` of a list of rates."""
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def yes(ok):
    return "**met**" if ok else "**missed**"


def main():
    loads = []
    smtp = defaultdict(list)
    delivered = defaultdict(list)
    pop3 = defaultdict(list)
    memory = []
    login = None
    machine = versions = None
    sync_us = []
    for row in rows(sys.argv[1]):
        kind = row[0]
        if kind == "load":
            loads.append((row[1], row[2]))
        elif kind == "machine":
            machine = row[1:]
        elif kind == "versions":
            versions = row[1:]
        elif kind == "sync":
            sync_us.append(float(row[2]) / int(row[1]) * 1e6)
        elif kind == "smtp":
            _, server, config, _run, messages, _size, secs = row
            smtp[(server, config)].append(int(messages) / float(secs))
        elif kind == "smtp-delivered":
            _, server, config, _run, messages, _size, secs = row
            delivered[(server, config)].append(int(messages) / float(secs))
        elif kind == "pop3":
            _, server, window, _run, messages, octets, secs = row
            pop3[(server, window)].append((int(messages), int(octets), float(secs)))
        elif kind == "memory":
            memory.append((int(row[1]), int(row[2]), int(row[3]), float(row[4])))
        elif kind == "memory-login":
            login = (int(row[1]), int(row[2]), int(row[3]), float(row[4]))

    out = []
    if machine:
        out.append(f"Measured {machine[1]} on {machine[0]} CPUs.")
    if versions:
        out.append(
            f"Postfix {versions[0]} (itself, smtp-sink, smtp-source), Dovecot {versions[1]}, "
            f"aiosmtpd {versions[2]}."
        )
    if loads:
        out.append(
            "Load average (1, 5, 15 min) at each step: "
            + "; ".join(f"{name} {value}" for name, value in loads)
            + "."
        )
    out.append("")

    if smtp:
        runs = len(next(iter(smtp.values())))
        out.append(f"### SMTP ingest, messages/s (median of {runs} runs, min–max)")
        out.append("")
        servers = ("smtp-sink", "aiosmtpd", "postfix", "sandbox")
        out.append(
            "| load | smtp-sink | aiosmtpd | Postfix | sandbox "
            "| sandbox / Postfix | sandbox / smtp-sink |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        verdicts = []
        for config, label in SMTP_CONFIGS:
            if ("sandbox", config) not in smtp:
                continue
            med = {s: statistics.median(smtp[(s, config)]) for s in servers}
            postfix_ratio = med["sandbox"] / med["postfix"]
            sink_ratio = med["sandbox"] / med["smtp-sink"]
            out.append(
                f"| {label} | "
                + " | ".join(spread(smtp[(s, config)]) for s in servers)
                + f" | {postfix_ratio:.2f}× | {sink_ratio:.2f} |"
            )
            verdicts.append(
                f"- {label}: ≥ 1× Postfix {yes(postfix_ratio >= 1)} ({postfix_ratio:.2f}×); "
                f"≥ ½ of smtp-sink {yes(sink_ratio >= 0.5)} ({sink_ratio:.2f})"
            )
        out.append("")
        out.extend(verdicts)
        out.append("")
        if delivered:
            out.append(
                "Postfix answers 250 once the message is in its queue on disk; its delivery agent "
                "then writes it into the Maildir. Until the last message of a run was in the "
                "Maildir, messages/s:"
            )
            out.append("")
            out.append("| load | Postfix, in the Maildir | sandbox / that |")
            out.append("|---|---:|---:|")
            for config, label in SMTP_CONFIGS:
                if ("postfix", config) in delivered and ("sandbox", config) in smtp:
                    rate = statistics.median(delivered[("postfix", config)])
                    ratio = statistics.median(smtp[("sandbox", config)]) / rate
                    out.append(f"| {label} | {spread(delivered[('postfix', config)])} | {ratio:.2f}× |")
            out.append("")
        if sync_us:
            floor = statistics.median(sync_us)
            out.append(
                f"A durable 4 KiB write (`dd oflag=dsync` into an allocated file in the data "
                f"directory's file system) took {floor:.0f} µs (median of {len(sync_us)} probes, "
                f"{min(sync_us):.0f}–{max(sync_us):.0f}): one client that waits for each message "
                f"to be on disk before its 250 can send at most {1e6 / floor:,.0f} messages/s "
                f"here, before any protocol work."
            )
            out.append("")

    if pop3:
        runs = len(next(iter(pop3.values())))
        out.append(f"### POP3 RETR of every message (median of {runs} runs)")
        out.append("")
        out.append("| client | server | messages | MB | seconds | messages/s | MB/s |")
        out.append("|---|---|---:|---:|---:|---:|---:|")
        medians = {}
        for (server, window), passes in sorted(pop3.items(), key=lambda i: (int(i[0][1]), i[0][0])):
            secs = statistics.median(p[2] for p in passes)
            messages, octets = passes[0][0], passes[0][1]
            medians[(server, window)] = messages / secs
            client = "one command at a time" if window == "1" else f"pipelined, window {window}"
            out.append(
                f"| {client} | {server} | {fmt(messages)} | {fmt(octets / 1e6, 1)} "
                f"| {fmt(secs, 2)} | {fmt(messages / secs)} | {fmt(octets / 1e6 / secs, 1)} |"
            )
        out.append("")
        for window in sorted({w for _, w in medians}, key=int):
            if ("sandbox", window) in medians and ("dovecot", window) in medians:
                ratio = medians[("sandbox", window)] / medians[("dovecot", window)]
                client = "one command at a time" if window == "1" else f"pipelined, window {window}"
                out.append(f"- {client}: ≥ Dovecot {yes(ratio >= 1)} ({ratio:.2f}× Dovecot)")
        out.append("")

    if memory:
        out.append("### Back-end memory while the mailbox grows")
        out.append("")
        out.append("| messages | VmRSS MiB | VmHWM MiB | ingest of the last step, messages/s |")
        out.append("|---:|---:|---:|---:|")
        previous = 0
        for count, rss, hwm, secs in memory:
            rate = fmt((count - previous) / secs) if secs else "–"
            out.append(f"| {fmt(count)} | {fmt(rss / 1024, 1)} | {fmt(hwm / 1024, 1)} | {rate} |")
            previous = count
        if login:
            out.append(
                f"| {fmt(login[0])} after a POP3 login ({login[3] * 1000:.0f} ms) "
                f"| {fmt(login[1] / 1024, 1)} | {fmt(login[2] / 1024, 1)} | |"
            )
        out.append("")
        first = next((m for m in memory if m[0] > 0), memory[0])
        last = memory[-1]
        growth = (last[2] - first[2]) / 1024
        flat = growth <= 16
        out.append(
            f"- flat memory (VmHWM grows ≤ 16 MiB from {fmt(first[0])} to {fmt(last[0])} "
            f"messages): {yes(flat)} (+{growth:.1f} MiB)"
        )
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
