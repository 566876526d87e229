namespace PgDiscipline.Sql.Migrations;

/// <summary>The output column names of a select list, where PostgreSQL would name them: <c>expr AS name</c>, <c>expr name</c>
/// after a column reference, or a bare column reference (<c>t.a</c> is <c>a</c>). Other expressions are left out.</summary>
internal static class SelectReader
{
    public static void OutputNames(StatementTokens s, int i, List<string> names)
    {
        var depth = s.Depth(i);
        i = s.Skip(i, "distinct");
        i = s.Skip(i, "all");
        var start = i;
        for (var j = i; j <= s.Count; j++)
        {
            var ends = j == s.Count || (s.Depth(j) == depth && (s.Is(j, SqlTokenKind.Comma) || s.IsWord(j, "from") || s.IsWord(j, "into")
                || s.IsWord(j, "where") || s.IsWord(j, "union") || s.Is(j, SqlTokenKind.CloseParen)));
            if (!ends)
            {
                continue;
            }

            if (Name(s, start, j) is { } name)
            {
                names.Add(name);
            }

            if (!s.Is(j, SqlTokenKind.Comma))
            {
                return;
            }

            start = j + 1;
        }
    }

    private static string? Name(StatementTokens s, int from, int to)
    {
        if (from >= to)
        {
            return null;
        }

        if (to - from >= 2 && s.IsWord(to - 2, "as"))
        {
            return s.Identifier(to - 1);
        }

        // a.b.c, or a single name: a column reference
        var next = s.Name(from, out var reference);
        if (reference is not null && next == to && !s.IsWord(from, "null") && !s.IsWord(from, "true") && !s.IsWord(from, "false"))
        {
            return SchemaNames.Bare(reference);
        }

        // an alias without AS: `expr name`, after a column, a constant or a closing bracket
        if (to - from >= 2 && s.IsIdentifier(to - 1) && (s.IsIdentifier(to - 2) || s.Is(to - 2, SqlTokenKind.Number)
            || s.Is(to - 2, SqlTokenKind.String) || s.Is(to - 2, SqlTokenKind.CloseParen)))
        {
            return s.Identifier(to - 1);
        }

        // f(…) is named f; any other expression "?column?" (and two of them collide)
        if (s.Is(from + 1, SqlTokenKind.OpenParen) && s.After(from + 1) == to && s.Word(from) is { } function)
        {
            return function;
        }

        return s.Is(from, SqlTokenKind.Number) || s.Is(from, SqlTokenKind.String) ? "?column?" : null;
    }
}
