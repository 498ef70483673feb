#!/usr/bin/env python3
"""check_recipe.py FRAMEWORK PROGRAM — runs a test-framework recipe of
examples/testing/ and checks what a user relies on: the leaking test and the
deadlocked bubble FAIL (with goro's report in the output), the clean test
and the test after them PASS, and all four ran (the runner went on).

FRAMEWORK: criterion, cmocka or gtest.
"""
import os
import re
import subprocess
import sys

EXPECT = {"leaking_test": False, "deadlocked_bubble": False,
          "clean_test": True, "later_test": True}
# What each failure must show: goleak's text, synctest's panic.
REPORTS = ["found unexpected goroutines",
           "deadlock: main bubble goroutine has exited but blocked goroutines remain"]


def results(framework, out):
    """{test name: passed} parsed from the framework's own output."""
    found = {}
    if framework == "criterion":       # --tap: "ok 1 - recipe::clean_test ..."
        pat = r"^(ok|not ok)(?: \d+)? - recipe::(\w+)"
    elif framework == "cmocka":        # "[       OK ] clean_test"
        pat = r"^\[\s*(OK|FAILED|ERROR)\s*\] (\w+)$"
    else:                              # "[       OK ] GoroTest.clean_test (0 ms)"
        pat = r"^\[\s*(OK|FAILED)\s*\] GoroTest\.(\w+) \("
    for m in re.finditer(pat, out, re.M):
        found[m.group(2)] = m.group(1) in ("ok", "OK")
    return found


def main():
    framework, program = sys.argv[1], sys.argv[2]
    cmd = [program]
    env = dict(os.environ)
    if framework == "criterion":
        cmd += ["--tap", "--jobs", "1"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    out = p.stdout + p.stderr
    got = results(framework, out)
    bad = []
    for name, want in EXPECT.items():
        if name not in got:
            bad.append("%s did not run (or its result was not printed)" % name)
        elif got[name] != want:
            bad.append("%s %s, want %s" % (name, "passed" if got[name] else "failed",
                                           "pass" if want else "fail"))
    for r in REPORTS:
        if r not in out:
            bad.append("the output lacks goro's report (%r)" % r)
    if p.returncode == 0:
        bad.append("the runner exited 0 although two tests failed")
    if bad:
        print(out)
        for b in bad:
            print("FAIL %s: %s" % (framework, b))
        return 1
    print("ok   %s: %s" % (framework, ", ".join(
        "%s %s" % (n, "passed" if got[n] else "failed") for n in EXPECT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
