#!/usr/bin/env python3
"""`pgdiscipline lint` and squawk side by side on a folder of someone else's raw-SQL migrations.

  build/compare-squawk-dir.py DIR --glob '*.postgres.up.sql' [--squawk PATH] [--pgd CMD] [--pg-version 15]
                              [--assume-in-transaction] [--out FILE.md] [--name NAME --commit SHA]

Runs both tools on every file (one process each for the whole folder), maps squawk's rules to PgDiscipline's
(the same mapping as build/squawk-rule-tests.py), and writes per rule: files where both report, only PgDiscipline, only
squawk; and the list of differing files, for hand-judging. Times both tools on the whole folder (wall clock, one
process). Nothing of the other project is committed: the commands to fetch it are in docs/rules/squawk-comparison.md.
"""
import argparse
import collections
import fnmatch
import json
import os
import shlex
import subprocess
import time

# squawk rule name -> PGD rules that mean the same (squawk-only style rules are left out).
MAP = {
    "adding-field-with-default": ["PGD302"],
    "adding-foreign-key-constraint": ["PGD306"],
    "adding-not-nullable-field": ["PGD303"],
    "adding-serial-primary-key-field": ["PGD307"],
    "adding-required-field": ["PGD303"],
    "ban-concurrent-index-creation-in-transaction": ["PGD314"],
    "ban-drop-column": ["PGD310"],
    "ban-drop-table": ["PGD310"],
    "ban-truncate-cascade": ["PGD312"],
    "changing-column-type": ["PGD301"],
    "constraint-missing-not-valid": ["PGD306", "PGD308"],
    "disallowed-unique-constraint": ["PGD307"],
    "prefer-repack": ["PGD312"],
    "renaming-column": ["PGD309"],
    "renaming-table": ["PGD309"],
    "require-concurrent-index-creation": ["PGD304"],
    "require-concurrent-index-deletion": ["PGD305"],
    "require-concurrent-partition-detach": ["PGD316"],
    "require-concurrent-reindex": ["PGD312"],
    "require-lock-timeout": ["PGD315"],
    "require-timeout-settings": ["PGD315"],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--glob", default="*.sql")
    ap.add_argument("--squawk", default="squawk")
    ap.add_argument("--pgd", default="artifacts/aot/pgdiscipline")
    ap.add_argument("--pg-version", default="15")
    ap.add_argument("--assume-in-transaction", action="store_true")
    ap.add_argument("--out", default="artifacts/squawk-dir.md")
    ap.add_argument("--name", default="")
    ap.add_argument("--commit", default="")
    args = ap.parse_args()

    files = sorted(os.path.join(args.dir, f) for f in os.listdir(args.dir) if fnmatch.fnmatch(f, args.glob))
    tx = ["--assume-in-transaction"] if args.assume_in_transaction else []

    t0 = time.monotonic()
    pgd = subprocess.run(shlex.split(args.pgd) + ["lint", "--no-config", "--format", "json", "--pg-version", args.pg_version] + tx + files, capture_output=True, text=True)
    pgd_seconds = time.monotonic() - t0
    t0 = time.monotonic()
    sq = subprocess.run([args.squawk, "--pg-version=" + args.pg_version, "--reporter", "json"] + tx + files, capture_output=True, text=True)
    sq_seconds = time.monotonic() - t0

    pgd_found = collections.defaultdict(set)
    for item in json.loads(pgd.stdout or "[]"):
        pgd_found[item["file"]].add(item["ruleId"])
    sq_found = collections.defaultdict(set)
    squawk_all = collections.Counter()
    for item in json.loads(sq.stdout or "[]"):
        rule = item.get("rule_name") or item.get("rule")
        squawk_all[rule] += 1
        mapped = MAP.get(rule, [])
        if len(mapped) > 1:
            # constraint-missing-not-valid is PGD306 for a foreign key, PGD308 for a check: take the one PgDiscipline
            # reports in that file, if any (else the check's).
            mapped = [r for r in mapped if r in pgd_found.get(item["file"], ())] or mapped[-1:]
        for pgd_id in mapped:
            sq_found[item["file"]].add(pgd_id)

    rules = sorted({r for s in pgd_found.values() for r in s} | {r for s in sq_found.values() for r in s})
    rows = []
    diffs = []
    for rule in rules:
        both = only_pgd = only_sq = 0
        for f in files:
            p, s = rule in pgd_found.get(f, ()), rule in sq_found.get(f, ())
            both += p and s
            only_pgd += p and not s
            only_sq += s and not p
            if p != s:
                diffs.append((rule, os.path.basename(f), "PgDiscipline only" if p else "squawk only"))
        rows.append((rule, both, only_pgd, only_sq))

    with open(args.out, "w", encoding="utf-8") as out:
        out.write(f"{len(files)} files of {args.name or args.dir}{(' at ' + args.commit) if args.commit else ''}, PostgreSQL {args.pg_version}"
                  f"{', each file in one transaction' if tx else ''}. Whole folder, one process each: pgdiscipline {pgd_seconds:.2f} s, squawk {sq_seconds:.2f} s.\n\n")
        out.write("| PGD rule | files both report | PgDiscipline only | squawk only |\n|---|---:|---:|---:|\n")
        for rule, both, only_pgd, only_sq in rows:
            out.write(f"| {rule} | {both} | {only_pgd} | {only_sq} |\n")
        out.write("\nsquawk findings by rule (all rules, mapped or not): " + ", ".join(f"{r} {n}" for r, n in squawk_all.most_common()) + "\n\n")
        out.write("Differing files:\n\n")
        for rule, f, who in diffs:
            out.write(f"- {rule} `{f}`: {who}\n")
    print(f"{len(files)} files, {len(diffs)} rule/file differences -> {args.out}; pgdiscipline {pgd_seconds:.2f} s, squawk {sq_seconds:.2f} s")


if __name__ == "__main__":
    main()
