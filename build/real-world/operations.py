#!/usr/bin/env python3
"""Lists every migrationBuilder operation in the Up() methods of a folder of EF Core migrations, joined with the PGD
findings of a SARIF log (by file and line of the operation's method name). Used by build/real-migrations.sh.

  operations.py DIR findings.sarif            one line per operation: file, line, operation, table, findings
  operations.py --summary DIR findings.sarif  counts per operation kind and per rule
"""
import json
import os
import re
import sys
from urllib.parse import unquote
from collections import Counter


def up_bodies(text):
    """(start, end) offsets of the body of each `void Up(MigrationBuilder x)` and the builder parameter's name."""
    for m in re.finditer(r"void\s+Up\s*\(\s*MigrationBuilder\s+(\w+)\s*\)", text):
        i = m.end()
        while i < len(text) and text[i] not in "{=":
            i += 1
        if i >= len(text):
            continue
        if text[i] == "=":  # expression body: up to the next ';' at depth 0
            depth, j = 0, i
            while j < len(text):
                c = text[j]
                depth += c in "({["
                depth -= c in ")}]"
                if c == ";" and depth == 0:
                    break
                j += 1
            yield m.group(1), i, j
            continue
        depth, j = 0, i
        in_str = None
        while j < len(text):
            c = text[j]
            if in_str:
                if c == "\\" and in_str == '"':
                    j += 2
                    continue
                if c == in_str:
                    in_str = None
            elif c in "\"'":
                in_str = c
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        yield m.group(1), i, j


def operations(root):
    for dirpath, _, files in os.walk(root):
        if "/obj" in dirpath or "/bin" in dirpath:
            continue
        for name in sorted(files):
            if not name.endswith(".cs") or name.endswith(".Designer.cs") or name.endswith("ModelSnapshot.cs"):
                continue
            path = os.path.join(dirpath, name)
            text = open(path, encoding="utf-8-sig").read()
            for param, start, end in up_bodies(text):
                body = text[start:end]
                for op in re.finditer(r"\b" + re.escape(param) + r"\s*\.\s*(\w+)\s*(?:<[^>()]*>)?\s*\(", body):
                    offset = start + op.start(1)
                    line = text.count("\n", 0, offset) + 1
                    args = body[op.end(): op.end() + 400]
                    table = re.search(r"\b(?:table|name):\s*\"([^\"]+)\"", args)
                    if op.group(1) not in ("CreateTable", "DropTable", "RenameTable", "EnsureSchema"):
                        table = re.search(r"\btable:\s*\"([^\"]+)\"", args) or table
                    yield os.path.relpath(path, root), line, op.group(1), table.group(1) if table else ""


def findings(sarif_path, root):
    found = {}
    with open(sarif_path, encoding="utf-8-sig") as f:
        sarif = json.load(f)
    for run in sarif.get("runs", []):
        for result in run.get("results", []):
            rule = result.get("ruleId", "")
            if not rule.startswith("PGD"):
                continue
            for loc in result.get("locations", []):
                phys = loc.get("physicalLocation", {})
                uri = phys.get("artifactLocation", {}).get("uri", "")
                path = unquote(uri.replace("file://", ""))
                line = phys.get("region", {}).get("startLine")
                key = (os.path.relpath(path, root), line)
                found.setdefault(key, []).append(rule)
    return found


def main(argv):
    summary = argv and argv[0] == "--summary"
    if summary:
        argv = argv[1:]
    root, sarif_path = os.path.abspath(argv[0]), argv[1]
    found = findings(sarif_path, root)
    ops = list(operations(root))
    matched = set()
    if not summary:
        print("file\tline\toperation\ttable\tfindings")
    kinds, rules, flagged = Counter(), Counter(), 0
    for path, line, op, table in ops:
        ids = sorted(set(found.get((path, line), [])))
        matched.add((path, line))
        kinds[op] += 1
        flagged += bool(ids)
        rules.update(ids)
        if not summary:
            print(f"{path}\t{line}\t{op}\t{table}\t{','.join(ids)}")
    stray = {k: v for k, v in found.items() if k not in matched}
    if summary:
        print(f"migration files: {len({p for p, *_ in ops})}, operations in Up(): {len(ops)}, operations with a finding: {flagged}")
        print("operations by kind: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
        print("findings by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(rules.items())))
        if stray:
            print(f"findings not on a listed operation: {sum(len(v) for v in stray.values())} " + str(sorted(stray.items())[:10]))


if __name__ == "__main__":
    main(sys.argv[1:])
