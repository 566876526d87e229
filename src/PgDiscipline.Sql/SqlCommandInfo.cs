namespace PgDiscipline.Sql;

/// <summary>Facts about a whole command text (one or more statements). Immutable and safe to share between threads.</summary>
public sealed class SqlCommandInfo
{
    internal SqlCommandInfo(SqlFingerprint fingerprint, IReadOnlyList<SqlStatement> statements, IReadOnlyList<string> tags)
    {
        Fingerprint = fingerprint;
        Statements = statements;
        Tags = tags;
        var safe = statements.Count > 0;
        var joins = 0;
        var tables = new List<string>();
        foreach (var s in statements)
        {
            safe &= s.IsReplicaSafe;
            joins = Math.Max(joins, s.JoinCount);
            foreach (var t in s.Tables)
            {
                if (!tables.Contains(t))
                {
                    tables.Add(t);
                }
            }
        }

        IsReplicaSafe = safe;
        MaxJoinCount = joins;
        Tables = tables;
        Kind = statements.Count > 0 ? statements[0].Kind : SqlStatementKind.Other;
    }

    /// <summary>Fingerprint of the whole text.</summary>
    public SqlFingerprint Fingerprint { get; }

    /// <summary>The statements, split on <c>;</c> outside strings, comments, dollar quotes, parentheses and <c>BEGIN ATOMIC</c> bodies.</summary>
    public IReadOnlyList<SqlStatement> Statements { get; }

    /// <summary>Leading <c>-- </c> comment lines (EF Core query tags), without the <c>--</c>.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>Kind of the first statement.</summary>
    public SqlStatementKind Kind { get; }

    /// <summary>True when every statement is replica-safe (and there is at least one).</summary>
    public bool IsReplicaSafe { get; }

    /// <summary>The largest <see cref="SqlStatement.JoinCount"/>.</summary>
    public int MaxJoinCount { get; }

    /// <summary>Union of the statements' tables.</summary>
    public IReadOnlyList<string> Tables { get; }

    /// <summary>Analyzes <paramref name="sql"/>. Never throws.</summary>
    public static SqlCommandInfo Analyze(string? sql) => SqlFacts.Analyze(sql ?? string.Empty);
}
