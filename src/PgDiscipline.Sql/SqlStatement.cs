namespace PgDiscipline.Sql;

/// <summary>Facts about one SQL statement, from its tokens (no parse tree; see docs/fingerprints.md for limits).</summary>
public sealed class SqlStatement
{
    internal SqlStatement(
        int start,
        int length,
        SqlStatementKind kind,
        int joinCount,
        IReadOnlyList<string> tables,
        bool hasLockingClause,
        bool hasDataModifyingSubquery,
        bool isSelectInto,
        string? sideEffectFunction,
        SqlFingerprint fingerprint)
    {
        Start = start;
        Length = length;
        Kind = kind;
        JoinCount = joinCount;
        Tables = tables;
        HasLockingClause = hasLockingClause;
        HasDataModifyingSubquery = hasDataModifyingSubquery;
        IsSelectInto = isSelectInto;
        SideEffectFunction = sideEffectFunction;
        Fingerprint = fingerprint;
    }

    /// <summary>Offset of the statement in the command text.</summary>
    public int Start { get; }

    /// <summary>Length of the statement text (without its terminating <c>;</c>).</summary>
    public int Length { get; }

    /// <summary>The statement kind, from its main keyword (after any <c>WITH</c> clause).</summary>
    public SqlStatementKind Kind { get; }

    /// <summary>Joins the statement makes: every <c>JOIN</c> plus every comma join in a <c>FROM</c> list, subqueries included.</summary>
    public int JoinCount { get; }

    /// <summary>Relations the statement names (<c>schema.table</c> when qualified; unquoted names lower-cased, quoted ones as
    /// written, without quotes), in order of first appearance; CTE names and functions in <c>FROM</c> are left out.</summary>
    public IReadOnlyList<string> Tables { get; }

    /// <summary><c>FOR UPDATE</c>, <c>FOR NO KEY UPDATE</c>, <c>FOR SHARE</c> or <c>FOR KEY SHARE</c> anywhere in the statement.</summary>
    public bool HasLockingClause { get; }

    /// <summary>A data-modifying <c>WITH</c> query or subquery (<c>(INSERT …)</c>, <c>(UPDATE …)</c>, <c>(DELETE …)</c>, <c>(MERGE …)</c>).</summary>
    public bool HasDataModifyingSubquery { get; }

    /// <summary><c>SELECT … INTO new_table</c> (creates a table).</summary>
    public bool IsSelectInto { get; }

    /// <summary>The first side-effecting or primary-only function called (<c>nextval</c>, <c>pg_advisory_lock</c>, …), or null.</summary>
    public string? SideEffectFunction { get; }

    /// <summary>The statement's own fingerprint.</summary>
    public SqlFingerprint Fingerprint { get; }

    /// <summary>True when a streaming replica can serve the statement: a plain read with no locking clause, no
    /// data-modifying subquery, no <c>SELECT INTO</c>, and no side-effecting or primary-only function.</summary>
    public bool IsReplicaSafe =>
        Kind == SqlStatementKind.Select && !HasLockingClause && !HasDataModifyingSubquery && !IsSelectInto && SideEffectFunction is null;
}

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
