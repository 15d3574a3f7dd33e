#!/usr/bin/env python3
"""Run gocsp_bench and peer implementations of the same workloads side by side.

Each binary takes `WORKLOAD [N]`, prints one line
`WORKLOAD n=N total_ms=X ns_per_op=Y [key=value ...]` and understands `--list`.
For every workload the implementations are run alternately (gocsp, peer1, ...,
gocsp, peer1, ... for --runs rounds) so that machine drift hits all of them
alike. The result is a Markdown table of medians (min-max) and of the ratio
peer/gocsp (> 1 means gocsp is faster, or leaner for `parked`, which compares
bytes_per_goroutine instead of ns_per_op, or more punctual for `timers`, which compares
median_late_us, or stalls less for `burst`, which compares worst_rtt_us, or stops sooner
for `cancel`, which compares p99_us).

Sweeps: --sweep-n 1000,10000 runs every workload at each N; --workers 1,2,4 runs every
workload with GOCSP_MAXPROCS, GOMAXPROCS and FIBER_THREADS set to each count in turn.
--n IMPL:WORKLOAD=N gives one implementation its own N (OS threads cannot do everything at
gocsp's N; per-operation figures compare across N).

Report mode turns the --json files of several runs into a Markdown page with PNG plots:
  python3 benchmarks/compare.py report --out docs/benchmarks.md --plots docs/benchmarks \
      --build-dir build --command "bash benchmarks/run.sh" main.json spawn.json ...

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

# Workloads whose per-operation figure depends on N: no ratio across different N.
NONLINEAR = {"sieve"}

# Workloads compared on a metric other than ns_per_op: name -> (field, unit).
METRICS = {"parked": ("bytes_per_goroutine", "bytes/goroutine"),
           "timers": ("median_late_us", "us late, median"),
           "burst": ("worst_rtt_us", "us, worst round trip"),
           "cancel": ("p99_us", "us from cancel() to the call's return, p99")}
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
    p.add_argument("--n", action="append", default=[], metavar="[IMPL:]WORKLOAD=N",
                   help="N to pass for WORKLOAD, to every implementation or only to IMPL "
                        "(repeatable); otherwise each binary's default")
    p.add_argument("--sweep-n", metavar="N1,N2,...",
                   help="run every workload at each of these N (overrides --n)")
    p.add_argument("--workers", metavar="W1,W2,...",
                   help="run every workload with GOCSP_MAXPROCS=GOMAXPROCS=FIBER_THREADS=W for each W")
    p.add_argument("--title", help="a title for this run, used by report mode")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds allowed for one run (default 600)")
    p.add_argument("--json", metavar="FILE", help="write all raw results to FILE")
    p.add_argument("--exclude", action="append", default=[], metavar="WORKLOAD",
                   help="leave WORKLOAD out when running the workloads the binaries list "
                        "(repeatable)")
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
        impl, colon, w = w.rpartition(":")
        if not sep or not w or not n.isdigit() or int(n) < 1 or (colon and not impl):
            p.error("--n wants [IMPL:]WORKLOAD=N with N a positive integer, got %r" % spec)
        ns[(impl or None, w)] = int(n)
    a.impls = impls
    a.ns = ns

    def int_list(opt, text):
        try:
            vals = [int(v) for v in text.split(",")]
        except ValueError:
            vals = []
        if not vals or min(vals) < 1:
            p.error("%s wants positive integers separated by commas, got %r" % (opt, text))
        return vals
    a.sweep_n = int_list("--sweep-n", a.sweep_n) if a.sweep_n else None
    a.workers = int_list("--workers", a.workers) if a.workers else None
    if a.sweep_n and a.workers:
        p.error("--sweep-n and --workers cannot be combined")
    return a


WORKER_VARS = ("GOCSP_MAXPROCS", "GOMAXPROCS", "FIBER_THREADS")


def n_for(ns, impl, workload):
    """The N to pass to impl for workload: its own, else the common one, else None."""
    return ns.get((impl, workload), ns.get((None, workload)))


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
    peers = [l for name, l in lists.items() if name != "gocsp"]
    chosen = [w for w in base if any(l is None or w in l for l in peers)]
    if not chosen:
        sys.exit("compare.py: the binaries have no workload in common")
    return chosen, lists


def tail(text, lines=5):
    return "\n".join(text.strip().splitlines()[-lines:])


def run_once(path, workload, n, timeout, env=None):
    """Run one binary once; returns a record with status 'ok' or 'n/a'."""
    cmd = [path, workload] + ([str(n)] if n is not None else [])
    rec = {"cmd": cmd, "status": "n/a", "reason": None, "returncode": None,
           "wall_s": None, "line": None, "fields": {}, "stdout": "", "stderr": ""}
    t0 = time.monotonic()
    try:
        cp = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=timeout,
                            env=dict(os.environ, **env) if env else None)
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
        rec["reason"] = skipped[0][skipped[0].find("skipped"):]
        return rec
    if cp.returncode != 0:
        # A panic (gocsp's or Go's) names its cause on its first line; the rest is a dump.
        panics = [ln.strip() for ln in cp.stderr.splitlines() if ln.startswith("panic: ")]
        why = panics[0] if panics else (tail(cp.stderr, 1) or tail(cp.stdout, 1))
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


def make_cases(a, workloads):
    """What to run: (label, workload, {impl: N or None}, env or None) in order."""
    cases = []
    for w in workloads:
        if a.sweep_n:
            for n in a.sweep_n:
                cases.append(("%s n=%d" % (w, n), w, {name: n for name, _ in a.impls}, None, n))
        elif a.workers:
            for k in a.workers:
                env = {v: str(k) for v in WORKER_VARS}
                cases.append(("%s workers=%d" % (w, k), w,
                              {name: n_for(a.ns, name, w) for name, _ in a.impls}, env, k))
        else:
            cases.append((w, w, {name: n_for(a.ns, name, w) for name, _ in a.impls}, None, None))
    return cases


def ratio(s, peer):
    """peer median / gocsp median, or None."""
    g, o = s["gocsp"], s[peer]
    if "median" in g and "median" in o and g["median"] > 0:
        return o["median"] / g["median"]
    return None


def markdown_table(cases, impls, summary, first="workload"):
    """The Markdown table of medians (min-max) and ratios for the given case labels."""
    peers = [name for name in impls if name != "gocsp"]
    header = [first, "gocsp median (min–max)"]
    header += ["%s median (min–max)" % p for p in peers]
    header += ["%s/gocsp" % p for p in peers]
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    notes = []
    for label, w in cases:
        s = summary[label]
        _, unit = metric_for(w)
        row = ["%s (%s)" % (label, unit), fmt_cell(s["gocsp"])]
        row += [fmt_cell(s[p]) for p in peers]
        ns_seen = {name: tuple(s[name]["n"]) for name in impls if s[name]["n"]}
        for p in peers:
            r = ratio(s, p)
            if w in NONLINEAR and ns_seen.get(p) != ns_seen.get("gocsp"):
                r = None
            row.append("n/a" if r is None else "%.2f" % r)
        out.append("| " + " | ".join(row) + " |")
        if len(set(ns_seen.values())) > 1:
            notes.append("%s: implementations ran different N (%s)" % (
                label, ", ".join("%s n=%s" % (k, "/".join(map(str, v)))
                                 for k, v in ns_seen.items())))
    return out, notes


def main(argv):
    if argv and argv[0] == "report":
        return report(argv[1:])
    a = parse_args(argv)
    for name, path in a.impls:
        if not os.path.exists(path):
            print("warning: %s binary %s does not exist" % (name, path), file=sys.stderr)
    lists = {}
    if a.workloads:
        workloads = a.workloads
    else:
        workloads, lists = choose_workloads(a.impls, min(a.timeout, 60))
        workloads = [w for w in workloads if w not in a.exclude]
    cases = make_cases(a, workloads)

    raw = {}
    summary = {}
    gave_up = {}  # (impl, workload) -> why: a timeout is not tried again at the same or larger N
    started = time.monotonic()
    started_utc = time.time()
    load_at_start = os.getloadavg()
    commit = command_output(["git", "-C", os.path.dirname(os.path.abspath(__file__)),
                             "describe", "--always", "--dirty=+changes"])
    for label, w, ns, env, _ in cases:
        raw[label] = {name: [] for name, _ in a.impls}
        for rnd in range(a.runs):
            for name, path in a.impls:
                if lists.get(name) is not None and w not in lists[name]:
                    rec = {"status": "n/a", "reason": "not implemented", "fields": {},
                           "line": None}
                elif (name, w) in gave_up:
                    rec = {"status": "n/a", "reason": gave_up[(name, w)], "fields": {},
                           "line": None}
                else:
                    rec = run_once(path, w, ns[name], a.timeout, env)
                    if (rec["reason"] or "").startswith("timeout") and not a.workers:
                        gave_up[(name, w)] = "not run: %s at n=%s" % (rec["reason"], ns[name])
                rec["round"] = rnd + 1
                raw[label][name].append(rec)
                shown = rec["line"] if rec["status"] == "ok" else "n/a: %s" % rec["reason"]
                print("[%s %d/%d] %s: %s" % (label, rnd + 1, a.runs, name, shown),
                      file=sys.stderr, flush=True)
        summary[label] = {name: summarize(w, raw[label][name]) for name, _ in a.impls}
    elapsed = time.monotonic() - started

    out, notes = markdown_table([(c[0], c[1]) for c in cases], [n for n, _ in a.impls], summary)
    print("\n".join(out))
    if notes:
        print()
        for note in notes:
            print("- note: " + note)
    print()
    print("Ratio > 1 means gocsp is faster (for parked: uses less memory; for timers: wakes "
          "closer to the deadline; for burst: a shorter worst round trip; for cancel: returns "
          "sooner after cancel()). "
          "%d run(s) each, alternated." % a.runs)

    if a.json:
        doc = {"argv": sys.argv, "title": a.title, "runs": a.runs, "timeout_s": a.timeout,
               "elapsed_s": elapsed, "implementations": dict(a.impls),
               "loadavg_start": load_at_start, "commit": commit, "started_utc": started_utc,
               "n": {"%s:%s" % (i or "*", w): n for (i, w), n in a.ns.items()},
               "sweep": "n" if a.sweep_n else "workers" if a.workers else None,
               "workloads": workloads,
               "cases": [{"label": c[0], "workload": c[1], "x": c[4]} for c in cases],
               "summary": summary, "raw": raw}
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return 0


# --------------------------------------------------------------------------------------------
# Report mode: Markdown page and plots from the JSON of one or more runs.

IMPL_TITLES = {"gocsp": "gocsp", "go": "Go", "fiber": "Boost.Fiber", "thread": "std::thread"}
IMPL_COLORS = {"gocsp": "#1f77b4", "go": "#2ca02c", "fiber": "#ff7f0e", "thread": "#d62728"}


def command_output(cmd):
    try:
        cp = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=30)
        return cp.stdout.strip() if cp.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def cmake_cache(build_dir):
    cache = {}
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                k, sep, v = line.strip().partition("=")
                if sep and not line.startswith(("#", "//")):
                    cache[k.split(":")[0]] = v
    except OSError:
        pass
    return cache


def machine_facts(build_dir, docs):
    """(name, value) pairs describing where and with what the benchmarks ran (docs: the runs'
    JSON documents, for what they recorded when they started)."""
    facts = []
    first = docs[0][1] if docs else {}
    if first.get("commit"):
        facts.append(("gocsp commit", "`%s` (`git describe`; +changes: uncommitted changes)"
                      % first["commit"]))
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    facts.append(("CPU", "%s, %d cores visible (`nproc`)" % (cpu or "unknown", os.cpu_count() or 0)))
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        facts.append(("memory", "%.1f GiB" % (kb / 1048576.0)))
    except (OSError, ValueError, IndexError):
        pass
    u = os.uname()
    facts.append(("kernel", "%s %s (%s)" % (u.sysname, u.release, u.machine)))
    osname = None
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    if osname:
        facts.append(("system", osname))
    cache = cmake_cache(build_dir)
    cxx = cache.get("CMAKE_CXX_COMPILER", "c++")
    version = command_output([cxx, "--version"])
    facts.append(("compiler", "`%s`: %s" % (cxx, version.splitlines()[0] if version else "unknown")))
    flags = " ".join(x for x in (cache.get("CMAKE_CXX_FLAGS", ""),
                                 cache.get("CMAKE_CXX_FLAGS_RELEASE", "")) if x)
    facts.append(("flags", "`%s -std=c++20` (CMake %s build)" % (
        flags, cache.get("CMAKE_BUILD_TYPE", "?"))))
    gov = command_output(["go", "version"])
    facts.append(("Go", gov or "not installed"))
    boost = None
    try:
        with open("/usr/include/boost/version.hpp") as f:
            for line in f:
                if line.startswith("#define BOOST_LIB_VERSION"):
                    boost = line.split()[2].strip('"').replace("_", ".")
    except OSError:
        pass
    facts.append(("Boost (Context, Fiber)", boost or "unknown"))
    if first.get("loadavg_start"):
        load = tuple(first["loadavg_start"])
        note = ""
        if load[0] > 2 * (os.cpu_count() or 1):
            note = (" - high figures right after an earlier run of this suite are that run's "
                    "std::thread runners (up to 20,000 threads), which Linux's "
                    "load average counts for minutes after they end")
        facts.append(("load average when the runs started",
                      "%.2f %.2f %.2f (1, 5, 15 min)%s" % (load + (note,))))
    starts = [d["started_utc"] for _, d in docs if d.get("started_utc")]
    if starts:
        facts.append(("date of the runs", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(min(starts)))))
    return facts


def ratio_plot(doc, path):
    """A bar chart of peer/gocsp per workload (log scale when the ratios span a wide range)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    peers = [p for p in doc["implementations"] if p != "gocsp"]
    labels = [c["label"] for c in doc["cases"]]
    fig, ax = plt.subplots(figsize=(max(8, 0.75 * len(labels) + 2), 4.8))
    width = 0.8 / max(1, len(peers))
    all_r = []
    for i, p in enumerate(peers):
        xs, ys = [], []
        for k, label in enumerate(labels):
            r = ratio(doc["summary"][label], p)
            if r is not None and r > 0:
                xs.append(k + (i - (len(peers) - 1) / 2) * width)
                ys.append(r)
        all_r += ys
        ax.bar(xs, ys, width, label="%s / gocsp" % IMPL_TITLES.get(p, p),
               color=IMPL_COLORS.get(p))
    ax.axhline(1.0, color="black", linewidth=0.8)
    if all_r and max(all_r) / max(min(all_r), 1e-9) > 20:
        ax.set_yscale("log")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=35, ha="right")
    ax.set_ylabel("peer time / gocsp time (> 1: gocsp ahead)")
    ax.set_title(doc.get("title") or "ratio to gocsp")
    ax.legend()
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sweep_plot(doc, workload, path, xlabel):
    """Median metric against the swept N or worker count, one line per implementation."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cases = [c for c in doc["cases"] if c["workload"] == workload]
    _, unit = metric_for(workload)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    values = []
    for impl in doc["implementations"]:
        pts = [(c["x"], doc["summary"][c["label"]][impl]) for c in cases]
        pts = [(x, s) for x, s in pts if "median" in s]
        if not pts:
            continue
        xs = [x for x, _ in pts]
        ys = [s["median"] for _, s in pts]
        lo = [s["median"] - s["min"] for _, s in pts]
        hi = [s["max"] - s["median"] for _, s in pts]
        values += ys
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3,
                    label=IMPL_TITLES.get(impl, impl), color=IMPL_COLORS.get(impl))
    if doc["sweep"] == "n" or max(c["x"] for c in cases) / min(c["x"] for c in cases) >= 8:
        ax.set_xscale("log", base=10 if doc["sweep"] == "n" else 2)
    if values and min(values) > 0 and max(values) / min(values) > 20:
        ax.set_yscale("log")
    ax.set_xticks(sorted({c["x"] for c in cases}))
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(unit)
    ax.set_title(workload)
    ax.grid(which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# How the verdict says that gocsp trails Go, by metric.
BEHIND = {"parked": "uses more memory per goroutine than",
          "timers": "wakes later after a deadline than",
          "burst": "has a longer worst round trip right after a burst than",
          "cancel": "takes longer from cancel() to the call's return than"}


def read_sections(path):
    """The `## NAME` sections of a Markdown file: {NAME: [lines]} (blank edges trimmed)."""
    sections, name = {}, None
    with open(path) as f:
        for line in f.read().splitlines():
            if line.startswith("## "):
                name = line[3:].strip()
                sections[name] = []
            elif name is not None:
                sections[name].append(line)
    for lines in sections.values():
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
    return sections


def report_args(argv):
    p = argparse.ArgumentParser(prog="compare.py report",
                                description="Markdown page and PNG plots from compare.py --json files.")
    p.add_argument("--out", required=True, help="the Markdown file to write")
    p.add_argument("--plots", required=True, help="directory for the PNG files")
    p.add_argument("--build-dir", default="build", help="the build tree (compiler and flags)")
    p.add_argument("--command", default="bash benchmarks/run.sh",
                   help="the command that reproduces the page")
    p.add_argument("--intro", help="a Markdown file with text to put under the title")
    p.add_argument("--gaps", help="a Markdown file with a `## WORKLOAD` section per known gap: "
                   "why gocsp trails Go there and what would fix it; a section is shown "
                   "under the verdict when that workload trails Go in this run")
    p.add_argument("json", nargs="+", help="JSON files written by compare.py --json")
    return p.parse_args(argv)


def report(argv):
    a = report_args(argv)
    docs = []
    for path in a.json:
        with open(path) as f:
            doc = json.load(f)
        # Older documents lack the start time: the file was written when that run ended.
        doc.setdefault("started_utc", os.path.getmtime(path) - (doc.get("elapsed_s") or 0))
        docs.append((os.path.splitext(os.path.basename(path))[0], doc))
    os.makedirs(a.plots, exist_ok=True)
    rel = os.path.relpath(a.plots, os.path.dirname(os.path.abspath(a.out)))
    total_s = sum(d.get("elapsed_s") or 0 for _, d in docs)
    gaps = read_sections(a.gaps) if a.gaps else {}

    md = ["# gocsp benchmarks", ""]
    md += ["gocsp against Go, Boost.Fiber and std::thread on the same workloads, run side by side "
           "(each workload alternates between the implementations, round after round, so that "
           "drift on the machine hits all of them alike). Figures are medians with the min–max "
           "of the runs; a ratio is the peer's median divided by gocsp's from the same run: "
           "**above 1 means gocsp is ahead** (faster; for `parked`, less memory per goroutine; "
           "for `timers`, wakes closer to the deadline; for `burst`, a shorter worst round "
           "trip; for `cancel`, a call returns sooner after cancel()).", ""]
    if a.intro:
        with open(a.intro) as f:
            md += [f.read().rstrip(), ""]

    md += ["## Machine and build", "", "| | |", "| --- | --- |"]
    md += ["| %s | %s |" % (k, v) for k, v in machine_facts(a.build_dir, docs)]
    md += ["", "Reproduce with `%s` from the repository root (it took %.0f minutes of "
           "benchmark runs here)." % (a.command, total_s / 60.0), ""]

    verdicts = []
    explained = set()
    for stem, doc in docs:
        impls = list(doc["implementations"])
        title = doc.get("title") or stem
        md += ["## " + title, ""]
        if doc.get("sweep") is None:
            cases = [(c["label"], c["workload"]) for c in doc["cases"]]
            table, notes = markdown_table(cases, impls, doc["summary"])
            md += table + [""]
            md += ["- " + n for n in notes]
            if notes:
                md.append("")
            png = stem + "-ratios.png"
            ratio_plot(doc, os.path.join(a.plots, png))
            md += ["![%s: peer/gocsp ratios](%s/%s)" % (title, rel, png), ""]
            for label, w in cases:
                s = doc["summary"][label]
                if "thread" in s and w in ("pingpong", "spawn"):
                    r = ratio(s, "thread")
                    if r is not None:
                        verdicts.append("- %s: gocsp is %.0fx faster than std::thread (target: "
                                        "at least 100x)%s." % (label, r, "" if r >= 100 else
                                                               " - **below the target**"))
        else:
            xlabel = "N" if doc["sweep"] == "n" else \
                "worker threads (GOCSP_MAXPROCS / GOMAXPROCS / FIBER_THREADS)"
            for w in doc["workloads"]:
                cases = [(c["label"], c["workload"]) for c in doc["cases"] if c["workload"] == w]
                table, notes = markdown_table(cases, impls, doc["summary"], first="case")
                png = "%s-%s.png" % (stem, w)
                sweep_plot(doc, w, os.path.join(a.plots, png), xlabel)
                md += ["### %s" % w, "", "![%s](%s/%s)" % (w, rel, png), ""] + table + [""]
                md += ["- " + n for n in notes]
                if notes:
                    md.append("")
        # Every case (main table and sweeps) where gocsp trails Go, with the reason once per
        # workload.
        behind = {}
        for c in doc["cases"]:
            label, w = c["label"], c["workload"]
            r = ratio(doc["summary"][label], "go") if "go" in doc["summary"][label] else None
            if r is not None and r < 1.0:
                behind.setdefault(w, []).append((label, r))
        for w, points in behind.items():
            verdicts.append("- **%s** (%s): gocsp %s Go; Go's median over gocsp's (%s): %s." % (
                ", ".join(label for label, _ in points), title, BEHIND.get(w, "is slower than"),
                metric_for(w)[1], ", ".join("%.2f" % r for _, r in points)))
            if w in gaps and w not in explained:
                explained.add(w)
                verdicts.append("")
                verdicts += ["  " + line if line else "" for line in gaps[w]]
                verdicts.append("")
        md.append("%d run(s) per implementation and case; %.0f s of runs." % (
            doc["runs"], doc.get("elapsed_s") or 0))
        md.append("")

    if not any(v.startswith("- **") for v in verdicts):
        verdicts.insert(0, "- gocsp is at or below Go's figure on every workload and every point of the sweeps.")
    at = md.index("## Machine and build")
    md[at:at] = ["## Verdict", ""] + verdicts + [""]
    with open(a.out, "w") as f:
        f.write("\n".join(md).rstrip() + "\n")
    print("wrote %s and %d plot(s) in %s" % (a.out, len(os.listdir(a.plots)), a.plots))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
