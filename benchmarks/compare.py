#!/usr/bin/env python3
"""Run gocsp_bench and peer implementations of the same workloads side by side.

Each binary takes `WORKLOAD [N]`, prints one line
`WORKLOAD n=N total_ms=X ns_per_op=Y [key=value ...]` and understands `--list`.
For every workload the implementations are run alternately (gocsp, peer1, ...,
gocsp, peer1, ... for --runs rounds) so that machine drift hits all of them
alike. The result is a Markdown table of medians (min-max) and of the ratio
peer/gocsp (> 1 means gocsp is faster, or leaner for `parked`, which compares
bytes_per_goroutine instead of ns_per_op, or more punctual for `timers`, which compares
median_late_us).

Example:
  python3 benchmarks/compare.py --gocsp build/gocsp_bench \
      --peer go=build/go_bench --runs 3 --n skynet=100000 pingpong skynet
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# Workloads compared on a metric other than ns_per_op: name -> (field, unit).
METRICS = {"parked": ("bytes_per_goroutine", "bytes/goroutine"),
           "timers": ("median_late_us", "us late, median")}
DEFAULT_METRIC = ("ns_per_op", "ns/op")


def metric_for(workload):
    return METRICS.get(workload, DEFAULT_METRIC)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Compare gocsp_bench with peer implementations, workload by workload.")
    p.add_argument("--gocsp", required=True, metavar="PATH", help="the gocsp_bench binary")
    p.add_argument("--peer", action="append", default=[], metavar="NAME=PATH",
                   help="a peer binary with the same interface (repeatable)")
    p.add_argument("--runs", type=int, default=3, help="rounds per workload (default 3)")
    p.add_argument("--n", action="append", default=[], metavar="WORKLOAD=N",
                   help="N to pass for WORKLOAD (repeatable); otherwise each binary's default")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds allowed for one run (default 600)")
    p.add_argument("--json", metavar="FILE", help="write all raw results to FILE")
    p.add_argument("workloads", nargs="*",
                   help="workloads to run (default: those every binary lists)")
    a = p.parse_args(argv)

    if a.runs < 1:
        p.error("--runs must be at least 1")
    if a.timeout <= 0:
        p.error("--timeout must be positive")

    impls = [("gocsp", a.gocsp)]
    for spec in a.peer:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            p.error("--peer wants NAME=PATH, got %r" % spec)
        if any(name == n for n, _ in impls):
            p.error("implementation name %r given twice" % name)
        impls.append((name, path))
    if len(impls) < 2:
        p.error("give at least one --peer NAME=PATH")

    ns = {}
    for spec in a.n:
        w, sep, n = spec.partition("=")
        if not sep or not w or not n.isdigit() or int(n) < 1:
            p.error("--n wants WORKLOAD=N with N a positive integer, got %r" % spec)
        ns[w] = int(n)
    a.impls = impls
    a.ns = ns
    return a


def list_workloads(path, timeout):
    """The workloads a binary lists, or None if `--list` fails."""
    try:
        cp = subprocess.run([path, "--list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    if cp.returncode != 0:
        return None
    names = [ln.strip() for ln in cp.stdout.splitlines() if ln.strip()]
    return names or None


def choose_workloads(impls, timeout):
    lists = {name: list_workloads(path, timeout) for name, path in impls}
    for name, names in lists.items():
        if names is None:
            print("note: %s --list failed; assuming it has gocsp's workloads" % name,
                  file=sys.stderr)
    base = lists["gocsp"]
    if base is None:
        # Fall back to the first peer that can list.
        base = next((l for l in lists.values() if l is not None), None)
    if base is None:
        sys.exit("compare.py: no binary answered --list; name the workloads to run")
    chosen = [w for w in base if all(l is None or w in l for l in lists.values())]
    if not chosen:
        sys.exit("compare.py: the binaries have no workload in common")
    return chosen


def tail(text, lines=5):
    return "\n".join(text.strip().splitlines()[-lines:])


def run_once(path, workload, n, timeout):
    """Run one binary once; returns a record with status 'ok' or 'n/a'."""
    cmd = [path, workload] + ([str(n)] if n is not None else [])
    rec = {"cmd": cmd, "status": "n/a", "reason": None, "returncode": None,
           "wall_s": None, "line": None, "fields": {}, "stdout": "", "stderr": ""}
    t0 = time.monotonic()
    try:
        cp = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        rec["wall_s"] = time.monotonic() - t0
        rec["reason"] = "timeout after %gs" % timeout
        rec["stdout"] = e.stdout if isinstance(e.stdout, str) else ""
        rec["stderr"] = e.stderr if isinstance(e.stderr, str) else ""
        return rec
    except OSError as e:
        rec["reason"] = "cannot run: %s" % e.strerror
        return rec
    rec["wall_s"] = time.monotonic() - t0
    rec["returncode"] = cp.returncode
    rec["stdout"], rec["stderr"] = cp.stdout, cp.stderr

    ours = [ln.strip() for ln in cp.stdout.splitlines()
            if ln.strip().split(" ", 1)[0] == workload]
    # A peer without this workload says so: "WORKLOAD skipped <reason>" (or a
    # token starting with "skipped" on its line, or a line starting "skipped").
    skipped = [ln for ln in ours if any(t.startswith("skipped") for t in ln.split()[1:])]
    skipped += [ln.strip() for ln in cp.stdout.splitlines()
                if ln.strip().lower().startswith("skipped")]
    if skipped:
        rec["reason"] = skipped[0]
        return rec
    if cp.returncode != 0:
        why = tail(cp.stderr, 1) or tail(cp.stdout, 1)
        rec["reason"] = "exit %d%s" % (cp.returncode, (": " + why) if why else "")
        return rec
    if not ours:
        rec["reason"] = "no result line"
        return rec

    rec["line"] = ours[-1]
    fields = {}
    for tok in ours[-1].split()[1:]:
        k, sep, v = tok.partition("=")
        if not sep:
            continue
        try:
            fields[k] = int(v)
        except ValueError:
            try:
                fields[k] = float(v)
            except ValueError:
                fields[k] = v
    rec["fields"] = fields
    field, _ = metric_for(workload)
    if not isinstance(fields.get(field), (int, float)):
        rec["reason"] = "no numeric %s in %r" % (field, ours[-1])
        return rec
    rec["status"] = "ok"
    return rec


def summarize(workload, runs):
    field, _ = metric_for(workload)
    vals = [r["fields"][field] for r in runs if r["status"] == "ok"]
    s = {"ok": len(vals), "runs": len(runs), "values": vals,
         "n": sorted({r["fields"].get("n") for r in runs if r["status"] == "ok"},
                     key=str)}
    if vals:
        s.update(median=statistics.median(vals), min=min(vals), max=max(vals))
    else:
        reasons = [r["reason"] for r in runs if r["reason"]]
        s["reason"] = reasons[0] if reasons else "no result"
    return s


def fmt_num(x):
    if x >= 1000:
        return "{:,.0f}".format(x)
    if x >= 100:
        return "%.1f" % x
    return "%.2f" % x


def fmt_cell(s):
    if "median" not in s:
        return "n/a (%s)" % s["reason"].replace("|", "\\|")
    cell = "%s (%s–%s)" % (fmt_num(s["median"]), fmt_num(s["min"]), fmt_num(s["max"]))
    if s["ok"] < s["runs"]:
        cell += " [%d/%d ok]" % (s["ok"], s["runs"])
    return cell


def main(argv):
    a = parse_args(argv)
    for name, path in a.impls:
        if not os.path.exists(path):
            print("warning: %s binary %s does not exist" % (name, path), file=sys.stderr)
    workloads = a.workloads or choose_workloads(a.impls, min(a.timeout, 60))
    peers = [name for name, _ in a.impls[1:]]

    raw = {}
    summary = {}
    for w in workloads:
        n = a.ns.get(w)
        raw[w] = {name: [] for name, _ in a.impls}
        for rnd in range(a.runs):
            for name, path in a.impls:
                rec = run_once(path, w, n, a.timeout)
                rec["round"] = rnd + 1
                raw[w][name].append(rec)
                shown = rec["line"] if rec["status"] == "ok" else "n/a: %s" % rec["reason"]
                print("[%s %d/%d] %s: %s" % (w, rnd + 1, a.runs, name, shown),
                      file=sys.stderr, flush=True)
        summary[w] = {name: summarize(w, raw[w][name]) for name, _ in a.impls}

    header = ["workload", "gocsp median (min–max)"]
    header += ["%s median (min–max)" % p for p in peers]
    header += ["%s/gocsp" % p for p in peers]
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    notes = []
    for w in workloads:
        s = summary[w]
        _, unit = metric_for(w)
        row = ["%s (%s)" % (w, unit), fmt_cell(s["gocsp"])]
        row += [fmt_cell(s[p]) for p in peers]
        for p in peers:
            if "median" in s["gocsp"] and "median" in s[p] and s["gocsp"]["median"] > 0:
                row.append("%.2f" % (s[p]["median"] / s["gocsp"]["median"]))
            else:
                row.append("n/a")
        out.append("| " + " | ".join(row) + " |")
        ns_seen = {name: tuple(s[name]["n"]) for name, _ in a.impls if s[name]["n"]}
        if len(set(ns_seen.values())) > 1:
            notes.append("%s: implementations ran different N (%s)" % (
                w, ", ".join("%s n=%s" % (k, "/".join(map(str, v))) for k, v in ns_seen.items())))
    print("\n".join(out))
    if notes:
        print()
        for note in notes:
            print("- note: " + note)
    print()
    print("Ratio > 1 means gocsp is faster (for parked: uses less memory; for timers: wakes "
          "closer to the deadline). "
          "%d run(s) each, alternated." % a.runs)

    if a.json:
        doc = {"argv": sys.argv, "runs": a.runs, "timeout_s": a.timeout,
               "implementations": dict(a.impls), "n": a.ns, "workloads": workloads,
               "summary": summary, "raw": raw}
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
