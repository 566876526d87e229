namespace PgDiscipline.Sql.Migrations;

/// <summary>Reads <c>ALTER TABLE [IF EXISTS] [ONLY] name action [, action …]</c> into one operation per action.</summary>
internal static class AlterTableReader
{
    private static readonly HashSet<string> ConstraintStarts = new(StringComparer.OrdinalIgnoreCase)
    {
        "constraint", "check", "unique", "primary", "foreign", "exclude",
    };

    public static void Read(StatementTokens s, List<SchemaOperation> ops)
    {
        var i = s.Skip(2, "if", "exists");
        i = s.Skip(i, "only");
        i = s.Name(i, out var table);
        if (table is null)
        {
            ops.Add(new Unparsable("Syntax error: ALTER TABLE without a table name.") { Site = s.End });
            return;
        }

        if (s.Is(i, SqlTokenKind.Operator))
        {
            i++; // name *
        }

        // Actions are separated by commas outside brackets.
        var start = i;
        for (var j = i; j <= s.Count; j++)
        {
            if (j < s.Count && !(s.Is(j, SqlTokenKind.Comma) && s.Depth(j) == 0))
            {
                continue;
            }

            if (j == start)
            {
                ops.Add(new Unparsable("Syntax error: ALTER TABLE without an action (or an empty one between commas).") { Site = j < s.Count ? s[j].Start : s.End });
                return;
            }

            Action(s, table, start, j, ops);
            start = j + 1;
        }
    }

    private static void Action(StatementTokens s, string table, int a, int end, List<SchemaOperation> ops)
    {
        var site = s[a].Start;
        var count = ops.Count;
        switch (s.Word(a))
        {
            case "add" when s.Word(a + 1) is { } next && ConstraintStarts.Contains(next):
                ops.Add(Constraint(s, table, a + 1, end));
                break;
            case "add":
                var i = s.Skip(a + 1, "column");
                var ifNotExists = s.IsWord(i, "if") && s.IsWord(i + 1, "not") && s.IsWord(i + 2, "exists");
                i = s.Skip(i, "if", "not", "exists");
                if (ColumnReader.Read(s, i, end, 0) is { } column)
                {
                    ops.Add(new AddColumn(table, column) { IfNotExists = ifNotExists });
                }
                else
                {
                    ops.Add(new Unparsable("Syntax error: ADD COLUMN needs a column name and a type.") { Site = end < s.Count ? s[end].Start : s.End });
                }

                break;
            case "drop" when s.IsWord(a + 1, "constraint"):
                var c = s.Skip(a + 2, "if", "exists");
                ops.Add(new DropConstraint(table, s.Identifier(c) ?? "?") { IfExists = c > a + 2 });
                break;
            case "drop":
                var d = s.Skip(a + 1, "column");
                var ifExists = s.IsWord(d, "if") && s.IsWord(d + 1, "exists");
                d = s.Skip(d, "if", "exists");
                ops.Add(new DropColumn(table, s.Identifier(d) ?? "?") { IfExists = ifExists });
                break;
            case "alter" when s.Word(a + 1) is "constraint":
                ops.Add(new OtherTableAction(table, "ALTER CONSTRAINT", LockMode.AccessExclusive));
                break;
            case "alter":
                AlterColumn(s, table, s.Skip(a + 1, "column"), end, ops);
                break;
            case "rename" when s.IsWord(a + 1, "to"):
                s.Name(a + 2, out var newName);
                ops.Add(new RenameTable(table, newName ?? "?"));
                break;
            case "rename" when s.IsWord(a + 1, "constraint"):
                ops.Add(new OtherTableAction(table, "RENAME CONSTRAINT", LockMode.AccessExclusive)); // the app does not name constraints
                break;
            case "rename":
                var r = s.Skip(a + 1, "column");
                ops.Add(new RenameColumn(table, s.Identifier(r) ?? "?", s.IsWord(r + 1, "to") ? s.Identifier(r + 2) ?? "?" : "?"));
                break;
            case "validate" when s.IsWord(a + 1, "constraint"):
                ops.Add(new ValidateConstraint(table, s.Identifier(a + 2) ?? "?"));
                break;
            case "detach" when s.IsWord(a + 1, "partition"):
                var p = s.Name(a + 2, out var partition);
                ops.Add(new DetachPartition(table, partition ?? "?") { Concurrently = s.IsWord(p, "concurrently"), Finalize = s.IsWord(p, "finalize") });
                break;
            case "attach" when s.IsWord(a + 1, "partition"):
                // SHARE UPDATE EXCLUSIVE on the parent (PostgreSQL 12+); the partition attached is scanned under ACCESS EXCLUSIVE.
                s.Name(a + 2, out var attached);
                ops.Add(new OtherTableAction(table, "ATTACH PARTITION", LockMode.ShareUpdateExclusive));
                ops.Add(new OtherTableAction(attached ?? "?", "ATTACH PARTITION", LockMode.AccessExclusive));
                break;
            case "set" or "reset" when s.Is(a + 1, SqlTokenKind.OpenParen) || s.IsWord(a + 1, "without", "cluster"):
            case "cluster" when s.IsWord(a + 1, "on"):
                ops.Add(new OtherTableAction(table, Upper(s, a, end), LockMode.ShareUpdateExclusive));
                break;
            case "enable" or "disable" when s.Has("trigger", a, end, 0):
                ops.Add(new OtherTableAction(table, Upper(s, a, end), LockMode.ShareRowExclusive));
                break;
            case null:
                ops.Add(new Unparsable("Syntax error: an ALTER TABLE action must start with a keyword.") { Site = site });
                break;
            default:
                ops.Add(new OtherTableAction(table, Upper(s, a, end), LockMode.AccessExclusive));
                break;
        }

        for (var k = count; k < ops.Count; k++)
        {
            if (ops[k].Site == 0)
            {
                ops[k] = ops[k] with { Site = site };
            }
        }
    }

    private static void AlterColumn(StatementTokens s, string table, int i, int end, List<SchemaOperation> ops)
    {
        var column = s.Identifier(i) ?? "?";
        var v = i + 1;
        if (s.IsWord(v, "type") || (s.IsWord(v, "set") && s.IsWord(v + 1, "data") && s.IsWord(v + 2, "type")))
        {
            var typeStart = s.IsWord(v, "type") ? v + 1 : v + 3;
            var typeEnd = typeStart;
            while (typeEnd < end && !(s.Depth(typeEnd) == 0 && (s.IsWord(typeEnd, "using") || s.IsWord(typeEnd, "collate"))))
            {
                typeEnd++;
            }

            var newType = s.Slice(typeStart, typeEnd).Trim();
            var usingAt = s.Find("using", typeEnd, end, 0);
            var usingText = usingAt >= 0 ? s.Slice(usingAt + 1, end) : null;
            ops.Add(new AlterColumnType(table, column, newType)
            {
                Using = usingText,
                UsingIsPlainCast = usingAt >= 0 && IsPlainCast(s, usingAt + 1, end, column, newType),
                HasCollate = s.Has("collate", typeEnd, end, 0),
            });
        }
        else if (s.IsWord(v, "set") && s.IsWord(v + 1, "not") && s.IsWord(v + 2, "null"))
        {
            ops.Add(new SetNotNull(table, column));
        }
        else if (s.IsWord(v, "drop") && s.IsWord(v + 1, "not") && s.IsWord(v + 2, "null"))
        {
            ops.Add(new DropNotNull(table, column));
        }
        else if (s.IsWord(v, "add") && s.IsWord(v + 1, "generated") && s.Has("identity", v, end, 0))
        {
            ops.Add(new AddIdentity(table, column));
        }
        else if ((s.IsWord(v, "set") || s.IsWord(v, "reset")) && (s.IsWord(v + 1, "statistics") || s.Is(v + 1, SqlTokenKind.OpenParen)))
        {
            ops.Add(new OtherTableAction(table, "ALTER COLUMN … " + Upper(s, v, end), LockMode.ShareUpdateExclusive));
        }
        else
        {
            ops.Add(new OtherTableAction(table, "ALTER COLUMN … " + Upper(s, v, Math.Min(end, v + 2)), LockMode.AccessExclusive));
        }
    }

    /// <summary>The USING expression is the column itself, maybe parenthesized, maybe cast to the new type
    /// (<c>c</c>, <c>"c"::text</c>, <c>CAST(c AS text)</c>, <c>(c)::text</c>).</summary>
    private static bool IsPlainCast(StatementTokens s, int from, int to, string column, string newType)
    {
        if (s.IsWord(from, "cast") && s.Is(from + 1, SqlTokenKind.OpenParen) && s.After(from + 1) == to)
        {
            var asAt = s.Find("as", from + 2, to - 1, s.Depth(from) + 1);
            return asAt == from + 3 && s.Identifier(from + 2) == column && SameType(s.Slice(asAt + 1, to - 1), newType);
        }

        var i = from;
        var close = 0;
        while (s.Is(i, SqlTokenKind.OpenParen))
        {
            i++;
            close++;
        }

        if (s.Identifier(i) != column)
        {
            return false;
        }

        i++;
        for (; close > 0; close--, i++)
        {
            if (!s.Is(i, SqlTokenKind.CloseParen))
            {
                return false;
            }
        }

        return i == to || (s.Is(i, SqlTokenKind.Cast) && SameType(s.Slice(i + 1, to), newType));
    }

    private static bool SameType(string a, string b) => PostgresFacts.NormalizeType(a) == PostgresFacts.NormalizeType(b);

    private static string Upper(StatementTokens s, int from, int end) => s.Slice(from, Math.Min(end, from + 3)).ToUpperInvariant();

    /// <summary><c>[CONSTRAINT name] {CHECK (…) | UNIQUE … | PRIMARY KEY … | FOREIGN KEY (…) REFERENCES t … | EXCLUDE …}
    /// [NOT VALID]</c>, at <paramref name="i"/>.</summary>
    private static AddConstraint Constraint(StatementTokens s, string table, int i, int end)
    {
        string? name = null;
        if (s.IsWord(i, "constraint"))
        {
            name = s.Identifier(i + 1);
            i += 2;
        }

        var kind = s.Word(i) switch
        {
            "check" => ConstraintKind.Check,
            "unique" => ConstraintKind.Unique,
            "primary" => ConstraintKind.PrimaryKey,
            "foreign" => ConstraintKind.ForeignKey,
            _ => ConstraintKind.Exclude,
        };
        var notValid = false;
        for (var j = i; j < end - 1; j++)
        {
            notValid |= s.Depth(j) == 0 && s.IsWord(j, "not", "valid");
        }

        var references = s.Find("references", i, end, 0);
        string? referenced = null;
        if (references >= 0)
        {
            s.Name(references + 1, out referenced);
        }

        // CHECK (col IS NOT NULL): once validated, SET NOT NULL on col skips its scan (PostgreSQL 12+).
        string? notNullColumn = null;
        if (kind == ConstraintKind.Check && s.Is(i + 1, SqlTokenKind.OpenParen) && s.IsWord(i + 3, "is") && s.IsWord(i + 4, "not")
            && s.IsWord(i + 5, "null") && s.Is(i + 6, SqlTokenKind.CloseParen))
        {
            notNullColumn = s.Identifier(i + 2);
        }

        var keyword = kind == ConstraintKind.PrimaryKey ? i + 1 : i;
        return new AddConstraint(table, name, kind)
        {
            Columns = kind is ConstraintKind.Unique or ConstraintKind.PrimaryKey && s.Is(keyword + 1, SqlTokenKind.OpenParen) ? CreateReader.ColumnList(s, keyword + 1) : Array.Empty<string>(),
            NotValid = notValid,
            UsingIndex = s.Has("using", i, end, 0) && kind is ConstraintKind.Unique or ConstraintKind.PrimaryKey,
            Referenced = referenced,
            NotNullColumn = notNullColumn,
        };
    }
}
