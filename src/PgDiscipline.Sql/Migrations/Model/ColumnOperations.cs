namespace PgDiscipline.Sql.Migrations;

/// <summary>An operation on one column of a table.</summary>
internal abstract record ColumnOperation(string Table, string Column) : TableOperation(Table)
{
    public override IEnumerable<RelationLock> Locks => Lock(Table, LockMode.AccessExclusive);

    public override IEnumerable<string> Names => new[] { Table, Column };
}

/// <summary><c>ALTER TABLE … ADD [COLUMN]</c> or EF Core's <c>AddColumn</c>.</summary>
internal sealed record AddColumn(string Table, ColumnDefinition Definition) : ColumnOperation(Table, Definition.Name)
{
    public bool IfNotExists { get; set; }

    public override string Verb => "ADD COLUMN";
}

/// <summary><c>ALTER TABLE … DROP [COLUMN]</c> or EF Core's <c>DropColumn</c>.</summary>
internal sealed record DropColumn(string Table, string Column) : ColumnOperation(Table, Column)
{
    public bool IfExists { get; set; }

    public override string Verb => "DROP COLUMN";
}

/// <summary><c>ALTER COLUMN … [SET DATA] TYPE</c> or EF Core's <c>AlterColumn</c> with a type change.</summary>
internal sealed record AlterColumnType(string Table, string Column, string NewType) : ColumnOperation(Table, Column)
{
    /// <summary>The type before the change: given by the call (EF Core's <c>oldType</c>), or filled in by the engine from
    /// the schema history; null when unknown.</summary>
    public string? OldType { get; set; }

    /// <summary>The <c>USING</c> expression, when there is one.</summary>
    public string? Using { get; set; }

    /// <summary>The <c>USING</c> expression is the column itself, bare or cast to the new type (<c>c::text</c>,
    /// <c>CAST(c AS text)</c>): the same conversion as without <c>USING</c>.</summary>
    public bool UsingIsPlainCast { get; set; }

    public bool HasCollate { get; set; }

    /// <summary>The operation states the column's whole definition, type included, whether or not the type changes (EF
    /// Core's <c>AlterColumn</c>): without the old type it is not known to change.</summary>
    public bool TypeRestated { get; set; }

    /// <summary>The type is really changed (or, for SQL, stated by an ALTER … TYPE).</summary>
    public bool ChangesType => !TypeRestated || (OldType is not null && PostgresFacts.NormalizeType(OldType) != PostgresFacts.NormalizeType(NewType));

    public override string Verb => "ALTER COLUMN … TYPE";
}

/// <summary><c>ALTER COLUMN … SET NOT NULL</c> or EF Core's <c>AlterColumn</c> to <c>nullable: false</c>.</summary>
internal sealed record SetNotNull(string Table, string Column) : ColumnOperation(Table, Column)
{
    public override string Verb => "ALTER COLUMN … SET NOT NULL";
}

/// <summary><c>ALTER COLUMN … DROP NOT NULL</c> or EF Core's <c>AlterColumn</c> to <c>nullable: true</c>.</summary>
internal sealed record DropNotNull(string Table, string Column) : ColumnOperation(Table, Column)
{
    public override string Verb => "ALTER COLUMN … DROP NOT NULL";
}

/// <summary><c>RENAME [COLUMN] a TO b</c> or EF Core's <c>RenameColumn</c>.</summary>
internal sealed record RenameColumn(string Table, string Column, string NewName) : ColumnOperation(Table, Column)
{
    public override string Verb => "RENAME COLUMN";

    public override IEnumerable<string> Names => new[] { Table, Column, NewName };
}

/// <summary><c>ALTER COLUMN … ADD GENERATED … AS IDENTITY</c>, or EF Core's <c>AlterColumn</c> gaining an identity.</summary>
internal sealed record AddIdentity(string Table, string Column) : ColumnOperation(Table, Column)
{
    public override string Verb => "ADD GENERATED AS IDENTITY";
}
