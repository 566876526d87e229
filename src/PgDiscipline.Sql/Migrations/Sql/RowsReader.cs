namespace PgDiscipline.Sql.Migrations;

/// <summary>Reads <c>UPDATE</c>, <c>DELETE</c> and <c>INSERT</c> (also after a <c>WITH</c> clause): the table, whether there
/// is a WHERE, and the columns assigned.</summary>
internal static class RowsReader
{
    public static void ReadAfterWith(StatementTokens s, List<SchemaOperation> ops)
    {
        // WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (query) [, …] main-statement
        for (var i = 1; i < s.Count; i++)
        {
            if (s.Depth(i) == 0 && s.Word(i) is "select" or "update" or "delete" or "insert" or "merge" && !s.IsWord(i - 1, "as"))
            {
                if (s.Word(i) is "update" or "delete" or "insert")
                {
                    Read(s, i, ops);
                    return;
                }

                break;
            }
        }

        ops.Add(new OtherStatement("with"));
    }

    public static void Read(StatementTokens s, int at, List<SchemaOperation> ops)
    {
        var verb = s.Word(at);
        var i = at + 1;
        if (verb == "delete")
        {
            i = s.Skip(i, "from");
        }
        else if (verb == "insert")
        {
            i = s.Skip(i, "into");
        }

        i = s.Skip(i, "only");
        i = s.Name(i, out var table);
        table ??= "?";
        if (verb == "insert")
        {
            i = s.Skip(i, "as");
            if (!s.Is(i, SqlTokenKind.OpenParen) && s.IsIdentifier(i) && !s.IsWord(i, "values") && !s.IsWord(i, "select") && !s.IsWord(i, "default") && !s.IsWord(i, "overriding"))
            {
                i++; // alias
            }

            var assigned = s.Is(i, SqlTokenKind.OpenParen) && !s.IsWord(i + 1, "select") && !s.IsWord(i + 1, "with") ? Columns(s, i + 1, s.After(i) - 1) : new List<AssignedColumn>();
            ops.Add(new InsertRows(table) { Assigned = assigned });
            var doUpdate = s.Find("update", i, s.Count, 0);
            if (doUpdate > 0 && s.IsWord(doUpdate - 1, "do"))
            {
                // ON CONFLICT … DO UPDATE SET: one row at most per inserted row, always with a target
                ops.Add(new RowsChange(table, Delete: false) { HasWhere = true, Assigned = SetList(s, doUpdate + 1) });
            }

            return;
        }

        // WHERE TRUE or WHERE 1 = 1 matches every row, as no WHERE does (found on ory/kratos: UPDATE … WHERE TRUE).
        var whereAt = s.Find("where", i, s.Count, 0);
        var hasWhere = whereAt >= 0 && !AlwaysTrue(s, whereAt + 1);
        var sets = verb == "update" ? SetList(s, i) : new List<AssignedColumn>();
        ops.Add(new RowsChange(table, Delete: verb == "delete") { HasWhere = hasWhere, Assigned = sets });
    }

    /// <summary>The predicate from <paramref name="from"/> (to RETURNING or the end) is a constant truth: <c>TRUE</c>,
    /// <c>1 = 1</c>, <c>'a' = 'a'</c>, in parentheses or not.</summary>
    private static bool AlwaysTrue(StatementTokens s, int from)
    {
        var end = s.Find("returning", from, s.Count, 0);
        var text = s.Slice(from, end < 0 ? s.Count : end).Trim();
        while (text.Length > 1 && text[0] == '(' && text[text.Length - 1] == ')')
        {
            text = text.Substring(1, text.Length - 2).Trim();
        }

        if (text.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // Two equal constants, compared as written (a string's case and spaces count).
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^(\d+|'(?:[^']|'')*')\s*=\s*(\d+|'(?:[^']|'')*')$");
        return match.Success && match.Groups[1].Value == match.Groups[2].Value;
    }

    /// <summary><c>MERGE INTO t USING … WHEN MATCHED THEN UPDATE SET … WHEN NOT MATCHED THEN INSERT (…) …</c>: the
    /// columns each action assigns (a MERGE changes the rows its join matches, not every row).</summary>
    public static void Merge(StatementTokens s, List<SchemaOperation> ops)
    {
        var i = s.Skip(1, "into");
        i = s.Skip(i, "only");
        s.Name(i, out var table);
        table ??= "?";
        for (var j = i; j < s.Count; j++)
        {
            if (s.Depth(j) != 0 || !s.IsWord(j - 1, "then"))
            {
                continue;
            }

            if (s.IsWord(j, "update"))
            {
                ops.Add(new RowsChange(table, Delete: false) { HasWhere = true, Assigned = SetList(s, j + 1) });
            }
            else if (s.IsWord(j, "insert") && s.Is(j + 1, SqlTokenKind.OpenParen))
            {
                ops.Add(new InsertRows(table) { Assigned = Columns(s, j + 2, s.After(j + 1) - 1) });
            }
        }
    }

    /// <summary>The assignments of the <c>SET</c> list found from <paramref name="from"/> on.</summary>
    private static List<AssignedColumn> SetList(StatementTokens s, int from)
    {
        var sets = new List<AssignedColumn>();
        var set = s.Find("set", from, s.Count, 0);
        if (set < 0)
        {
            return sets;
        }

        var start = set + 1;
        for (var j = start; j <= s.Count; j++)
        {
            var ends = j == s.Count || (s.Depth(j) == 0 && (s.IsWord(j, "from") || s.IsWord(j, "where") || s.IsWord(j, "returning") || s.IsWord(j, "when")));
            if (ends || (s.Depth(j) == 0 && s.Is(j, SqlTokenKind.Comma)))
            {
                Assignment(s, start, j, sets);
                start = j + 1;
                if (ends)
                {
                    break;
                }
            }
        }

        return sets;
    }

    /// <summary><c>col = …</c>, <c>col.field = …</c>, <c>col[1] = …</c>, or <c>(a, b) = …</c>.</summary>
    private static void Assignment(StatementTokens s, int from, int to, List<AssignedColumn> sets)
    {
        if (s.Is(from, SqlTokenKind.OpenParen))
        {
            sets.AddRange(Columns(s, from + 1, s.After(from) - 1));
        }
        else if (s.Identifier(from) is { } column)
        {
            sets.Add(new AssignedColumn(column, s.Is(from + 1, SqlTokenKind.Dot) || s.Is(from + 1, SqlTokenKind.OpenBracket)));
        }
    }

    /// <summary>A parenthesized column list: <c>a, b.x, c[1]</c>.</summary>
    private static List<AssignedColumn> Columns(StatementTokens s, int from, int to)
    {
        var columns = new List<AssignedColumn>();
        var depth = s.Depth(from);
        var start = from;
        for (var j = from; j <= to; j++)
        {
            if (j < to && !(s.Is(j, SqlTokenKind.Comma) && s.Depth(j) == depth))
            {
                continue;
            }

            if (s.Identifier(start) is { } column)
            {
                columns.Add(new AssignedColumn(column, j - start > 1));
            }

            start = j + 1;
        }

        return columns;
    }
}
