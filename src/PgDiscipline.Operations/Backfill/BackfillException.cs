namespace PgDiscipline;

/// <summary>A backfill definition or its options cannot run: unknown table or key column, a key that is not unique and
/// not null, a statement without its bounds, a name already used for another definition. Thrown before anything is
/// written.</summary>
public sealed class BackfillDefinitionException : PgDisciplineException
{
    /// <summary>Creates the exception.</summary>
    public BackfillDefinitionException(string backfill, string message)
        : base($"Backfill '{backfill}': {message}")
    {
        Backfill = backfill;
    }

    /// <summary>The backfill's name.</summary>
    public string Backfill { get; }
}

/// <summary>Another runner holds the backfill (two runners never work on one backfill at once).</summary>
public sealed class BackfillLeaseException : PgDisciplineException
{
    /// <summary>Creates the exception.</summary>
    public BackfillLeaseException(string backfill, string? owner)
        : base($"Backfill '{backfill}' is being run by {owner ?? "another runner"}; it will not run twice at once (wait for it, or set WaitForOtherRunner to wait).")
    {
        Backfill = backfill;
        Owner = owner;
    }

    /// <summary>The backfill's name.</summary>
    public string Backfill { get; }

    /// <summary>The runner holding it (host:process:id), as it recorded itself.</summary>
    public string? Owner { get; }
}
