using System.Globalization;
using PgDiscipline.Sql;

namespace PgDiscipline.Pipeline;

/// <summary>The <c>-- pgdiscipline:…</c> query tags the queryable extensions write and the planner reads.</summary>
internal static class QueryTags
{
    public const string Prefix = "pgdiscipline:"; // RuntimeContract.TagPrefix (RuntimeContractTests)
    public const string StatementTimeout = Prefix + "statement_timeout=";
    public const string ReadReplica = Prefix + "read=replica";
    public const string ReadPrimary = Prefix + "read=primary";
    public const string Priority = Prefix + "priority=";
    public const string Coalesce = Prefix + "coalesce";

    /// <summary>What a command's own tags ask for.</summary>
    public static (TimeSpan? StatementTimeout, ReadIntent Intent, QueryPriority? Priority, bool Coalesce) Parse(IReadOnlyList<string> tags)
    {
        var coalesce = false;
        TimeSpan? timeout = null;
        var intent = ReadIntent.None;
        QueryPriority? priority = null;
        foreach (var tag in tags)
        {
            if (!tag.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (tag.StartsWith(StatementTimeout, StringComparison.Ordinal) && TryParseMilliseconds(tag.AsSpan(StatementTimeout.Length), out var t))
            {
                timeout = t;
            }
            else if (tag.StartsWith(ReadPrimary, StringComparison.Ordinal))
            {
                intent = ReadIntent.Primary;
            }
            else if (tag == ReadReplica && intent != ReadIntent.Primary)
            {
                intent = ReadIntent.Replica;
            }
            else if (tag.StartsWith(Priority, StringComparison.Ordinal) && Enum.TryParse<QueryPriority>(tag.AsSpan(Priority.Length), ignoreCase: true, out var p))
            {
                priority = p;
            }
            else if (tag == Coalesce)
            {
                coalesce = true;
            }
        }

        return (timeout, intent, priority, coalesce);
    }

    private static bool TryParseMilliseconds(ReadOnlySpan<char> text, out TimeSpan value)
    {
        value = default;
        if (text.EndsWith("ms", StringComparison.Ordinal)
            && long.TryParse(text[..^2], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0)
        {
            value = TimeSpan.FromMilliseconds(ms);
            return true;
        }

        return false;
    }
}
