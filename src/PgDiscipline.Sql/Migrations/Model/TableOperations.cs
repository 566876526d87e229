namespace PgDiscipline.Sql.Migrations;

/// <summary><c>CREATE TABLE</c> (also <c>… AS</c>, <c>PARTITION OF</c>) or EF Core's <c>CreateTable</c>.</summary>
internal sealed record CreateTable(string Table) : TableOperation(Table)
{
    public IReadOnlyList<ColumnDefinition> Columns { get; set; } = Array.Empty<ColumnDefinition>();

    /// <summary>Columns of a <c>PRIMARY KEY</c> (inline or table constraint).</summary>
    public IReadOnlyList<string> KeyColumns { get; set; } = Array.Empty<string>();

    /// <summary>Columns of its UNIQUE constraints (inline or table constraints).</summary>
    public IReadOnlyList<string> UniqueColumns { get; set; } = Array.Empty<string>();

    /// <summary>Tables named by its foreign keys.</summary>
    public IReadOnlyList<string> References { get; set; } = Array.Empty<string>();

    public bool Temporary { get; set; }

    /// <summary>Created with rows (<c>CREATE TABLE … AS</c> with data): not empty, so not new.</summary>
    public bool Filled { get; set; }

    public bool IfNotExists { get; set; }

    /// <summary><c>ON COMMIT DROP</c>.</summary>
    public bool DroppedOnCommit { get; set; }

    public override string Verb => "CREATE TABLE";

    /// <summary>A foreign key takes SHARE ROW EXCLUSIVE on the table it references.</summary>
    public override IEnumerable<RelationLock> Locks => References.Where(r => !NameEquals(r, Table)).Select(r => new RelationLock(r, LockMode.ShareRowExclusive));

    public override IEnumerable<string> Names => Columns.Select(c => c.Name).Prepend(Table);

    private static bool NameEquals(string a, string b) => SchemaNames.Bare(a) == SchemaNames.Bare(b);
}

/// <summary><c>DROP TABLE</c> or EF Core's <c>DropTable</c> (one record per table).</summary>
internal sealed record DropTable(string Table) : TableOperation(Table)
{
    public bool IfExists { get; set; }

    public bool Cascade { get; set; }

    public override string Verb => "DROP TABLE";

    public override IEnumerable<RelationLock> Locks => Lock(Table, LockMode.AccessExclusive);
}

/// <summary><c>ALTER TABLE … RENAME TO</c> or EF Core's <c>RenameTable</c>.</summary>
internal sealed record RenameTable(string Table, string NewName) : TableOperation(Table)
{
    public override string Verb => "ALTER TABLE … RENAME TO";

    public override IEnumerable<RelationLock> Locks => Lock(Table, LockMode.AccessExclusive);

    public override IEnumerable<string> Names => new[] { Table, NewName };
}

/// <summary>Any other <c>ALTER TABLE</c> action (SET DEFAULT, ENABLE TRIGGER, SET (fillfactor …) …), with the lock it takes.</summary>
internal sealed record OtherTableAction(string Table, string Action, LockMode Mode) : TableOperation(Table)
{
    public override string Verb => "ALTER TABLE … " + Action;

    public override IEnumerable<RelationLock> Locks => Lock(Table, Mode);
}

/// <summary><c>ALTER TABLE … DETACH PARTITION</c>.</summary>
internal sealed record DetachPartition(string Table, string Partition) : TableOperation(Table)
{
    public bool Concurrently { get; set; }

    /// <summary><c>FINALIZE</c>: completes an interrupted concurrent detach.</summary>
    public bool Finalize { get; set; }

    public override string Verb => "ALTER TABLE … DETACH PARTITION";

    public override IEnumerable<RelationLock> Locks => Lock(Table, Concurrently || Finalize ? LockMode.ShareUpdateExclusive : LockMode.AccessExclusive);
}

/// <summary><c>CREATE [OR REPLACE] [MATERIALIZED] VIEW</c>.</summary>
internal sealed record CreateView(string Table) : TableOperation(Table)
{
    public bool OrReplace { get; set; }

    public bool Materialized { get; set; }

    /// <summary>Its column names (the explicit list, or the query's output names where they can be told).</summary>
    public IReadOnlyList<string> Columns { get; set; } = Array.Empty<string>();

    public override string Verb => OrReplace ? "CREATE OR REPLACE VIEW" : Materialized ? "CREATE MATERIALIZED VIEW" : "CREATE VIEW";

    /// <summary>Replacing a view takes ACCESS EXCLUSIVE on it (queries of the view wait until commit).</summary>
    public override IEnumerable<RelationLock> Locks => OrReplace ? Lock(Table, LockMode.AccessExclusive) : base.Locks;
}

/// <summary><c>DROP [MATERIALIZED] VIEW</c> (one record per view).</summary>
internal sealed record DropView(string Table) : TableOperation(Table)
{
    public bool Materialized { get; set; }

    public bool IfExists { get; set; }

    public override string Verb => Materialized ? "DROP MATERIALIZED VIEW" : "DROP VIEW";

    public override IEnumerable<RelationLock> Locks => Lock(Table, LockMode.AccessExclusive);
}

/// <summary><c>REFRESH MATERIALIZED VIEW</c>.</summary>
internal sealed record RefreshMaterializedView(string Table) : TableOperation(Table)
{
    public bool Concurrently { get; set; }

    public override string Verb => "REFRESH MATERIALIZED VIEW";

    /// <summary>CONCURRENTLY takes EXCLUSIVE: reads go on, writes to a materialized view do not exist.</summary>
    public override IEnumerable<RelationLock> Locks => Lock(Table, Concurrently ? LockMode.Exclusive : LockMode.AccessExclusive);
}

/// <summary><c>TRUNCATE</c> (one record per table).</summary>
internal sealed record Truncate(string Table) : TableOperation(Table)
{
    public bool Cascade { get; set; }

    public override string Verb => "TRUNCATE";

    public override IEnumerable<RelationLock> Locks => Lock(Table, LockMode.AccessExclusive);
}

/// <summary><c>LOCK [TABLE]</c> (one record per table), ACCESS EXCLUSIVE unless a mode is given.</summary>
internal sealed record LockTable(string Table, LockMode Mode) : TableOperation(Table)
{
    public override string Verb => "LOCK TABLE";

    public override IEnumerable<RelationLock> Locks => Lock(Table, Mode);
}

/// <summary><c>CLUSTER</c> (a table, or every previously clustered table when none is named).</summary>
internal sealed record Cluster(string Table) : TableOperation(Table)
{
    public override string Verb => "CLUSTER";

    public override IEnumerable<RelationLock> Locks => Lock(Table, LockMode.AccessExclusive);
}

/// <summary><c>VACUUM</c>, FULL or not.</summary>
internal sealed record Vacuum(string Table, bool Full) : TableOperation(Table)
{
    public override string Verb => Full ? "VACUUM FULL" : "VACUUM";

    public override IEnumerable<RelationLock> Locks => Lock(Table, Full ? LockMode.AccessExclusive : LockMode.ShareUpdateExclusive);
}

/// <summary><c>UPDATE</c> or <c>DELETE</c>.</summary>
internal sealed record RowsChange(string Table, bool Delete) : TableOperation(Table)
{
    public bool HasWhere { get; set; }

    /// <summary>The columns an UPDATE's SET list assigns, in order.</summary>
    public IReadOnlyList<AssignedColumn> Assigned { get; set; } = Array.Empty<AssignedColumn>();

    public override string Verb => Delete ? "DELETE" : "UPDATE";
}

/// <summary><c>INSERT</c> with a column list.</summary>
internal sealed record InsertRows(string Table) : TableOperation(Table)
{
    /// <summary>The column list, in order.</summary>
    public IReadOnlyList<AssignedColumn> Assigned { get; set; } = Array.Empty<AssignedColumn>();

    public override string Verb => "INSERT";
}

/// <summary><c>SELECT … INTO t</c>: creates a table with rows.</summary>
internal sealed record SelectInto(string Table) : TableOperation(Table)
{
    public IReadOnlyList<string> Columns { get; set; } = Array.Empty<string>();

    public override string Verb => "SELECT … INTO";
}

/// <summary><c>CREATE [CONSTRAINT] TRIGGER … ON t</c>: SHARE ROW EXCLUSIVE on the table.</summary>
internal sealed record CreateTrigger(string Table) : TableOperation(Table)
{
    public override string Verb => "CREATE TRIGGER";

    public override IEnumerable<RelationLock> Locks => Lock(Table, LockMode.ShareRowExclusive);
}

/// <summary><c>DROP TRIGGER … ON t</c>: ACCESS EXCLUSIVE on the table.</summary>
internal sealed record DropTrigger(string Table) : TableOperation(Table)
{
    public override string Verb => "DROP TRIGGER";

    public override IEnumerable<RelationLock> Locks => Lock(Table, LockMode.AccessExclusive);
}

/// <summary>A column an UPDATE or INSERT assigns: whole, or partly (<c>a.x</c>, <c>a[1]</c>).</summary>
internal readonly record struct AssignedColumn(string Name, bool Partial);
