namespace PgDiscipline;

/// <summary>
/// Base class of every exception PgDiscipline defines, so <c>catch (PgDisciplineException)</c> sees them all: a command
/// the runtime refused (<c>CommandRefusedException</c> in PgDiscipline.EntityFrameworkCore, with its fingerprint and
/// rule), a backfill that cannot run (<see cref="BackfillDefinitionException"/>, <see cref="BackfillLeaseException"/>).
/// One exception keeps a more specific base on purpose: <c>StalePrimaryException</c> is an <c>NpgsqlException</c>, because
/// EF Core wraps only database exceptions in <c>DbUpdateException</c> and Npgsql's retrying strategies look at
/// <c>NpgsqlException.IsTransient</c> (docs/configuration.md, "Exceptions").
/// </summary>
public abstract class PgDisciplineException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected PgDisciplineException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
