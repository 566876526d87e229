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
