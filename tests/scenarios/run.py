#!/usr/bin/env python3
"""The article's scenarios called straight from main (direct.c), built the
way users build: gcc and clang, -O0 to -O3 (gcc also with -fwhole-program,
which inlines every scenario into main), leaky and fixed versions.  Each
leaky program must report exactly the article's leaked goroutines (start
function and wait reason), each fixed one nothing.

    run.py BUILD_DIR SOURCE_DIR

Runs at GORO_MAXPROCS=1: Canceled's child races its parent's select at
two workers (if the child blocks first, the select may take its value and
nothing leaks -- a different program run, not a detector miss).
"""
import os
import shutil
import subprocess
import sys
import tempfile

# scenario -> (leaked count, start function, wait reason)
EXPECTED = {
    "GATHER": (3, "gather_func1", "chan send"),
    "RANGE_OVER_CHAN": (2, "range_over_chan_func1", "chan receive"),
    "DOUBLE_SEND": (1, "double_send_func1", "chan send"),
    "EARLY_RETURN": (1, "early_return_func1", "chan send"),
    "CANCELED": (1, "canceled_func1", "chan send"),
    "TAKE_FIRST": (2, "take_first_func1", "chan send"),
    "TAKE_FIRST_NIL": (1, "take_first", "chan receive"),
    "ORPHANS": (2, "worker_run", "select"),
}


def flag_sets():
    sets = []
    for cc in ("gcc", "clang"):
        if not shutil.which(cc):
            print("skip: %s not installed" % cc)
            continue
        for opt in ("-O0", "-O1", "-O2", "-O3"):
            sets.append((cc, [opt]))
        if cc == "gcc":
            sets += [(cc, ["-O2", "-fwhole-program"]), (cc, ["-O3", "-fwhole-program"])]
    return sets


def libs():
    out = subprocess.run(["pkg-config", "--libs", "libunwind", "libdw", "capstone", "zlib"],
                         capture_output=True, text=True, check=True).stdout.split()
    return out + ["-lpthread", "-ldl"]


def check(build, src, cc, flags, scenario, fixed, tmp):
    exe = os.path.join(tmp, "direct")
    cmd = [cc] + flags + ["-g", "-w", "-DSCENARIO_" + scenario,
                          "-I" + os.path.join(src, "include"), "-I" + os.path.join(src, "examples"),
                          os.path.join(src, "tests", "scenarios", "direct.c"),
                          os.path.join(build, "libgoro.a")] + libs() + ["-o", exe]
    if fixed:
        cmd.insert(1, "-DFIXED")
    subprocess.run(cmd, check=True)
    env = dict(os.environ, GORO_MAXPROCS="1")
    p = subprocess.run([exe], capture_output=True, text=True, env=env, timeout=60)
    lines = p.stdout.splitlines()
    leaks = [l.split(" ", 2)[1:] for l in lines if l.startswith("leak ")]
    want_n, want_fn, want_reason = EXPECTED[scenario]
    if fixed:
        ok = p.returncode == 0 and lines[-1:] == ["leaked 0"]
    else:
        ok = (p.returncode == 0 and lines[-1:] == ["leaked %d" % want_n] and
              all(fn == want_fn and reason == want_reason for fn, reason in leaks) and
              len(leaks) == want_n)
    if not ok:
        print("FAIL %s %s %s %s: exit %d\n%s%s" % (cc, " ".join(flags), scenario,
              "fixed" if fixed else "leaky", p.returncode, p.stdout, p.stderr))
    return ok


def main():
    build, src = sys.argv[1], sys.argv[2]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for cc, flags in flag_sets():
            row = []
            for scenario in EXPECTED:
                for fixed in (False, True):
                    ok = check(build, src, cc, flags, scenario, fixed, tmp)
                    passed += ok
                    failed += not ok
                    row.append("." if ok else "F")
            print("%-6s %-20s %s" % (cc, " ".join(flags), "".join(row)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
