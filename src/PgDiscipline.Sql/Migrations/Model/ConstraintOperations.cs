namespace PgDiscipline.Sql.Migrations;

internal enum ConstraintKind : byte
{
    Check,
    ForeignKey,
    Unique,
    PrimaryKey,
    Exclude,
}

/// <summary><c>ALTER TABLE … ADD [CONSTRAINT n] …</c> or EF Core's <c>AddForeignKey</c>, <c>AddUniqueConstraint</c>,
/// <c>AddPrimaryKey</c>, <c>AddCheckConstraint</c>.</summary>
internal sealed record AddConstraint(string Table, string? Name, ConstraintKind Kind) : TableOperation(Table)
{
    public bool NotValid { get; set; }

    /// <summary><c>UNIQUE / PRIMARY KEY USING INDEX</c>: the index exists already; no build.</summary>
    public bool UsingIndex { get; set; }

    /// <summary>The table a foreign key references.</summary>
    public string? Referenced { get; set; }

    /// <summary>The columns of a UNIQUE or PRIMARY KEY constraint (indexed from then on).</summary>
    public IReadOnlyList<string> Columns { get; set; } = Array.Empty<string>();

    /// <summary>The column of a <c>CHECK (c IS NOT NULL)</c>.</summary>
    public string? NotNullColumn { get; set; }

    public override string Verb => "ADD CONSTRAINT";

    /// <summary>A foreign key takes SHARE ROW EXCLUSIVE on both tables; other constraints ACCESS EXCLUSIVE.</summary>
    public override IEnumerable<RelationLock> Locks => Kind == ConstraintKind.ForeignKey
        ? new[] { new RelationLock(Table, LockMode.ShareRowExclusive) }.Concat(Referenced is null ? Array.Empty<RelationLock>() : new[] { new RelationLock(Referenced, LockMode.ShareRowExclusive) })
        : Lock(Table, LockMode.AccessExclusive);

    public override IEnumerable<string> Names => Name is null ? new[] { Table } : new[] { Table, Name };
}

/// <summary><c>ALTER TABLE … VALIDATE CONSTRAINT</c>: SHARE UPDATE EXCLUSIVE, reads and writes go on.</summary>
internal sealed record ValidateConstraint(string Table, string Name) : TableOperation(Table)
{
    public override string Verb => "VALIDATE CONSTRAINT";

    public override IEnumerable<RelationLock> Locks => Lock(Table, LockMode.ShareUpdateExclusive);
}

/// <summary><c>ALTER TABLE … DROP CONSTRAINT</c>.</summary>
internal sealed record DropConstraint(string Table, string Name) : TableOperation(Table)
{
    public bool IfExists { get; set; }

    public override string Verb => "DROP CONSTRAINT";

    public override IEnumerable<RelationLock> Locks => Lock(Table, LockMode.AccessExclusive);
}
