#!/usr/bin/env python3
"""squawk's complete rule-test suite against `pgdiscipline lint`.

Reads every verdict of squawk's rule tests (crates/squawk_linter/src/rules/*.rs in a squawk checkout): each call in a
`#[test]` to lint_ok / lint_errors / fix_sql [`_with` settings] — directly or through the test module's own wrappers —
is one case: its SQL, the squawk rule it names (`Rule::X`), squawk's verdict (error for lint_errors and for fix_sql,
which asserts errors before fixing; ok for lint_ok), and the settings (pg_version, assume_in_transaction). Each case's
SQL is linted with `pgdiscipline lint --enable all` and the same settings; the case agrees when PgDiscipline reports
the PGD rule(s) mapped to squawk's rule exactly when squawk errors. Cases where PgDiscipline differs on purpose carry
the PostgreSQL reason in build/squawk-differences.tsv (squawk rule file, test[#n], verdict, reason); the rest are wrong.

  build/squawk-rule-tests.py SQUAWK_DIR [--pgd "dotnet src/PgDiscipline.Cli/bin/Release/net10.0/pgdiscipline.dll"]
                             [--out docs/rules/squawk-comparison.md] [--cases-dir artifacts/squawk-cases] [--commit SHA]

SQUAWK_DIR is a checkout (or `git archive`) of https://github.com/sbdchd/squawk. None of its code is committed here;
the cases are written to --cases-dir (under artifacts/, not committed) so a difference can be looked at.
"""
import argparse
import collections
import json
import os
import re
import shlex
import subprocess
import sys

# squawk's Rule enum -> the PGD rules that mean the same thing (any of them counts).
MAP = {
    "AddingFieldWithDefault": ["PGD302"], "AddingForeignKeyConstraint": ["PGD306"], "AddingNotNullableField": ["PGD303"],
    "AddingSerialPrimaryKeyField": ["PGD307"], "AddingRequiredField": ["PGD303"], "BanAlterDomainWithAddConstraint": ["PGD331"],
    "BanCharField": ["PGD328"], "BanConcurrentIndexCreationInTransaction": ["PGD314"], "BanCreateDomainWithConstraint": ["PGD332"],
    "BanDropColumn": ["PGD310"], "BanDropDatabase": ["PGD318"], "BanDropNotNull": ["PGD319"], "BanDropTable": ["PGD310"],
    "BanDuplicateColumnAssignments": ["PGD333"], "BanTruncateCascade": ["PGD312"], "BanUncommittedTransaction": ["PGD321"],
    "ChangingColumnType": ["PGD301"], "ConstraintMissingNotValid": ["PGD306", "PGD308"], "DisallowedUniqueConstraint": ["PGD307"],
    "IdentifierTooLong": ["PGD329"], "PreferBigintOverInt": ["PGD324"], "PreferBigintOverSmallint": ["PGD324"],
    "PreferIdentity": ["PGD325"], "PreferRepack": ["PGD312"], "PreferRobustStmts": ["PGD323"], "PreferTextField": ["PGD326"],
    "PreferTimestampTz": ["PGD327"], "RenamingColumn": ["PGD309"], "RenamingTable": ["PGD309"],
    "RequireConcurrentIndexCreation": ["PGD304"], "RequireConcurrentIndexDeletion": ["PGD305"],
    "RequireConcurrentPartitionDetach": ["PGD316"], "RequireConcurrentReindex": ["PGD312"], "RequireEnumValueOrdering": ["PGD330"],
    "RequireTableSchema": ["PGD334"], "RequireTimeoutSettings": ["PGD315", "PGD322"], "RequireLockTimeout": ["PGD315"],
    "RequireStatementTimeout": ["PGD322"], "TransactionNesting": ["PGD320"],
}
HELPERS = {"lint_ok": "ok", "lint_ok_with": "ok", "lint_errors": "error", "lint_errors_with": "error", "fix_sql": "error", "fix_sql_with": "error"}
TEST = re.compile(r"#\[test\]\s*fn\s+(\w+)\s*\(\)\s*\{")
STRING = r'(r#*"|")'


def read_string(text, i):
    """A Rust string literal at text[i:] (r#"…"#, r"…" or "…"); returns (value, end) or None."""
    m = re.match(r'r(#*)"', text[i:])
    if m:
        close = '"' + m.group(1)
        end = text.index(close, i + m.end())
        return text[i + m.end():end], end + len(close)
    if text[i:i + 1] == '"':
        j = i + 1
        out = []
        while text[j] != '"':
            if text[j] == "\\":
                nxt = text[j + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "0": "\0"}.get(nxt, nxt))
                j += 2
            else:
                out.append(text[j])
                j += 1
        return "".join(out), j + 1
    return None


def args_of(text, open_paren):
    """The top-level comma-separated arguments of a call whose '(' is at open_paren, as source slices."""
    depth, i, start, args = 0, open_paren, open_paren + 1, []
    while i < len(text):
        c = text[i]
        if c in '"r' and (c == '"' or re.match(r'r#*"', text[i:])) and (c == '"' or not text[i - 1].isalnum()):
            lit = read_string(text, i)
            if lit:
                i = lit[1]
                continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[start:i].strip())
                return args, i + 1
        elif c == "," and depth == 1:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    return args, i


def expression_end(text, i):
    """Where the expression at text[i:] ends: the ';' outside brackets and string literals."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c == '"' or (c == "r" and re.match(r'r#*"', text[i:]) and not text[i - 1].isalnum()):
            lit = read_string(text, i)
            if lit:
                i = lit[1]
                continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == ";" and depth == 0:
            return i
        i += 1
    return i


def block_end(text, i):
    """The index of the '}' closing the block whose body starts at text[i:]."""
    depth = 1
    while i < len(text):
        c = text[i]
        if c == '"' or (c == "r" and re.match(r'r#*"', text[i:]) and not text[i - 1].isalnum()):
            lit = read_string(text, i)
            if lit:
                i = lit[1]
                continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return i


def settings_in(text):
    v = re.search(r'pg_version:\s*"([0-9.]+)"', text)
    return (v.group(1).split(".")[0] if v else None), re.search(r"assume_in_transaction:\s*true", text) is not None


def evaluate(expr, env):
    """The value of a case's SQL argument: a literal, a `let` variable, or the few format!/repeat forms squawk's tests use."""
    expr = expr.strip().lstrip("&")
    if expr in env:
        return env[expr]
    lit = read_string(expr, 0) if expr[:1] in ('"', "r") else None
    if lit and lit[1] == len(expr):
        return lit[0]
    m = re.fullmatch(r'(r#*"[\s\S]*?"#*|"(?:[^"\\]|\\.)*")\.repeat\((\d+)\)', expr)
    if m:
        return read_string(m.group(1), 0)[0] * int(m.group(2))
    m = re.fullmatch(r'format!\(([\s\S]*)\)', expr)
    if m:
        parts, _ = args_of("(" + m.group(1) + ")", 0)
        fmt = read_string(parts[0], 0)[0]
        positional = [evaluate(p, env) for p in parts[1:]]
        out = re.sub(r"\{(\w*)\}", lambda g: str(env[g.group(1)] if g.group(1) else positional.pop(0)), fmt)
        return out
    return None


def cases(squawk_dir):
    rules_dir = os.path.join(squawk_dir, "crates", "squawk_linter", "src", "rules")
    skipped = []
    for file in sorted(os.listdir(rules_dir)):
        if not file.endswith(".rs") or file == "mod.rs":
            continue
        rule_file = file[:-3]
        text = open(os.path.join(rules_dir, file), encoding="utf-8").read()
        module = text[text.find("mod test"):] if "mod test" in text else ""
        # The module's own wrappers: fn name(sql: &str …) calling a helper with Rule::X (and maybe settings).
        wrappers = {}
        for w in re.finditer(r"fn\s+(\w+)\s*\(\s*sql:\s*&str[^)]*\)[^{]*\{", module):
            body = module[w.end(): module.find("\n    }", w.end())]
            h = re.search(r"\b(?:crate::test_utils::)?(lint_ok_with|lint_errors_with|lint_ok|lint_errors|fix_sql_with|fix_sql)\s*\(", body)
            r = re.search(r"Rule::(\w+)", body)
            if h and r:
                # a module's own lint_ok(sql) shadows test_utils' lint_ok(sql, rule)
                wrappers[w.group(1)] = (HELPERS[h.group(1)], r.group(1), settings_in(body))
        settings_fns = {}
        for h in re.finditer(r"fn\s+(\w+)\s*\(\)\s*->\s*LinterSettings\s*\{", module):
            settings_fns[h.group(1)] = settings_in(module[h.end(): module.find("\n    }", h.end())])
        for m in TEST.finditer(module):
            body = module[m.end(): block_end(module, m.end())]
            env = {}
            n = 0
            found = []
            for call in re.finditer(r"\blet\s+(\w+)\s*=\s*|\b(lint_ok_with|lint_errors_with|lint_ok|lint_errors|fix_sql_with|fix_sql|\w+)\s*\(", body):
                if call.group(1):
                    # let name = <expr>;
                    end = expression_end(body, call.end())
                    value = evaluate(body[call.end():end], env)
                    if value is not None:
                        env[call.group(1)] = value
                    continue
                name = call.group(2)
                if name not in HELPERS and name not in wrappers:
                    continue
                args, _ = args_of(body, call.end() - 1)
                if not args:
                    continue
                sql = evaluate(args[0], env)
                if name in HELPERS and name not in wrappers:
                    verdict = HELPERS[name]
                    r = re.search(r"Rule::(\w+)", " ".join(args[1:]))
                    rule = r.group(1) if r else None
                    version, in_tx = settings_in(" ".join(args[1:]))
                else:
                    verdict, rule, (version, in_tx) = wrappers[name]
                    extra = settings_in(" ".join(args[1:]))
                    version, in_tx = extra[0] or version, extra[1] or in_tx
                for fn, (fv, ftx) in settings_fns.items():
                    if re.search(r"\b" + fn + r"\s*\(\)", " ".join(args[1:])):
                        version, in_tx = version or fv, in_tx or ftx
                if sql is None or rule is None:
                    skipped.append(f"{rule_file}::{m.group(1)}")
                    continue
                found.append({"file": rule_file, "test": m.group(1), "sql": sql, "expect": verdict, "rule": rule,
                              "pg_version": version, "assume_in_transaction": in_tx})
            for n, c in enumerate(found, 1):
                c["key"] = c["test"] if len(found) == 1 else f"{c['test']}#{n}"
                yield c
    for s in skipped:
        print(f"not extracted: {s}", file=sys.stderr)


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

    all_cases = [c for c in cases(args.squawk_dir) if c["rule"] in MAP]
    os.makedirs(args.cases_dir, exist_ok=True)
    groups = collections.defaultdict(list)
    for c in all_cases:
        c["path"] = os.path.join(args.cases_dir, f"{c['file']}__{c['key'].replace('#', '_')}.sql")
        with open(c["path"], "w", encoding="utf-8") as f:
            f.write(c["sql"])
        groups[(c["pg_version"], c["assume_in_transaction"])].append(c)

    for (version, in_tx), group in groups.items():
        cmd = shlex.split(args.pgd) + ["lint", "--no-config", "--each-file-alone", "--format", "json", "--enable", "all"]
        if version:
            cmd += ["--pg-version", version]
        if in_tx:
            cmd += ["--assume-in-transaction"]
        cmd += [c["path"] for c in group]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            print(proc.stderr, file=sys.stderr)
            sys.exit(2)
        found = collections.defaultdict(set)
        for item in json.loads(proc.stdout or "[]"):
            found[item["file"]].add(item["ruleId"])
        for c in group:
            c["pgd"] = sorted(found.get(c["path"], set()))

    differences = {}
    if os.path.exists(args.differences):
        for line in open(args.differences, encoding="utf-8"):
            if line.strip() and not line.startswith("#"):
                rule, test, verdict, reason = line.rstrip("\n").split("\t", 3)
                differences[(rule, test)] = (verdict, reason)

    per_rule = collections.OrderedDict()
    rows = []
    right = agree = deliberate = 0
    for c in sorted(all_cases, key=lambda c: (c["file"], c["key"])):
        mapped = MAP[c["rule"]]
        reported = any(r in c["pgd"] for r in mapped)
        stats = per_rule.setdefault(c["file"], collections.Counter())
        stats["cases"] += 1
        if reported == (c["expect"] == "error"):
            agree += 1
            right += 1
            stats["agree"] += 1
            continue
        verdict, reason = differences.get((c["file"], c["key"]), ("wrong", ""))
        if verdict == "deliberate":
            deliberate += 1
            right += 1
            stats["deliberate"] += 1
        else:
            stats["wrong"] += 1
        rows.append((c, verdict, reason))

    total = len(all_cases)
    used = {(c["file"], c["key"]) for c, _, _ in rows}
    for key in differences:
        if key not in used:
            print(f"stale difference (the tools agree now, or no such case): {key}", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("# PgDiscipline's migration lint and squawk\n\n## squawk's complete rule-test suite through `pgdiscipline lint`\n\n")
        out.write(f"Generated by `build/squawk-rule-tests.py` from sbdchd/squawk{(' at ' + args.commit) if args.commit else ''}: every verdict in the "
                  f"tests of all {len(per_rule)} rule files (`crates/squawk_linter/src/rules/*.rs`) — each `lint_ok`, `lint_errors` and `fix_sql` "
                  "call (a fix test asserts squawk reports the SQL before fixing it), directly or through the module's own wrappers — run "
                  "through `pgdiscipline lint --enable all` with the test's settings (`--pg-version`, `--assume-in-transaction`). A case agrees "
                  "when PgDiscipline reports the PGD rule mapped to squawk's rule exactly when squawk does. Where PgDiscipline differs on "
                  "purpose, the PostgreSQL reason is given; those count as right.\n\n")
        out.write(f"**{right} of {total} right ({100.0 * right / total:.1f}%)** ({agree} agree with squawk, {deliberate} differ on purpose, {total - right} wrong).\n\n")
        out.write("| squawk rule file | PGD rule(s) | cases | agree | differ on purpose | wrong |\n|---|---|---:|---:|---:|---:|\n")
        rule_of_file = {}
        for c in all_cases:
            rule_of_file.setdefault(c["file"], set()).update(MAP[c["rule"]])
        for rule, s in per_rule.items():
            out.write(f"| {rule.replace('_', '-')} | {', '.join(sorted(rule_of_file[rule]))} | {s['cases']} | {s['agree']} | {s['deliberate']} | {s['wrong']} |\n")
        out.write(f"| **total** | | **{total}** | **{agree}** | **{deliberate}** | **{total - right}** |\n\n")
        if rows:
            out.write("## Cases where the tools differ\n\n| squawk rule file | test | squawk | PgDiscipline | verdict | why |\n|---|---|---|---|---|---|\n")
            for c, verdict, reason in rows:
                pgd = ", ".join(c["pgd"]) or "—"
                out.write(f"| {c['file'].replace('_', '-')} | `{c['key']}` | {c['expect']} | {pgd} | {verdict} | {reason} |\n")
        if args.tail and os.path.exists(args.tail):
            out.write(open(args.tail, encoding="utf-8").read())
    print(f"{right}/{total} right ({agree} agree, {deliberate} deliberate, {total - right} wrong) -> {args.out}")
    for c, verdict, reason in rows:
        if verdict != "deliberate":
            print(f"WRONG {c['file']}\t{c['key']}\tsquawk={c['expect']}\tpgd={c['pgd']}\t{c['path']}")


if __name__ == "__main__":
    main()
