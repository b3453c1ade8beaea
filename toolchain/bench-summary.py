#!/usr/bin/env python3
"""Summarises a ../shared/bench run.sh JSON file (make bench): for each runtime other than
native and the reference, its ratio to the reference per program and the geometric mean
over the compute programs (hello and bigmodule are start-up costs, listed apart), plus
peak RSS in timing mode. Works for both modes: CPU-time medians, or executed
instructions (ICOUNT=1, deterministic)."""
import json
import math
import sys

STARTUP = ("hello", "bigmodule")


def main(path):
    data = json.load(open(path))
    names = list(data["runtimes"])
    ref = next((n for n in names if n.startswith("ref-")), None)
    if ref is None:
        print("bench-summary: no reference runtime in the run")
        return 0
    icount = "icount" in data
    table = data["icount"] if icount else data["summary"]

    def cost(bench, name):
        entry = table[bench][name]
        return entry["insns"] if icount else entry["median_cpu"]

    metric = "executed instructions" if icount else "CPU time (median)"
    bad = 0
    for name in names:
        if name in ("native", ref):
            continue
        ratios = []
        print(f"{name}: {metric} x {ref}")
        for bench in data["benches"]:
            mine, theirs = cost(bench, name), cost(bench, ref)
            if not mine or not theirs:
                print(f"  {bench:12s}       -")
                bad += 1
                continue
            ratio = mine / theirs
            line = f"  {bench:12s} {ratio:7.3f}"
            if not icount:
                line += f"   RSS {table[bench][name]['max_rss_kb'] / 1024:5.1f} MiB" \
                        f" ({ref} {table[bench][ref]['max_rss_kb'] / 1024:5.1f})"
            print(line)
            if bench not in STARTUP:
                ratios.append(ratio)
        if ratios:
            mean = math.exp(sum(map(math.log, ratios)) / len(ratios))
            print(f"  geometric mean over {len(ratios)} compute programs: {mean:.3f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
