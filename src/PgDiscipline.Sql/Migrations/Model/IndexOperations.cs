namespace PgDiscipline.Sql.Migrations;

/// <summary><c>CREATE [UNIQUE] INDEX</c> or EF Core's <c>CreateIndex</c>.</summary>
internal sealed record CreateIndex(string? Name, string Table) : TableOperation(Table)
{
    public bool Concurrently { get; set; }

    public bool Unique { get; set; }

    public bool IfNotExists { get; set; }

    /// <summary>The columns it indexes by name (expressions left out).</summary>
    public IReadOnlyList<string> Columns { get; set; } = Array.Empty<string>();

    public override string Verb => Concurrently ? "CREATE INDEX CONCURRENTLY" : "CREATE INDEX";

    public override IEnumerable<RelationLock> Locks => Lock(Table, Concurrently ? LockMode.ShareUpdateExclusive : LockMode.Share);

    public override IEnumerable<string> Names => Name is null ? new[] { Table } : new[] { Name, Table };
}

/// <summary><c>DROP INDEX</c> or EF Core's <c>DropIndex</c> (one record per index). <c>Table</c> is the index's
/// table when known (EF Core names it; for SQL the engine looks the index up), else the index name.</summary>
internal sealed record DropIndex(string Name, string Table) : TableOperation(Table)
{
    public bool Concurrently { get; set; }

    public bool IfExists { get; set; }

    public override string Verb => Concurrently ? "DROP INDEX CONCURRENTLY" : "DROP INDEX";

    public override IEnumerable<RelationLock> Locks => Lock(Table, Concurrently ? LockMode.ShareUpdateExclusive : LockMode.AccessExclusive);

    public override IEnumerable<string> Names => new[] { Name };
}

/// <summary><c>REINDEX {INDEX | TABLE | SCHEMA | DATABASE | SYSTEM} name</c>.</summary>
internal sealed record Reindex(string Kind, string Target) : SchemaOperation
{
    public bool Concurrently { get; set; }

    public override string Verb => "REINDEX " + Kind.ToUpperInvariant();

    /// <summary>Without CONCURRENTLY: SHARE on the table (writes wait), ACCESS EXCLUSIVE on the indexes (reads using them wait).</summary>
    public override IEnumerable<RelationLock> Locks => Lock(Target, Concurrently ? LockMode.ShareUpdateExclusive : LockMode.AccessExclusive);
}
