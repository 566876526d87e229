namespace PgDiscipline.Sql.Migrations;

/// <summary>Where an operation was written: a SQL statement (lint, guard, raw <c>Sql(…)</c>) or a typed EF Core
/// <c>MigrationBuilder</c> call. Rules decide the same way for both; only the advice they give differs.</summary>
internal enum OperationSource : byte
{
    Sql,
    EfCore,
}

/// <summary>PostgreSQL's table lock modes, weakest first (the order of the lock conflict table).</summary>
internal enum LockMode : byte
{
    None,
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

/// <summary>A lock an operation takes on a relation (table, view or index) until its transaction ends.</summary>
internal readonly struct RelationLock
{
    public RelationLock(string relation, LockMode mode)
    {
        Relation = relation;
        Mode = mode;
    }

    public string Relation { get; }

    public LockMode Mode { get; }

    /// <summary>Whether an application's reads or writes queue behind it: SHARE and stronger block writes, ACCESS
    /// EXCLUSIVE blocks reads too; the weaker modes only conflict with DDL and VACUUM.</summary>
    public bool BlocksApplication => Mode >= LockMode.Share;
}

/// <summary>
/// One schema operation, as both front ends produce it: the SQL reader from a statement, the analyzer from a
/// <c>MigrationBuilder</c> call. The engine fills in what the schema history knows (<see cref="TableOperation.TableIsNew"/>,
/// old column types) before any rule sees it, so rules decide over these records alone. Properties have setters rather
/// than <c>init</c> accessors: the analyzer (netstandard2.0) builds these records against this assembly's netstandard2.0
/// build, and an <c>init</c> accessor's signature differs between that build and the net10.0 one.
/// </summary>
internal abstract record SchemaOperation
{
    /// <summary>Where it was written: an offset in the script (SQL) or the index of the call (EF Core).</summary>
    public int Site { get; set; }

    public OperationSource Source { get; set; }

    /// <summary>The statement (SQL) or call (EF Core) it belongs to: one ALTER TABLE statement can hold several operations.</summary>
    public int Statement { get; set; }

    /// <summary>The statement's text as written (names the operation in messages), e.g. <c>CREATE INDEX</c>.</summary>
    public abstract string Verb { get; }

    /// <summary>The locks it takes, whoever holds the relation (the engine tells rules which relations exist).</summary>
    public virtual IEnumerable<RelationLock> Locks => Array.Empty<RelationLock>();

    /// <summary>Names it defines or refers to (identifier length checks).</summary>
    public virtual IEnumerable<string> Names => Array.Empty<string>();

    protected static IEnumerable<RelationLock> Lock(string relation, LockMode mode) => new[] { new RelationLock(relation, mode) };
}

/// <summary>An operation on one table (or view).</summary>
internal abstract record TableOperation(string Table) : SchemaOperation
{
    /// <summary>Created earlier in the same migration (script or <c>Up</c>) and empty: nothing queues behind it.</summary>
    public bool TableIsNew { get; set; }

    /// <summary>Written with a schema (<c>public.t</c>).</summary>
    public bool Qualified => Table.IndexOf('.') >= 0;

    public override IEnumerable<string> Names => new[] { Table };
}
