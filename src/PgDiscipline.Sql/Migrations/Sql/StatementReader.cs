namespace PgDiscipline.Sql.Migrations;

/// <summary>
/// The SQL front end: reads one statement's tokens into schema operations (several for an ALTER TABLE with several
/// actions, one per table for a DROP TABLE of several). Statements the rules have nothing to say about become an
/// <see cref="OtherStatement"/>. Never throws.
/// </summary>
internal static class StatementReader
{
    public static void Read(StatementTokens s, List<SchemaOperation> ops)
    {
        var first = s.Count > 0 ? s.Word(0) : null;
        switch (first)
        {
            case "begin":
            case "start" when s.IsWord(1, "transaction"):
                ops.Add(new TransactionControl(TransactionVerb.Begin));
                break;
            case "commit" or "end" when !s.IsWord(1, "prepared"):
                ops.Add(new TransactionControl(TransactionVerb.Commit));
                break;
            case "rollback" or "abort" when !s.IsWord(1, "to") && !s.IsWord(1, "prepared"):
                ops.Add(new TransactionControl(TransactionVerb.Rollback));
                break;
            case "savepoint" or "release" or "rollback":
                ops.Add(new TransactionControl(TransactionVerb.Savepoint));
                break;
            case "set":
                Set(s, ops);
                break;
            case "reset":
                ops.Add(new ResetSetting(s.Identifier(1) ?? "?"));
                break;
            case "select":
                Select(s, ops);
                break;
            case "create":
                CreateReader.Read(s, ops);
                break;
            case "alter" when s.IsWord(1, "table"):
                AlterTableReader.Read(s, ops);
                break;
            case "alter" when s.IsWord(1, "domain"):
                var d = s.Name(2, out var domain);
                if (s.IsWord(d, "add"))
                {
                    var notValid = false;
                    for (var j = d; j < s.Count - 1; j++)
                    {
                        notValid |= s.Depth(j) == 0 && s.IsWord(j, "not", "valid");
                    }

                    ops.Add(new AlterDomainAddConstraint(domain ?? "?", notValid));
                }
                else
                {
                    ops.Add(new OtherStatement("alter"));
                }

                break;
            case "alter" when s.IsWord(1, "type"):
                var t = s.Name(2, out var type);
                if (s.IsWord(t, "add") && s.IsWord(t + 1, "value"))
                {
                    ops.Add(new AddEnumValue(type ?? "?", s.Has("before", t, s.Count, 0) || s.Has("after", t, s.Count, 0)));
                }
                else
                {
                    ops.Add(new OtherStatement("alter"));
                }

                break;
            case "drop":
                DropReader.Read(s, ops);
                break;
            case "vacuum":
                Vacuum(s, ops);
                break;
            case "cluster":
                var c = s.Skip(1, "verbose");
                s.Name(c, out var clustered);
                ops.Add(new Cluster(clustered ?? "(every clustered table)"));
                break;
            case "lock":
                Lock(s, ops);
                break;
            case "truncate":
                var n = s.Skip(1, "table");
                n = s.Skip(n, "only");
                var cascade = s.Has("cascade", n, s.Count, 0);
                foreach (var truncated in s.Names(ref n))
                {
                    ops.Add(new Truncate(truncated) { Cascade = cascade });
                }

                break;
            case "update" or "delete" or "insert":
                RowsReader.Read(s, 0, ops);
                break;
            case "with":
                RowsReader.ReadAfterWith(s, ops);
                break;
            case "merge":
                RowsReader.Merge(s, ops);
                break;
            case "reindex":
                Reindex(s, ops);
                break;
            case "refresh" when s.IsWord(1, "materialized"):
                var r = s.Skip(3, "concurrently");
                s.Name(r, out var view);
                ops.Add(new RefreshMaterializedView(view ?? "?") { Concurrently = r > 3 });
                break;
            default:
                ops.Add(new OtherStatement(first ?? "("));
                break;
        }

        LongNames(s, ops);
    }

    /// <summary>Identifiers of more than 21 characters (any shorter one fits in 63 UTF-8 bytes).</summary>
    private static void LongNames(StatementTokens s, List<SchemaOperation> ops)
    {
        List<string>? names = null;
        for (var i = 0; i < s.Count; i++)
        {
            if (s[i].Length > 21 && s.IsIdentifier(i))
            {
                (names ??= new List<string>()).Add(s.Identifier(i)!);
            }
        }

        if (names is not null)
        {
            ops.Add(new LongIdentifiers(names));
        }
    }

    /// <summary><c>SET [SESSION | LOCAL] name {= | TO} value</c>.</summary>
    private static void Set(StatementTokens s, List<SchemaOperation> ops)
    {
        var i = 1;
        var local = s.IsWord(i, "local");
        if (local || s.IsWord(i, "session"))
        {
            i++;
        }

        var next = s.Name(i, out var name);
        var value = s.Is(next, SqlTokenKind.Operator) || s.IsWord(next, "to") ? next + 1 : next;
        ops.Add(new SetSetting(name ?? "?", local) { Off = IsOff(s.Slice(value, s.Count)) });
    }

    /// <summary>A timeout of 0 is no timeout; DEFAULT is the server's (none, usually).</summary>
    private static bool IsOff(string value)
    {
        var v = value.Trim().Trim('\'').Trim().ToLowerInvariant();
        return v is "0" or "0ms" or "0s" or "0min" or "default" or "";
    }

    /// <summary><c>SELECT set_config('lock_timeout', '5s', is_local)</c>, and <c>SELECT … INTO t</c>.</summary>
    private static void Select(StatementTokens s, List<SchemaOperation> ops)
    {
        for (var i = 1; i < s.Count - 3; i++)
        {
            if (s.IsWord(i, "set_config") && s.Is(i + 1, SqlTokenKind.OpenParen) && s.Is(i + 2, SqlTokenKind.String) && s.Is(i + 3, SqlTokenKind.Comma))
            {
                var setting = s.Slice(i + 2, i + 3).Trim('\'').ToLowerInvariant();
                var close = s.After(i + 1);
                var args = s.Slice(i + 4, close - 1);
                var comma = args.LastIndexOf(',');
                var local = comma >= 0 && args.Substring(comma + 1).Trim().Equals("true", StringComparison.OrdinalIgnoreCase);
                ops.Add(new SetSetting(setting, local) { Off = IsOff(comma >= 0 ? args.Substring(0, comma) : args) });
            }
        }

        var into = s.Find("into", 1, s.Count, 0);
        if (into > 0 && !s.IsWord(into - 1, "insert"))
        {
            var t = s.Skip(into + 1, "temporary");
            t = s.Skip(t, "temp");
            t = s.Skip(t, "unlogged");
            t = s.Skip(t, "table");
            s.Name(t, out var table);
            var columns = new List<string>();
            SelectReader.OutputNames(s, 1, columns);
            ops.Add(new SelectInto(table ?? "?") { Columns = columns });
            return;
        }

        ops.Add(new OtherStatement("select"));
    }

    /// <summary><c>VACUUM FULL</c>, or <c>VACUUM (FULL [true|on])</c> — not <c>(FULL false)</c>.</summary>
    private static void Vacuum(StatementTokens s, List<SchemaOperation> ops)
    {
        var full = OptionOn(s, "full");
        var i = 1;
        if (s.Is(i, SqlTokenKind.OpenParen))
        {
            i = s.After(i);
        }

        while (s.Word(i) is "full" or "freeze" or "verbose" or "analyze" or "analyse")
        {
            i++;
        }

        s.Name(i, out var table);
        ops.Add(new Vacuum(table ?? "(every table)", full));
    }

    /// <summary>A keyword or option list entry (<c>FULL</c>, <c>(FULL)</c>, <c>(FULL true)</c>), not <c>(FULL false)</c>.</summary>
    internal static bool OptionOn(StatementTokens s, string option)
    {
        for (var i = 1; i < s.Count; i++)
        {
            if (!s.IsWord(i, option))
            {
                continue;
            }

            var off = s.Depth(i) > 0 && (s.IsWord(i + 1, "false") || s.IsWord(i + 1, "off") || (s.Is(i + 1, SqlTokenKind.Number) && s.Slice(i + 1, i + 2) == "0"));
            return !off;
        }

        return false;
    }

    /// <summary><c>LOCK [TABLE] [ONLY] name [, …] [IN mode MODE] [NOWAIT]</c>; ACCESS EXCLUSIVE by default.</summary>
    private static void Lock(StatementTokens s, List<SchemaOperation> ops)
    {
        var i = s.Skip(1, "table");
        i = s.Skip(i, "only");
        var tables = s.Names(ref i);
        var mode = LockMode.AccessExclusive;
        if (s.IsWord(i, "in"))
        {
            var words = s.Slice(i + 1, s.Find("mode", i, s.Count, 0) is var m and >= 0 ? m : s.Count).ToLowerInvariant();
            mode = string.Join(" ", words.Split(new[] { ' ', '\t', '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries)) switch
            {
                "access share" => LockMode.AccessShare,
                "row share" => LockMode.RowShare,
                "row exclusive" => LockMode.RowExclusive,
                "share update exclusive" => LockMode.ShareUpdateExclusive,
                "share" => LockMode.Share,
                "share row exclusive" => LockMode.ShareRowExclusive,
                "exclusive" => LockMode.Exclusive,
                _ => LockMode.AccessExclusive,
            };
        }

        foreach (var table in tables)
        {
            ops.Add(new LockTable(table, mode));
        }
    }

    /// <summary><c>REINDEX [(option …)] {INDEX | TABLE | SCHEMA | DATABASE | SYSTEM} [CONCURRENTLY] name</c>.</summary>
    private static void Reindex(StatementTokens s, List<SchemaOperation> ops)
    {
        var i = 1;
        if (s.Is(i, SqlTokenKind.OpenParen))
        {
            i = s.After(i);
        }

        var kind = s.Word(i) ?? "?";
        var n = s.Skip(i + 1, "concurrently");
        s.Name(n, out var target);
        ops.Add(new Reindex(kind, target ?? "?") { Concurrently = OptionOn(s, "concurrently") });
    }
}
