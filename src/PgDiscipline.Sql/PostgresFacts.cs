using System.Globalization;
using System.Text.RegularExpressions;

namespace PgDiscipline.Sql;

/// <summary>
/// PostgreSQL facts the migration rules rest on, in one place for the analyzer, the lint and the guard (checked against
/// PostgreSQL 15's <c>pg_proc.provolatile</c> and <c>ATColumnChangeRequiresRewrite</c>).
/// </summary>
public static class PostgresFacts
{
    /// <summary>Built-in functions marked VOLATILE that appear in column defaults. A column added with such a default
    /// is filled row by row (a rewrite under ACCESS EXCLUSIVE); a STABLE or IMMUTABLE default such as <c>now()</c>,
    /// <c>statement_timestamp()</c>, <c>current_timestamp</c> or a constant is evaluated once and stored in the catalog
    /// (PostgreSQL 11+).</summary>
    public static IReadOnlyCollection<string> VolatileFunctions => Volatile;

    private static readonly HashSet<string> Volatile = new(StringComparer.OrdinalIgnoreCase)
    {
        "clock_timestamp", "timeofday", "random", "random_normal", "setseed", "gen_random_uuid", "uuidv4", "uuidv7",
        "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "nextval", "setval", "gen_random_bytes",
    };

    private static readonly Regex SizedType = new(
        @"^\s*(character varying|varchar|numeric|decimal|timestamp with time zone|timestamp without time zone|timestamp|timestamptz|time with time zone|time without time zone|time|timetz|interval|bit varying|varbit)\s*(\((\d+)(\s*,\s*(\d+))?\))?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex Spaces = new(@"\s+", RegexOptions.CultureInvariant);

    private static readonly Regex PrecisionBeforeZone = new(@"^(timestamp|time)\s*\((\d+)\)\s*(with(?:out)? time zone)$", RegexOptions.CultureInvariant);

    /// <summary>Whether <paramref name="name"/> (optionally schema-qualified) is a built-in VOLATILE function.</summary>
    public static bool IsVolatileFunction(string name)
    {
        var dot = name.LastIndexOf('.');
        return Volatile.Contains(dot >= 0 ? name.Substring(dot + 1) : name);
    }

    /// <summary>The first VOLATILE built-in function called anywhere in <paramref name="expression"/>
    /// (<c>now() - random() * interval '1 day'</c> finds <c>random</c>), or null.</summary>
    public static string? FindVolatileCall(string? expression)
    {
        if (string.IsNullOrEmpty(expression))
        {
            return null;
        }

        var lexer = new SqlLexer(expression);
        SqlToken? previous = null;
        while (lexer.NextSignificant(out var token))
        {
            if (token.Kind == SqlTokenKind.OpenParen && previous is { Kind: SqlTokenKind.Word } word)
            {
                var name = expression!.Substring(word.Start, word.Length);
                if (IsVolatileFunction(name))
                {
                    return name.ToLowerInvariant();
                }
            }

            previous = token;
        }

        return null;
    }

    /// <summary>Lower-cased, single-spaced, aliases folded (<c>varchar</c>, <c>timestamptz</c>, <c>decimal</c> …) and
    /// <c>timestamp(3) with time zone</c> written as <c>timestamp with time zone(3)</c>.</summary>
    public static string NormalizeType(string type)
    {
        var t = Spaces.Replace(type.Trim().ToLowerInvariant(), " ");
        t = PrecisionBeforeZone.Replace(t, "$1 $3($2)");
        var m = SizedType.Match(t);
        if (!m.Success)
        {
            return Aliases.TryGetValue(t, out var canonical) ? canonical : t;
        }

        var family = Family(m.Groups[1].Value);
        return m.Groups[2].Success ? family + m.Groups[2].Value.Replace(" ", string.Empty) : family;
    }

    /// <summary>
    /// Whether changing a column from <paramref name="oldType"/> to <paramref name="newType"/> needs no table rewrite
    /// (and no index rebuild): the same type; varchar length increase or removal; varchar → text; text → varchar without a length; numeric precision
    /// increase at the same scale (or removing the precision); timestamp/time/interval precision increase or removal;
    /// bit varying length increase; cidr → inet. timestamp → timestamptz is not in the list: it skips the rewrite only
    /// when the session TimeZone is UTC (see <see cref="TypeChangeNote"/>).
    /// </summary>
    public static bool IsBinaryCoercible(string oldType, string newType)
    {
        var o = NormalizeType(oldType);
        var n = NormalizeType(newType);
        if (o == n || (o == "cidr" && n == "inet") || (o.StartsWith("character varying", StringComparison.Ordinal) && n == "text")
            || (o == "text" && n == "character varying"))
        {
            return true;
        }

        var om = SizedType.Match(o);
        var nm = SizedType.Match(n);
        if (!om.Success || !nm.Success || Family(om.Groups[1].Value) != Family(nm.Groups[1].Value))
        {
            return false;
        }

        if (!nm.Groups[3].Success)
        {
            return true; // varchar(n) -> varchar, numeric(p,s) -> numeric, timestamp(3) -> timestamp: limits removed
        }

        if (!om.Groups[3].Success)
        {
            return false; // adding a limit checks (and may rewrite) every row
        }

        var oldSize = int.Parse(om.Groups[3].Value, CultureInfo.InvariantCulture);
        var newSize = int.Parse(nm.Groups[3].Value, CultureInfo.InvariantCulture);
        return newSize >= oldSize && om.Groups[5].Value == nm.Groups[5].Value;
    }

    /// <summary>
    /// Whether changing a column from <paramref name="oldType"/> to <paramref name="newType"/> keeps the table's data but
    /// rebuilds the indexes on the column: citext and text (or unbounded varchar) are binary-coercible both ways, but index
    /// under different operator classes (measured on PostgreSQL 15: the table's relfilenode is kept, the index's changes).
    /// </summary>
    internal static bool RebuildsIndexesOnly(string oldType, string newType)
    {
        var o = NormalizeType(oldType);
        var n = NormalizeType(newType);
        return (o == "citext" && n is "text" or "character varying") || (n == "citext" && (o == "text" || o.StartsWith("character varying", StringComparison.Ordinal)));
    }

    /// <summary>A caveat worth telling for this type change, or null: timestamp → timestamptz needs no rewrite on
    /// PostgreSQL 12+ when the migration's session TimeZone is UTC.</summary>
    public static string? TypeChangeNote(string oldType, string newType)
    {
        var o = NormalizeType(oldType);
        var n = NormalizeType(newType);
        return o.StartsWith("timestamp without time zone", StringComparison.Ordinal) && n.StartsWith("timestamp with time zone", StringComparison.Ordinal)
            ? "on PostgreSQL 12+ this change skips the rewrite only when the session TimeZone is UTC (SET LOCAL timezone = 'UTC' before it); otherwise every row is rewritten"
            : null;
    }

    /// <summary>
    /// The column type Npgsql's EF Core provider emits when a migration gives a CLR type and facets but no store type
    /// (hand-written migrations): <c>string</c> with a max length → <c>character varying(n)</c>, without → <c>text</c>;
    /// <c>decimal</c> with precision/scale → <c>numeric(p,s)</c>; <c>int</c>, <c>long</c>, <c>short</c> → integer, bigint, smallint. Null when it cannot be told.
    /// </summary>
    /// <param name="clrTypeFullName">The CLR type's full name, e.g. <c>System.String</c>.</param>
    /// <param name="maxLength">The maxLength facet.</param>
    /// <param name="precision">The precision facet.</param>
    /// <param name="scale">The scale facet.</param>
    public static string? ImpliedColumnType(string? clrTypeFullName, int? maxLength, int? precision, int? scale)
        => clrTypeFullName switch
        {
            "System.String" => maxLength is { } n ? "character varying(" + n.ToString(CultureInfo.InvariantCulture) + ")" : "text",
            "System.Decimal" => precision is { } p
                ? "numeric(" + p.ToString(CultureInfo.InvariantCulture) + (scale is { } s ? "," + s.ToString(CultureInfo.InvariantCulture) : string.Empty) + ")"
                : "numeric",
            "System.Int32" => "integer",
            "System.Int64" => "bigint",
            "System.Int16" => "smallint",
            _ => null,
        };

    /// <summary>Other spellings of the same type (<c>format_type</c>'s name on the right).</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["int"] = "integer", ["int4"] = "integer", ["int8"] = "bigint", ["int2"] = "smallint", ["bool"] = "boolean",
        ["float8"] = "double precision", ["float"] = "double precision", ["float4"] = "real", ["char"] = "character",
        ["bpchar"] = "character", ["serial"] = "integer", ["serial4"] = "integer", ["bigserial"] = "bigint", ["serial8"] = "bigint",
        ["smallserial"] = "smallint", ["serial2"] = "smallint",
    };

    private static string Family(string t) => t switch
    {
        "varchar" => "character varying",
        "decimal" => "numeric",
        "timestamptz" => "timestamp with time zone",
        "timestamp" => "timestamp without time zone",
        "timetz" => "time with time zone",
        "time" => "time without time zone",
        "varbit" => "bit varying",
        _ => t,
    };
}
