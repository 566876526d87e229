using System.Globalization;
using System.Text;

namespace PgDiscipline.Sql;

/// <summary>
/// The batch statement of a SQL-defined backfill: one data-modifying statement (UPDATE, DELETE, INSERT or MERGE) over a
/// key range, with the range's bounds written as the parameters <c>:lower</c> and <c>:upper</c>, both inclusive: the
/// first and the last key of the batch, so <c>BETWEEN</c> reads naturally (<c>@lower</c>/<c>@upper</c> are accepted too).
/// For example <c>UPDATE users SET email_lower = lower(email) WHERE id BETWEEN :lower AND :upper AND email_lower IS NULL</c>.
/// Parsed with the PostgreSQL lexer, so a <c>:lower</c> inside a string, a comment or a dollar quote is not a parameter
/// and <c>::</c> casts are left alone. Never throws.
/// </summary>
public sealed class BackfillStatement
{
    private readonly List<(int Start, int Length, bool Upper)> _bounds;

    private BackfillStatement(string text, List<(int Start, int Length, bool Upper)> bounds, SqlStatementKind kind, IReadOnlyList<string> errors)
    {
        Text = text;
        _bounds = bounds;
        Kind = kind;
        Errors = errors;
    }

    /// <summary>The statement as given.</summary>
    public string Text { get; }

    /// <summary>The statement kind (from its main keyword).</summary>
    public SqlStatementKind Kind { get; }

    /// <summary>What is wrong with the statement (empty when it can run as a backfill batch). Each message says what to write instead.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>True when <see cref="Errors"/> is empty.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>Parses <paramref name="sql"/>.</summary>
    public static BackfillStatement Parse(string? sql)
    {
        var text = sql ?? string.Empty;
        var errors = new List<string>();
        var bounds = new List<(int, int, bool)>();
        var info = SqlCommandInfo.Analyze(text);
        if (info.Statements.Count == 0)
        {
            errors.Add("the statement is empty: write one UPDATE (or DELETE, INSERT, MERGE) over the key range, e.g. … WHERE id BETWEEN :lower AND :upper");
            return new BackfillStatement(text, bounds, SqlStatementKind.Other, errors);
        }

        if (info.Statements.Count > 1)
        {
            errors.Add(info.Statements.Count.ToString(CultureInfo.InvariantCulture) + " statements: a backfill batch is one statement (each batch runs it once, in its own transaction)");
        }

        var kind = info.Statements[0].Kind;
        if (kind is not (SqlStatementKind.Update or SqlStatementKind.Delete or SqlStatementKind.Insert or SqlStatementKind.Merge))
        {
            errors.Add($"a {kind.ToString().ToUpperInvariant()} statement: a backfill batch is an UPDATE, DELETE, INSERT or MERGE over the key range (… WHERE key BETWEEN :lower AND :upper)");
        }

        var others = new List<string>();
        var lexer = new SqlLexer(text);
        while (lexer.NextSignificant(out var token))
        {
            if (token.Kind != SqlTokenKind.Parameter)
            {
                continue;
            }

            var name = text.Substring(token.Start, token.Length);
            var bare = name.Length > 1 && (name[0] == ':' || name[0] == '@') ? name.Substring(1) : null;
            if (string.Equals(bare, "lower", StringComparison.OrdinalIgnoreCase))
            {
                bounds.Add((token.Start, token.Length, false));
            }
            else if (string.Equals(bare, "upper", StringComparison.OrdinalIgnoreCase))
            {
                bounds.Add((token.Start, token.Length, true));
            }
            else if (!others.Contains(name))
            {
                others.Add(name);
            }
        }

        if (!bounds.Exists(b => !b.Item3))
        {
            errors.Add("no :lower parameter: the batch must be bounded below (… WHERE key BETWEEN :lower AND :upper), or every batch would touch the rows before it again");
        }

        if (!bounds.Exists(b => b.Item3))
        {
            errors.Add("no :upper parameter: the batch must be bounded above (… WHERE key BETWEEN :lower AND :upper), or the first batch would touch the whole table");
        }

        foreach (var other in others)
        {
            errors.Add($"unknown parameter {other}: only :lower and :upper are bound (write other values into the statement)");
        }

        return new BackfillStatement(text, bounds, kind, errors);
    }

    /// <summary>The statement with <c>:lower</c> as <c>$1</c> and <c>:upper</c> as <c>$2</c>, each cast to the key's type
    /// (<paramref name="keyType"/>, as <c>format_type</c> prints it), so the bounds can be sent as text whatever the key's type.</summary>
    public string Bind(string keyType)
    {
        if (!IsValid)
        {
            throw new InvalidOperationException("The backfill statement is not valid: " + string.Join("; ", Errors));
        }

        var sb = new StringBuilder(Text.Length + 32);
        var at = 0;
        foreach (var (start, length, upper) in _bounds)
        {
            sb.Append(Text, at, start - at).Append(upper ? "($2::" : "($1::").Append(keyType).Append(')');
            at = start + length;
        }

        return sb.Append(Text, at, Text.Length - at).ToString();
    }
}
