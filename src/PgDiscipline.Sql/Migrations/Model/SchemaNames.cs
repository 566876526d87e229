namespace PgDiscipline.Sql.Migrations;

/// <summary>How relation names are compared: by their last part (<c>public.t</c> and <c>t</c> are the same table), as a
/// migration nearly always runs with one schema on its search_path.</summary>
internal static class SchemaNames
{
    public static string Bare(string name)
    {
        var dot = name.LastIndexOf('.');
        return dot >= 0 ? name.Substring(dot + 1) : name;
    }

    /// <summary>The UTF-8 length of an identifier, which PostgreSQL truncates to 63 bytes (NAMEDATALEN - 1).</summary>
    public static int Utf8Length(string name) => System.Text.Encoding.UTF8.GetByteCount(name);
}
