#!/usr/bin/env python3
"""check_api_docs.py — fails when docs/api.md leaves out part of the public API.

The public API is what include/goro.h, include/goro_net.h and
include/goro_cxx.h declare:

  functions   every GORO_API declaration (goro_go_, goro_chan_make, ...)
  macros      every #define except the include guards (goro_go, GORO_SECOND, ...)
  constants   every enumerator (GORO_OK, GORO_CASE_RECV, ...)
  types       every typedef name and struct/enum tag (goro_chan, goro_case, ...)

A symbol counts as documented when docs/api.md names it as a whole word
(`goro_go` is not satisfied by `goro_go_`).  The script has no
dependencies beyond Python 3's standard library, so CTest can run it
without Criterion:

    python3 scripts/check_api_docs.py            # exit 0: all documented
    python3 scripts/check_api_docs.py --list     # print what it checks
    python3 scripts/check_api_docs.py --root DIR # another checkout

Exit status: 0 when every symbol is named, 1 when some are missing (they
are listed on stderr), 2 when a header or the document cannot be read.
"""

import argparse
import os
import re
import sys

HEADERS = ("include/goro.h", "include/goro_net.h", "include/goro_cxx.h")
DOC = "docs/api.md"

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments(text):
    """Removes /* */ and // comments, keeping line structure (for guards)."""
    def blank(m):
        return "".join("\n" if c == "\n" else " " for c in m.group(0))
    text = re.sub(r"/\*.*?\*/", blank, text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def include_guards(text):
    """Names tested by `#ifndef X` right before `#define X`."""
    return set(re.findall(r"#\s*ifndef\s+(" + IDENT + r")\s*\n\s*#\s*define\s+\1\b", text))


def functions(text):
    """Names declared by GORO_API declarations (the identifier before '(')."""
    names = []
    # Not the macro's own definition (#define GORO_API __attribute__...).
    text = re.sub(r"^\s*#[^\n]*", "", text, flags=re.M)
    # A declaration runs from GORO_API to the first '(' of its parameter list.
    for m in re.finditer(r"\bGORO_API\b([^;{(]*?)\b(" + IDENT + r")\s*\(", text):
        names.append(m.group(2))
    return names


def macros(text, guards):
    names = re.findall(r"^\s*#\s*define\s+(" + IDENT + r")", text, flags=re.M)
    return [n for n in names if n not in guards]


def enum_constants(text):
    names = []
    for body in re.findall(r"\benum\b\s*(?:" + IDENT + r")?\s*\{(.*?)\}", text, flags=re.S):
        for item in body.split(","):
            m = re.match(r"\s*(" + IDENT + r")", item)
            if m:
                names.append(m.group(1))
    return names


def types(text):
    names = set()
    # typedef ... name;   and   typedef ret (*name)(...);
    for m in re.finditer(r"\btypedef\b(.*?);", text, flags=re.S):
        decl = m.group(1)
        fp = re.search(r"\(\s*\*\s*(" + IDENT + r")\s*\)", decl)
        if fp:
            names.add(fp.group(1))
            continue
        decl = re.sub(r"\{.*\}", " ", decl, flags=re.S)
        last = re.findall(IDENT, decl)
        if last:
            names.add(last[-1])
    # struct / enum tags of the API's own names
    for tag in re.findall(r"\b(?:struct|enum)\s+(goro_" + r"[A-Za-z0-9_]*)", text):
        names.add(tag)
    return sorted(n for n in names if n.lower().startswith("goro_"))


def public_symbols(root):
    """{category: [names]} for the headers under root."""
    found = {"function": [], "macro": [], "constant": [], "type": []}
    for rel in HEADERS:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            raw = f.read()
        text = strip_comments(raw)
        found["function"] += functions(text)
        found["macro"] += macros(text, include_guards(text))
        found["constant"] += enum_constants(text)
        found["type"] += types(text)
    return {k: sorted(set(v)) for k, v in found.items()}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.dirname(here),
                    help="source tree (default: the one holding this script)")
    ap.add_argument("--doc", default=None, help="document to check (default: docs/api.md)")
    ap.add_argument("--list", action="store_true", help="print the symbols checked")
    args = ap.parse_args()

    doc_path = args.doc or os.path.join(args.root, DOC)
    try:
        symbols = public_symbols(args.root)
        with open(doc_path, encoding="utf-8") as f:
            doc = f.read()
    except OSError as e:
        print(f"check_api_docs: {e}", file=sys.stderr)
        return 2

    if args.list:
        for kind, names in symbols.items():
            for n in names:
                print(f"{kind}\t{n}")

    missing = []
    for kind, names in symbols.items():
        for n in names:
            # A whole identifier: not part of a longer one (goro_go vs goro_go_).
            if not re.search(r"(?<![A-Za-z0-9_])" + re.escape(n) + r"(?![A-Za-z0-9_])", doc):
                missing.append((kind, n))

    total = sum(len(v) for v in symbols.values())
    if missing:
        print(f"check_api_docs: {len(missing)} of {total} public symbols are not in {doc_path}:",
              file=sys.stderr)
        for kind, n in missing:
            print(f"  {kind:8} {n}", file=sys.stderr)
        return 1
    print(f"check_api_docs: all {total} public symbols of {', '.join(HEADERS)} are in {doc_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
