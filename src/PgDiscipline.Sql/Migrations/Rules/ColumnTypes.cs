namespace PgDiscipline.Sql.Migrations;

/// <summary>Column declarations the type rules (PGD324–PGD328) look at: every column of a CREATE TABLE, an added column,
/// and the new type of an ALTER COLUMN … TYPE.</summary>
internal static class ColumnTypes
{
    public static IEnumerable<(TableOperation Operation, string Column, string Type, ColumnDefinition? Definition, bool Key)> Declared(SchemaOperation operation)
    {
        switch (operation)
        {
            case CreateTable create:
                foreach (var column in create.Columns)
                {
                    if (column.Type is { } type)
                    {
                        yield return (create, column.Name, type, column, IsKey(column, create.KeyColumns.Contains(column.Name)));
                    }
                }

                break;
            case AddColumn { Definition.Type: { } type } add:
                yield return (add, add.Column, type, add.Definition, IsKey(add.Definition, false));
                break;
            case AlterColumnType { ChangesType: true } alter:
                yield return (alter, alter.Column, alter.NewType, null, IsKeyName(alter.Column));
                break;
        }
    }

    /// <summary>The type's name without array brackets, length or precision, lower-cased and single-spaced
    /// (<c>VARCHAR (32)</c> → <c>varchar</c>, <c>timestamp(3) with time zone</c> → <c>timestamp with time zone</c>).</summary>
    public static string BaseName(string type, out bool array, out bool sized)
    {
        var t = type.Trim().ToLowerInvariant();
        array = t.EndsWith("]", StringComparison.Ordinal) || t.EndsWith(" array", StringComparison.Ordinal);
        var sb = new System.Text.StringBuilder(t.Length);
        var depth = 0;
        sized = false;
        foreach (var c in t)
        {
            if (c is '(' or '[')
            {
                depth++;
                sized |= c == '(';
                continue;
            }

            if (c is ')' or ']')
            {
                depth--;
                continue;
            }

            if (depth == 0 && !(char.IsWhiteSpace(c) && (sb.Length == 0 || sb[sb.Length - 1] == ' ')))
            {
                sb.Append(char.IsWhiteSpace(c) ? ' ' : c);
            }
        }

        var name = sb.ToString().Trim().Replace("\"", string.Empty);
        if (name.StartsWith("pg_catalog.", StringComparison.Ordinal))
        {
            name = name.Substring("pg_catalog.".Length);
        }

        return name.EndsWith(" array", StringComparison.Ordinal) ? name.Substring(0, name.Length - 6) : name;
    }

    private static bool IsKey(ColumnDefinition column, bool inPrimaryKey)
        => inPrimaryKey || column.PrimaryKey || column.Identity || column.Serial || column.References is not null || IsKeyName(column.Name);

    /// <summary><c>id</c>, <c>user_id</c>, <c>UserId</c>: the names keys and foreign keys are given.</summary>
    private static bool IsKeyName(string name)
        => name.Equals("id", StringComparison.OrdinalIgnoreCase) || name.EndsWith("_id", StringComparison.OrdinalIgnoreCase)
            || (name.Length > 2 && name.EndsWith("Id", StringComparison.Ordinal));
}
