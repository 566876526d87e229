namespace PgDiscipline.Sql.Migrations;

/// <summary>A column as <c>CREATE TABLE</c>, <c>ADD COLUMN</c>, EF Core's <c>CreateTable</c> or <c>AddColumn</c> declares it.</summary>
internal sealed record ColumnDefinition(string Name, string? Type)
{
    private static readonly HashSet<string> SerialTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2",
    };

    public bool NotNull { get; set; }

    /// <summary>The DEFAULT expression as written, or null when there is none.</summary>
    public string? Default { get; set; }

    /// <summary>The default is the constant NULL (<c>DEFAULT NULL</c>, <c>DEFAULT NULL::text</c>).</summary>
    public bool DefaultIsNull { get; set; }

    /// <summary>Functions the default calls (bare, lower-cased), in order; casts and call-like syntax left out.</summary>
    public IReadOnlyList<string> DefaultCalls { get; set; } = Array.Empty<string>();

    /// <summary><c>GENERATED … AS IDENTITY</c> (or EF Core's identity / serial value generation).</summary>
    public bool Identity { get; set; }

    /// <summary><c>GENERATED ALWAYS AS (…) STORED</c>.</summary>
    public bool StoredGenerated { get; set; }

    public bool PrimaryKey { get; set; }

    public bool Unique { get; set; }

    /// <summary>An inline <c>CHECK (…)</c>: added to an existing table, PostgreSQL checks it against every row.</summary>
    public bool Check { get; set; }

    /// <summary>The table an inline <c>REFERENCES</c> names.</summary>
    public string? References { get; set; }

    public bool HasDefault => Default is not null;

    /// <summary>serial, bigserial, smallserial (a sequence default: every existing row gets a value).</summary>
    public bool Serial => Type is not null && SerialTypes.Contains(Type.Trim());
}
