#!/usr/bin/env python3
"""check_buildid.py PROGRAM — every mapping of a profile carries its
object's GNU build id, the main program's included when its text segment is
smaller than a page (mappings.c once probed the middle of the page, past
the segment).  Reads the profile with `go tool pprof -raw`; skips without
go."""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    return m.group(1) if m else None


def main():
    prog = os.path.abspath(sys.argv[1])
    if not shutil.which("go"):
        print("skipped: go not on PATH")
        return 0
    with tempfile.TemporaryDirectory() as d:
        prof = os.path.join(d, "goroutine.pb.gz")
        subprocess.run([prog, prof], check=True)
        env = dict(os.environ, GOTOOLCHAIN=os.environ.get("GOTOOLCHAIN") or "go1.27.3")
        raw = subprocess.run(["go", "tool", "pprof", "-raw", prof], capture_output=True,
                             text=True, env=env).stdout
    maps = re.findall(r"^\d+: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ (\S+) ?(\S*) \[", raw, re.M)
    if not maps:
        print("FAIL: no mappings in:\n" + raw)
        return 1
    bad = 0
    for path, bid in maps:
        want = build_id(path)
        if want and bid != want:
            print("FAIL %s: build id %r, want %s" % (path, bid, want))
            bad += 1
    if not any(os.path.realpath(p) == os.path.realpath(prog) for p, _ in maps):
        print("FAIL: the main program has no mapping:\n" + raw)
        bad += 1
    print("%d mappings, %d wrong" % (len(maps), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
