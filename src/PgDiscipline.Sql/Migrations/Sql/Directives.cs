namespace PgDiscipline.Sql.Migrations;

/// <summary>Comments that change how a script is linted: <c>-- pgdiscipline-ignore PGDnnn: reason</c> before a statement,
/// <c>-- pgdiscipline-ignore-file [PGDnnn]: reason</c> anywhere, and the markers by which a file tells its runner not to
/// wrap it in a transaction. A directive without a reason after the colon allows nothing.</summary>
internal static class Directives
{
    public const string Ignore = "pgdiscipline-ignore";

    public const string IgnoreFile = "pgdiscipline-ignore-file";

    /// <summary>Comments by which a migration file tells its runner not to wrap it in a transaction: ours, and those of
    /// goose, dbmate, Flyway and squawk.</summary>
    public static readonly string[] NoTransaction =
    {
        "pgdiscipline-no-transaction", "+goose no transaction", "transaction:false", "executeintransaction=false", "squawk-disable-assume-in-transaction",
    };

    public static bool DeclaresNoTransaction(string? script)
    {
        if (string.IsNullOrEmpty(script) || script!.IndexOf("transaction", StringComparison.OrdinalIgnoreCase) < 0)
        {
            return false;
        }

        var lexer = new SqlLexer(script);
        while (lexer.Next(out var token))
        {
            if (token.Kind is SqlTokenKind.LineComment or SqlTokenKind.BlockComment)
            {
                var comment = script.Substring(token.Start, token.Length).ToLowerInvariant().Replace(" = ", "=").Replace(": ", ":");
                if (NoTransaction.Any(d => comment.Contains(d)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The rules a <c>pgdiscipline-ignore-file</c> comment allows for the whole script; <paramref name="all"/> when
    /// it names none.</summary>
    public static HashSet<string>? FileIgnores(string script, out bool all)
    {
        all = false;
        if (script.IndexOf(IgnoreFile, StringComparison.OrdinalIgnoreCase) < 0)
        {
            return null;
        }

        HashSet<string>? ids = null;
        var lexer = new SqlLexer(script);
        while (lexer.Next(out var token))
        {
            if (Parse(script, token, IgnoreFile, ref ids))
            {
                all = true;
                return null;
            }
        }

        return ids;
    }

    /// <summary>Adds the ids a comment token carrying <paramref name="directive"/> allows to <paramref name="ids"/>; returns
    /// true when it names none (every rule).</summary>
    public static bool Parse(string text, SqlToken token, string directive, ref HashSet<string>? ids)
    {
        if (token.Kind is not (SqlTokenKind.LineComment or SqlTokenKind.BlockComment)
            || text.IndexOf(directive, token.Start, token.Length, StringComparison.OrdinalIgnoreCase) < 0)
        {
            return false;
        }

        var body = text.Substring(token.Start, token.Length).TrimStart('-', '/', '*', ' ', '\t').TrimEnd('*', '/', ' ', '\t', '\r', '\n');
        if (!body.StartsWith(directive, StringComparison.OrdinalIgnoreCase) || body.Length == directive.Length
            || !(char.IsWhiteSpace(body[directive.Length]) || body[directive.Length] == ':'))
        {
            return false;
        }

        var colon = body.IndexOf(':');
        if (colon < 0 || string.IsNullOrWhiteSpace(body.Substring(colon + 1)))
        {
            return false; // no reason, no exemption
        }

        var list = body.Substring(directive.Length, colon - directive.Length);
        var any = false;
        foreach (var id in list.Split(new[] { ',', ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (RuleCatalog.Find(id.ToUpperInvariant()) is { } rule)
            {
                (ids ??= new HashSet<string>(StringComparer.Ordinal)).Add(rule.Id);
                any = true;
            }
        }

        return !any && string.IsNullOrWhiteSpace(list);
    }
}
