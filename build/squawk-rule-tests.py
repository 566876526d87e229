#!/usr/bin/env python3
"""squawk's own per-rule tests against `pgdiscipline lint`.

Reads the test cases of the squawk rules PgDiscipline shares (crates/squawk_linter/src/rules/*.rs in a squawk checkout:
each `#[test]` with a `let sql = r#"..."#;` and `lint_ok` / `lint_errors` [`_with` settings]), runs `pgdiscipline lint`
on each case with the same settings (--pg-version, --assume-in-transaction), and compares: squawk says error -> the
mapped PGD rule must be reported; squawk says ok -> it must not. Cases where PgDiscipline differs on purpose carry the
PostgreSQL reason in build/squawk-differences.tsv (rule, test, verdict, reason); the rest are counted as wrong.

  build/squawk-rule-tests.py SQUAWK_DIR [--pgd "dotnet src/PgDiscipline.Cli/bin/Release/net10.0/pgdiscipline.dll"]
                             [--out docs/rules/squawk-rule-tests.md] [--cases-dir artifacts/squawk-cases]

SQUAWK_DIR is a checkout (or `git archive` of one) of https://github.com/sbdchd/squawk. None of its code is committed
here; the cases are written to --cases-dir (under artifacts/, not committed) so a difference can be looked at.
"""
import argparse
import collections
import json
import os
import re
import shlex
import subprocess
import sys

# squawk rule file -> the PGD rules that mean the same thing.
SHARED = {
    "adding_field_with_default": ["PGD302"],
    "adding_foreign_key_constraint": ["PGD306"],
    "adding_not_null_field": ["PGD303"],
    "adding_primary_key_constraint": ["PGD307"],
    "adding_required_field": ["PGD303"],
    "ban_concurrent_index_creation_in_transaction": ["PGD314"],
    "ban_drop_column": ["PGD310"],
    "ban_drop_table": ["PGD310"],
    "ban_truncate_cascade": ["PGD312"],
    "changing_column_type": ["PGD301"],
    "constraint_missing_not_valid": ["PGD306", "PGD308"],
    "disallow_unique_constraint": ["PGD307"],
    "prefer_repack": ["PGD312"],
    "renaming_column": ["PGD309"],
    "renaming_table": ["PGD309"],
    "require_concurrent_index_creation": ["PGD304"],
    "require_concurrent_index_deletion": ["PGD305"],
    "require_concurrent_partition_detach": ["PGD316"],
    "require_concurrent_reindex": ["PGD312"],
    "require_timeout_settings": ["PGD315"],
}

TEST = re.compile(r"#\[test\]\s*fn\s+(\w+)\s*\(\)\s*\{")
SQL = re.compile(r'let\s+sql\s*=\s*r(#*)"(.*?)"\1\s*;', re.S)
PLAIN_SQL = re.compile(r'let\s+sql\s*=\s*"((?:[^"\\]|\\.)*)"\s*;', re.S)
RULE = re.compile(r"\blint_(?:errors|ok)(?:_with)?\s*\([^;]*?Rule::(\w+)", re.S)
# squawk rules (the `Rule::` of a test's lint call) whose verdicts are not PgDiscipline's business.
NOT_SHARED = {"RequireStatementTimeout"}


def cases(squawk_dir):
    rules_dir = os.path.join(squawk_dir, "crates", "squawk_linter", "src", "rules")
    for rule in sorted(SHARED):
        path = os.path.join(rules_dir, rule + ".rs")
        if not os.path.exists(path):
            print(f"missing {path}", file=sys.stderr)
            continue
        text = open(path, encoding="utf-8").read()
        # Settings helpers: fn pg19() -> LinterSettings { LinterSettings { pg_version: "19"..., .. } }
        helpers = {}
        for h in re.finditer(r"fn\s+(\w+)\s*\(\)\s*->\s*LinterSettings\s*\{(.*?)\n    \}", text, re.S):
            v = re.search(r'pg_version:\s*"([0-9.]+)"', h.group(2))
            helpers[h.group(1)] = (v.group(1) if v else None, re.search(r"assume_in_transaction:\s*true", h.group(2)) is not None)
        starts = [m for m in TEST.finditer(text)]
        for i, m in enumerate(starts):
            body = text[m.end(): starts[i + 1].start() if i + 1 < len(starts) else len(text)]
            sql = SQL.search(body)
            if sql:
                sql_text = sql.group(2)
            else:
                plain = PLAIN_SQL.search(body)
                if not plain:
                    continue
                sql_text = plain.group(1).encode().decode("unicode_escape")
            called = RULE.search(body)
            if called and called.group(1) in NOT_SHARED:
                continue
            if re.search(r"\blint_errors(_with)?\s*\(", body):
                expect = "error"
            elif re.search(r"\blint_ok(_with)?\s*\(", body):
                expect = "ok"
            else:
                continue  # a fix or other helper: not a lint verdict
            version = re.search(r'pg_version:\s*"([0-9.]+)"', body)
            version = version.group(1) if version else None
            in_tx = re.search(r"assume_in_transaction:\s*true", body) is not None
            for name, (hv, htx) in helpers.items():
                if re.search(r"\b" + name + r"\s*\(\)", body):
                    version = version or hv
                    in_tx = in_tx or htx
            yield {
                "rule": rule, "test": m.group(1), "sql": sql_text, "expect": expect,
                "pg_version": version.split(".")[0] if version else None, "assume_in_transaction": in_tx,
            }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("squawk_dir")
    ap.add_argument("--pgd", default="dotnet src/PgDiscipline.Cli/bin/Release/net10.0/pgdiscipline.dll")
    ap.add_argument("--out", default="docs/rules/squawk-comparison.md")
    ap.add_argument("--cases-dir", default="artifacts/squawk-cases")
    ap.add_argument("--differences", default="build/squawk-differences.tsv")
    ap.add_argument("--commit", default="")
    ap.add_argument("--tail", default="build/squawk-comparison.tail.md", help="hand-written part appended to the output")
    args = ap.parse_args()

    all_cases = list(cases(args.squawk_dir))
    os.makedirs(args.cases_dir, exist_ok=True)
    groups = collections.defaultdict(list)
    for c in all_cases:
        c["file"] = os.path.join(args.cases_dir, f"{c['rule']}__{c['test']}.sql")
        with open(c["file"], "w", encoding="utf-8") as f:
            f.write(c["sql"])
        groups[(c["pg_version"], c["assume_in_transaction"])].append(c)

    for (version, in_tx), group in groups.items():
        cmd = shlex.split(args.pgd) + ["lint", "--no-config", "--each-file-alone", "--format", "json"]
        # squawk's default PostgreSQL version is "the latest" when a test sets none; ours is too (--pg-version omitted).
        if version:
            cmd += ["--pg-version", version]
        if in_tx:
            cmd += ["--assume-in-transaction"]
        cmd += [c["file"] for c in group]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            print(proc.stderr, file=sys.stderr)
            sys.exit(2)
        found = collections.defaultdict(set)
        for item in json.loads(proc.stdout or "[]"):
            found[item["file"]].add(item["ruleId"])
        for c in group:
            c["pgd"] = sorted(found.get(c["file"], set()))

    differences = {}
    if os.path.exists(args.differences):
        for line in open(args.differences, encoding="utf-8"):
            if line.strip() and not line.startswith("#"):
                rule, test, verdict, reason = line.rstrip("\n").split("\t", 3)
                differences[(rule, test)] = (verdict, reason)

    per_rule = collections.OrderedDict()
    rows = []
    right = agree = deliberate = 0
    for c in all_cases:
        mapped = SHARED[c["rule"]]
        reported = any(r in c["pgd"] for r in mapped)
        same = reported == (c["expect"] == "error")
        stats = per_rule.setdefault(c["rule"], collections.Counter())
        stats["cases"] += 1
        if same:
            agree += 1
            right += 1
            stats["agree"] += 1
            continue
        verdict, reason = differences.get((c["rule"], c["test"]), ("wrong", ""))
        if verdict == "deliberate":
            deliberate += 1
            right += 1
            stats["deliberate"] += 1
        else:
            stats["wrong"] += 1
        rows.append((c, reported, verdict, reason))

    total = len(all_cases)
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("# PgDiscipline's migration lint and squawk\n\n## squawk's own rule tests through `pgdiscipline lint`\n\n")
        out.write(f"Generated by `build/squawk-rule-tests.py` from sbdchd/squawk{(' at ' + args.commit) if args.commit else ''}: every test of the "
                  f"{len(SHARED)} squawk rules PgDiscipline shares (`crates/squawk_linter/src/rules/*.rs`, a `lint_ok` or `lint_errors` "
                  "verdict), run through `pgdiscipline lint` with the test's settings (`--pg-version`, `--assume-in-transaction`). "
                  "A case agrees when PgDiscipline reports the mapped rule exactly when squawk does. Where PgDiscipline differs on purpose, "
                  "the PostgreSQL reason is given; those count as right.\n\n")
        out.write(f"**{right} of {total} right** ({agree} agree with squawk, {deliberate} differ on purpose, {total - right} wrong).\n\n")
        out.write("| squawk rule | PGD rule(s) | cases | agree | differ on purpose | wrong |\n|---|---|---:|---:|---:|---:|\n")
        for rule, s in per_rule.items():
            out.write(f"| {rule.replace('_', '-')} | {', '.join(SHARED[rule])} | {s['cases']} | {s['agree']} | {s['deliberate']} | {s['wrong']} |\n")
        out.write(f"| **total** | | **{total}** | **{agree}** | **{deliberate}** | **{total - right}** |\n\n")
        if rows:
            out.write("## Cases where the tools differ\n\n| squawk rule | test | squawk | PgDiscipline | verdict | why |\n|---|---|---|---|---|---|\n")
            for c, reported, verdict, reason in rows:
                pgd = ", ".join(c["pgd"]) or "—"
                out.write(f"| {c['rule'].replace('_', '-')} | `{c['test']}` | {c['expect']} | {pgd} | {verdict} | {reason} |\n")
        if args.tail and os.path.exists(args.tail):
            out.write(open(args.tail, encoding="utf-8").read())
    print(f"{right}/{total} right ({agree} agree, {deliberate} deliberate, {total - right} wrong) -> {args.out}")
    for c, reported, verdict, reason in rows:
        if verdict != "deliberate":
            print(f"WRONG {c['rule']}::{c['test']} squawk={c['expect']} pgd={c['pgd']} ({c['file']})")


if __name__ == "__main__":
    main()
