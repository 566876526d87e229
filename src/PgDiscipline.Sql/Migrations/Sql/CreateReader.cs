namespace PgDiscipline.Sql.Migrations;

/// <summary>Reads <c>CREATE …</c> statements: tables, indexes, views, functions, triggers, domains.</summary>
internal static class CreateReader
{
    public static void Read(StatementTokens s, List<SchemaOperation> ops)
    {
        var i = 1;
        var orReplace = false;
        var temporary = false;
        var unique = false;
        while (true)
        {
            if (s.IsWord(i, "or") && s.IsWord(i + 1, "replace"))
            {
                orReplace = true;
                i += 2;
            }
            else if (s.IsWord(i, "temp") || s.IsWord(i, "temporary"))
            {
                temporary = true;
                i++;
            }
            else if (s.IsWord(i, "unique"))
            {
                unique = true;
                i++;
            }
            else if (s.IsWord(i, "global") || s.IsWord(i, "local") || s.IsWord(i, "unlogged") || s.IsWord(i, "recursive") || s.IsWord(i, "constraint") || s.IsWord(i, "foreign"))
            {
                i++;
            }
            else
            {
                break;
            }
        }

        switch (s.Word(i))
        {
            case "table":
                Table(s, i + 1, temporary, ops);
                break;
            case "index":
                Index(s, i + 1, unique, ops);
                break;
            case "view":
                View(s, i + 1, orReplace, materialized: false, ops);
                break;
            case "materialized" when s.IsWord(i + 1, "view"):
                View(s, i + 2, orReplace, materialized: true, ops);
                break;
            case "function" or "procedure":
                s.Name(i + 1, out var function);
                var nonVolatile = false;
                for (var j = i + 2; j < s.Count; j++)
                {
                    nonVolatile |= s.Depth(j) == 0 && (s.IsWord(j, "immutable") || s.IsWord(j, "stable"));
                }

                ops.Add(new CreateFunction(SchemaNames.Bare(function ?? "?"), nonVolatile));
                break;
            case "trigger":
                var on = s.Find("on", i + 1, s.Count, 0);
                s.Name(on + 1, out var triggerTable);
                ops.Add(new CreateTrigger(triggerTable ?? "?"));
                break;
            case "domain":
                var d = s.Name(i + 1, out var domain);
                var constrained = false;
                for (var j = d; j < s.Count; j++)
                {
                    constrained |= s.Depth(j) == 0 && (s.IsWord(j, "check") || s.IsWord(j, "constraint") || s.IsWord(j, "not", "null") || (s.IsWord(j, "null") && !s.IsWord(j - 1, "default")));
                }

                ops.Add(new CreateDomain(domain ?? "?", constrained));
                break;
            default:
                ops.Add(new OtherStatement("create"));
                break;
        }
    }

    private static void Table(StatementTokens s, int i, bool temporary, List<SchemaOperation> ops)
    {
        var ifNotExists = s.IsWord(i, "if") && s.IsWord(i + 1, "not") && s.IsWord(i + 2, "exists");
        i = s.Skip(i, "if", "not", "exists");
        i = s.Name(i, out var table);
        table ??= "?";
        var columns = new List<ColumnDefinition>();
        var keys = new List<string>();
        var uniques = new List<string>();
        var references = new List<string>();
        var partitionOf = s.IsWord(i, "partition", "of");
        if (s.Is(i, SqlTokenKind.OpenParen))
        {
            var close = s.After(i) - 1;
            var start = i + 1;
            for (var j = start; j <= close; j++)
            {
                if (j < close && !(s.Is(j, SqlTokenKind.Comma) && s.Depth(j) == 1))
                {
                    continue;
                }

                Item(s, start, j, columns, keys, uniques, references);
                start = j + 1;
            }

            i = close + 1;
        }

        // CREATE TABLE … AS query [WITH [NO] DATA]: rows from the start (unless WITH NO DATA).
        var asAt = partitionOf ? -1 : s.Find("as", i, s.Count, 0);
        var filled = asAt >= 0 && !(s.IsWord(s.Count - 3, "with") && s.IsWord(s.Count - 2, "no") && s.IsWord(s.Count - 1, "data"));
        var onCommitDrop = false;
        for (var j = i; j < s.Count - 2; j++)
        {
            onCommitDrop |= s.Depth(j) == 0 && s.IsWord(j, "on") && s.IsWord(j + 1, "commit") && s.IsWord(j + 2, "drop");
        }

        ops.Add(new CreateTable(table)
        {
            Columns = columns,
            KeyColumns = keys,
            UniqueColumns = uniques,
            References = references,
            Temporary = temporary,
            Filled = filled,
            IfNotExists = ifNotExists,
            DroppedOnCommit = onCommitDrop,
        });
    }

    /// <summary>One item of a CREATE TABLE's list: a table constraint, LIKE, or a column.</summary>
    private static void Item(StatementTokens s, int from, int to, List<ColumnDefinition> columns, List<string> keys, List<string> uniques, List<string> references)
    {
        if (from >= to)
        {
            return;
        }

        var references1 = s.Find("references", from, to, 1);
        if (references1 >= 0)
        {
            s.Name(references1 + 1, out var referenced);
            references.Add(referenced ?? "?");
        }

        var first = s.Word(from);
        if (first is "constraint" or "primary" or "unique" or "check" or "foreign" or "exclude" or "like")
        {
            var primary = s.Find("primary", from, to, 1);
            if (primary >= 0 && s.Is(primary + 2, SqlTokenKind.OpenParen))
            {
                keys.AddRange(ColumnList(s, primary + 2));
            }

            var unique = s.Find("unique", from, to, 1);
            if (unique >= 0 && s.Is(unique + 1, SqlTokenKind.OpenParen))
            {
                uniques.AddRange(ColumnList(s, unique + 1));
            }

            return;
        }

        if (ColumnReader.Read(s, from, to, 1) is { } column)
        {
            columns.Add(column);
            if (column.PrimaryKey)
            {
                keys.Add(column.Name);
            }

            if (column.Unique)
            {
                uniques.Add(column.Name);
            }
        }
    }

    private static void Index(StatementTokens s, int i, bool unique, List<SchemaOperation> ops)
    {
        var concurrently = s.IsWord(i, "concurrently");
        i = s.Skip(i, "concurrently");
        var ifNotExists = s.IsWord(i, "if") && s.IsWord(i + 1, "not") && s.IsWord(i + 2, "exists");
        i = s.Skip(i, "if", "not", "exists");
        string? name = null;
        if (!s.IsWord(i, "on"))
        {
            i = s.Name(i, out name);
        }

        var on = s.Find("on", i, s.Count, 0);
        var t = s.Skip(on + 1, "only");
        t = s.Name(t, out var table);
        if (s.IsWord(t, "using"))
        {
            t += 2;
        }

        var columns = s.Is(t, SqlTokenKind.OpenParen) ? ColumnList(s, t) : new List<string>();
        ops.Add(new CreateIndex(name, table ?? "?") { Concurrently = concurrently, Unique = unique, IfNotExists = ifNotExists, Columns = columns });
    }

    /// <summary>The plain column names of a parenthesized list at <paramref name="open"/>: <c>(a, b DESC, lower(c))</c> is a, b.</summary>
    internal static List<string> ColumnList(StatementTokens s, int open)
    {
        var columns = new List<string>();
        var depth = s.Depth(open) + 1;
        var close = s.After(open) - 1;
        var start = open + 1;
        for (var j = start; j <= close; j++)
        {
            if (j < close && !(s.Is(j, SqlTokenKind.Comma) && s.Depth(j) == depth))
            {
                continue;
            }

            if (s.Identifier(start) is { } column && !s.Is(start + 1, SqlTokenKind.OpenParen) && !s.Is(start + 1, SqlTokenKind.Dot))
            {
                columns.Add(column);
            }

            start = j + 1;
        }

        return columns;
    }

    private static void View(StatementTokens s, int i, bool orReplace, bool materialized, List<SchemaOperation> ops)
    {
        i = s.Skip(i, "if", "not", "exists");
        i = s.Name(i, out var view);
        var columns = new List<string>();
        if (s.Is(i, SqlTokenKind.OpenParen))
        {
            for (var j = i + 1; j < s.After(i) - 1; j++)
            {
                if (s.Depth(j) == 1 && s.Identifier(j) is { } column)
                {
                    columns.Add(column);
                }
            }
        }
        else
        {
            var select = s.Find("select", i, s.Count, 0);
            if (select >= 0)
            {
                SelectReader.OutputNames(s, select + 1, columns);
            }
        }

        ops.Add(new CreateView(view ?? "?") { OrReplace = orReplace, Materialized = materialized, Columns = columns });
    }
}
