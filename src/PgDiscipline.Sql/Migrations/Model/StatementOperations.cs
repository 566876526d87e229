namespace PgDiscipline.Sql.Migrations;

internal enum TransactionVerb : byte
{
    Begin,
    Commit,
    Rollback,

    /// <summary><c>SAVEPOINT</c>, <c>RELEASE</c>, <c>ROLLBACK TO</c>: the transaction goes on.</summary>
    Savepoint,
}

/// <summary><c>BEGIN</c> / <c>START TRANSACTION</c>, <c>COMMIT</c> / <c>END</c>, <c>ROLLBACK</c> / <c>ABORT</c>.</summary>
internal sealed record TransactionControl(TransactionVerb Kind) : SchemaOperation
{
    public override string Verb => Kind.ToString().ToUpperInvariant();
}

/// <summary><c>SET [SESSION | LOCAL] name …</c>, or <c>set_config('name', …, is_local)</c>.</summary>
internal sealed record SetSetting(string Name, bool Local) : SchemaOperation
{
    /// <summary>The value turns the setting off (<c>0</c>, <c>'0ms'</c>, <c>DEFAULT</c>): a timeout of 0 is no timeout.</summary>
    public bool Off { get; set; }

    public override string Verb => "SET";
}

/// <summary><c>RESET name</c> or <c>RESET ALL</c> (<see cref="Name"/> "all").</summary>
internal sealed record ResetSetting(string Name) : SchemaOperation
{
    public override string Verb => "RESET";
}

/// <summary><c>CREATE [OR REPLACE] FUNCTION / PROCEDURE</c>: VOLATILE unless declared IMMUTABLE or STABLE.</summary>
internal sealed record CreateFunction(string Name, bool NonVolatile) : SchemaOperation
{
    public override string Verb => "CREATE FUNCTION";
}

/// <summary><c>CREATE DOMAIN</c>.</summary>
internal sealed record CreateDomain(string Name, bool HasConstraint) : SchemaOperation
{
    public override string Verb => "CREATE DOMAIN";

    public override IEnumerable<string> Names => new[] { Name };
}

/// <summary><c>ALTER DOMAIN … ADD [CONSTRAINT n] …</c>: checks every column of the domain in every table.</summary>
internal sealed record AlterDomainAddConstraint(string Name, bool NotValid) : SchemaOperation
{
    public override string Verb => "ALTER DOMAIN … ADD CONSTRAINT";
}

/// <summary><c>ALTER TYPE … ADD VALUE</c>.</summary>
internal sealed record AddEnumValue(string Type, bool Positioned) : SchemaOperation
{
    public override string Verb => "ALTER TYPE … ADD VALUE";
}

/// <summary><c>DROP DATABASE</c>.</summary>
internal sealed record DropDatabase(string Name) : SchemaOperation
{
    public override string Verb => "DROP DATABASE";
}

/// <summary><c>DROP TYPE</c> (one record per type).</summary>
internal sealed record DropType(string Name) : SchemaOperation
{
    public bool IfExists { get; set; }

    public bool Cascade { get; set; }

    public override string Verb => "DROP TYPE";

    public override IEnumerable<RelationLock> Locks => Cascade ? DropCascade.DependentTables(Name) : base.Locks;
}

/// <summary><c>DROP {SCHEMA | FUNCTION | PROCEDURE | DOMAIN | EXTENSION | SEQUENCE …} … CASCADE</c>: it also drops what
/// depends on the object — triggers, columns, defaults of tables — taking ACCESS EXCLUSIVE on each of those tables, which
/// a script does not name.</summary>
internal sealed record DropCascade(string Kind, string Name) : SchemaOperation
{
    public override string Verb => "DROP " + Kind.ToUpperInvariant() + " … CASCADE";

    public override IEnumerable<RelationLock> Locks => DependentTables(Name);

    internal static IEnumerable<RelationLock> DependentTables(string name)
        => new[] { new RelationLock("the tables whose triggers, columns or defaults depend on " + name, LockMode.AccessExclusive) };
}

/// <summary>Identifiers a statement names that may be longer than PostgreSQL keeps (only names of more than 21
/// characters are listed: anything shorter fits in 63 UTF-8 bytes).</summary>
internal sealed record LongIdentifiers(IReadOnlyList<string> Identifiers) : SchemaOperation
{
    public override string Verb => "statement";
}

/// <summary>SQL PostgreSQL will reject, as far as the reader can tell without its grammar.</summary>
internal sealed record Unparsable(string Message) : SchemaOperation
{
    public override string Verb => "statement";
}

/// <summary>A statement the rules have nothing to say about (COMMENT ON, GRANT, INSERT without a column list …),
/// kept so rules that follow statements (transactions, robustness) see it.</summary>
internal sealed record OtherStatement(string Keyword) : SchemaOperation
{
    public override string Verb => Keyword.ToUpperInvariant();
}
