#!/usr/bin/env python3
"""Parity with Go: the article's programs run under Go 1.27.3's goroutineleak
profile (examples/go; GOTOOLCHAIN=go1.27.3 unless GOTOOLCHAIN is set; Go 1.26
is still accepted and then runs with GOEXPERIMENT=goroutineleakprofile) and
goro's C programs (build/examples) must agree on which functions leak, how
many goroutines, and with which wait reasons.

Function names are compared normalised: Go's `main.Gather.func1` and
`main.(*Worker).run` against C's `gather_func1` and `worker_run` (package,
pointer receivers, case and separators dropped).  Skips (exit 0, message)
when no Go >= 1.26 can be had.

    tests/parity/check_parity.py BUILD_DIR [SOURCE_DIR]
"""
import collections
import os
import re
import shutil
import subprocess
import sys

# (scenario, extra args for both sides); take_first runs both article cases.
CASES = [
    ("gather", []), ("range_over_chan", []), ("double_send", []),
    ("early_return", []), ("canceled", []), ("take_first", ["--items", "0"]),
    ("take_first", ["--items", "3"]), ("orphans", []),
]
# The article's Canceled leaks only when select picks ctx.Done first: both
# runtimes choose at random, so a run may (rarely) not leak. Retry those.
RACY = {"canceled"}
HEADER = re.compile(r"^goroutine \d+ \[(.+?) \(leaked\)")


GO_TOOLCHAIN = "go1.27.3"


def go_version(env):
    """(major, minor) of `go version` in env, or None."""
    try:
        out = subprocess.run(["go", "version"], capture_output=True, text=True,
                             env=env, timeout=300).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None, ""
    m = re.search(r"go(\d+)\.(\d+)", out)
    return ((int(m.group(1)), int(m.group(2))) if m else None), out.strip()


def go_env():
    """(environment for the go side, None) or (None, why not).  Go 1.27.3
    through GOTOOLCHAIN unless the caller chose one; the installed go if
    that toolchain cannot be fetched."""
    if not shutil.which("go"):
        return None, "go not on PATH"
    env = dict(os.environ, GOFLAGS="-mod=mod",
               GOTOOLCHAIN=os.environ.get("GOTOOLCHAIN") or GO_TOOLCHAIN)
    ver, out = go_version(env)
    if ver is None and env["GOTOOLCHAIN"] != "local":
        env["GOTOOLCHAIN"] = "local"
        ver, out = go_version(env)
    if ver is None or ver < (1, 26):
        return None, "needs Go >= 1.26, found: " + (out or "nothing")
    if ver < (1, 27):
        env["GOEXPERIMENT"] = "goroutineleakprofile"   # Go 1.26: experimental
    print("parity: " + out)
    return env, ""


def norm(func):
    func = re.sub(r"\([^()]*\)$", "", func.strip())   # the argument list
    func = re.sub(r"\(\*?(\w+)\)", r"\1", func)      # (*Worker).run -> Worker.run
    func = re.sub(r"^main\.", "", func)
    return re.sub(r"[^a-z0-9]", "", func.lower())


def leaks(text):
    """Counter of (function, reason) for the '(leaked)' blocks in text."""
    found = collections.Counter()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = HEADER.match(line)
        if m and i + 1 < len(lines):
            found[(norm(lines[i + 1].strip()), m.group(1))] += 1
    return found


def run(cmd, env=None, cwd=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    return p.stdout + p.stderr


def go_flags(args):
    return ["-items", args[1]] if args[:1] == ["--items"] else []


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    src = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else ".")
    env, why = go_env()
    if env is None:
        print("parity: skipped (%s)" % why)
        return 0
    # One directory per toolchain: a binary built by another Go is not reused.
    gobin = os.path.join(build, "parity-go", go_version(env)[1].split()[2])
    os.makedirs(gobin, exist_ok=True)
    failures = 0
    for name, args in CASES:
        exe = os.path.join(gobin, name)
        if not os.path.exists(exe):
            out = run(["go", "build", "-o", exe, "./" + name], env=env,
                      cwd=os.path.join(src, "examples", "go"))
            if not os.path.exists(exe):
                print("FAIL %s: go build failed:\n%s" % (name, out))
                failures += 1
                continue
        for fixed in (False, True):
            tries = 10 if name in RACY and not fixed else 1
            for _ in range(tries):
                g = leaks(run([exe] + go_flags(args) + (["-fixed"] if fixed else []), env=env))
                c = leaks(run([os.path.join(build, "examples", name)] + args +
                              (["--fixed"] if fixed else [])))
                if g == c and (fixed or g):
                    break
            label = "%s%s%s" % (name, " " + " ".join(args) if args else "",
                                " --fixed" if fixed else "")
            if g == c:
                print("ok   %-28s %s" % (label, dict(c) or "no leaks"))
            else:
                print("FAIL %-28s Go %s, goro %s" % (label, dict(g), dict(c)))
                failures += 1
    print("%d passed, %d failed" % (2 * len(CASES) - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
