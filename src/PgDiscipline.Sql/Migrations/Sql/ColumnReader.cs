namespace PgDiscipline.Sql.Migrations;

/// <summary>Reads a column definition — <c>name type [CONSTRAINT n] [NOT NULL | NULL | DEFAULT e | GENERATED … |
/// PRIMARY KEY | UNIQUE | REFERENCES t | CHECK (…) | COLLATE c] …</c> — as CREATE TABLE and ADD COLUMN write it.</summary>
internal static class ColumnReader
{
    /// <summary>Words that end a column's type (the start of its constraints).</summary>
    private static readonly HashSet<string> TypeEnd = new(StringComparer.OrdinalIgnoreCase)
    {
        "constraint", "not", "null", "references", "unique", "primary", "check", "collate", "generated", "default",
    };

    /// <summary>Reads tokens [<paramref name="i"/>, <paramref name="end"/>) at <paramref name="depth"/>: the name, then the
    /// type, then the constraints. Null when there is no name or no type.</summary>
    public static ColumnDefinition? Read(StatementTokens s, int i, int end, int depth)
    {
        var name = s.Identifier(i);
        if (name is null || i + 1 >= end)
        {
            return null;
        }

        var typeStart = i + 1;
        var j = typeStart;
        while (j < end && !(s.Depth(j) == depth && s.Is(j, SqlTokenKind.Word) && TypeEnd.Contains(s.Word(j)!)))
        {
            j++;
        }

        if (j == typeStart)
        {
            return null;
        }

        var column = new ColumnDefinition(name, s.Slice(typeStart, j).Trim());
        while (j < end)
        {
            if (s.Depth(j) != depth)
            {
                j++;
                continue;
            }

            if (s.IsWord(j, "not", "null"))
            {
                column = column with { NotNull = true };
                j += 2;
            }
            else if (s.IsWord(j, "default"))
            {
                var exprEnd = DefaultEnd(s, j + 1, end, depth);
                column = column with
                {
                    Default = s.Slice(j + 1, exprEnd),
                    DefaultIsNull = IsNullConstant(s, j + 1, exprEnd),
                    DefaultCalls = Calls(s, j + 1, exprEnd),
                };
                j = exprEnd;
            }
            else if (s.IsWord(j, "generated"))
            {
                var asAt = s.Find("as", j, end, depth);
                if (asAt > 0 && s.IsWord(asAt + 1, "identity"))
                {
                    column = column with { Identity = true };
                }
                else if (asAt > 0 && s.Has("stored", asAt, end, depth))
                {
                    column = column with { StoredGenerated = true };
                }

                j = asAt > 0 ? asAt + 1 : j + 1;
            }
            else if (s.IsWord(j, "primary", "key"))
            {
                column = column with { PrimaryKey = true };
                j += 2;
            }
            else if (s.IsWord(j, "unique"))
            {
                column = column with { Unique = true };
                j++;
            }
            else if (s.IsWord(j, "check"))
            {
                column = column with { Check = true };
                j++;
            }
            else if (s.IsWord(j, "references"))
            {
                j = s.Name(j + 1, out var referenced);
                column = column with { References = referenced ?? "?" };
            }
            else
            {
                j++;
            }
        }

        return column;
    }

    /// <summary>Where a DEFAULT expression starting at <paramref name="from"/> ends: at the next constraint word.</summary>
    private static int DefaultEnd(StatementTokens s, int from, int end, int depth)
    {
        for (var j = from + 1; j < end; j++)
        {
            if (s.Depth(j) != depth || !s.Is(j, SqlTokenKind.Word))
            {
                continue;
            }

            if (s.IsWord(j, "not") ? s.IsWord(j + 1, "null") || s.IsWord(j + 1, "deferrable")
                : s.IsWord(j, "null") || s.IsWord(j, "constraint") || s.IsWord(j, "references") || s.IsWord(j, "unique")
                    || s.IsWord(j, "primary") || s.IsWord(j, "check") || s.IsWord(j, "collate") || s.IsWord(j, "generated"))
            {
                return j;
            }
        }

        return end;
    }

    /// <summary><c>NULL</c>, <c>(NULL)</c> or <c>NULL::type</c>.</summary>
    private static bool IsNullConstant(StatementTokens s, int from, int to)
    {
        while (from < to && s.Is(from, SqlTokenKind.OpenParen) && s.Is(to - 1, SqlTokenKind.CloseParen))
        {
            from++;
            to--;
        }

        return s.IsWord(from, "null") && (from + 1 == to || s.Is(from + 1, SqlTokenKind.Cast));
    }

    /// <summary>Call-like syntax that is not a function call (its arguments are what may be volatile).</summary>
    private static readonly HashSet<string> NotFunctions = new(StringComparer.Ordinal)
    {
        "cast", "coalesce", "nullif", "greatest", "least", "array", "row", "exists", "extract", "overlay", "position",
        "substring", "trim", "treat", "normalize", "grouping", "values", "any", "all", "some", "in", "not", "and", "or", "is",
        "xmlelement", "xmlforest", "xmlconcat", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmlexists", "xmlattributes",
        "json_object", "json_array", "json", "json_scalar", "json_serialize", "interval", "collate", "over", "filter", "within",
    };

    /// <summary>The functions an expression calls (bare, lower-cased), in order. Type names after <c>::</c> or in
    /// <c>CAST(… AS type(n))</c> are not calls.</summary>
    public static IReadOnlyList<string> Calls(StatementTokens s, int from, int to)
    {
        List<string>? calls = null;
        var typeContext = false;
        for (var j = from; j < to; j++)
        {
            var t = s[j];
            if (t.Kind == SqlTokenKind.Word)
            {
                var afterCast = s.Is(j - 1, SqlTokenKind.Cast) || (typeContext && s.Is(j - 1, SqlTokenKind.Word)) || (j > from && s.IsWord(j - 1, "as") && s.Depth(j) > s.Depth(from));
                typeContext = afterCast;
                if (!afterCast && s.Is(j + 1, SqlTokenKind.OpenParen) && s.Word(j) is { } name && !NotFunctions.Contains(name))
                {
                    (calls ??= new List<string>()).Add(name);
                }
            }
            else if (t.Kind != SqlTokenKind.Dot)
            {
                typeContext = false;
            }
        }

        return calls is null ? Array.Empty<string>() : calls;
    }

    /// <summary><see cref="Calls(StatementTokens, int, int)"/> of an expression given as text (EF Core's
    /// <c>defaultValueSql</c>).</summary>
    public static IReadOnlyList<string> Calls(string? expression)
    {
        if (string.IsNullOrEmpty(expression))
        {
            return Array.Empty<string>();
        }

        var s = ExpressionTokens(expression!);
        return Calls(s, 0, s.Count);
    }

    /// <summary>Whether an expression given as text is the constant NULL.</summary>
    public static bool IsNullConstant(string? expression)
    {
        if (string.IsNullOrEmpty(expression))
        {
            return false;
        }

        var s = ExpressionTokens(expression!);
        return IsNullConstant(s, 0, s.Count);
    }

    private static StatementTokens ExpressionTokens(string expression)
    {
        var s = new StatementTokens();
        s.Reset(expression, 0);
        var lexer = new SqlLexer(expression);
        while (lexer.NextSignificant(out var token))
        {
            s.Add(token);
        }

        return s;
    }
}
