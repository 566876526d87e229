using Npgsql;

namespace PgDiscipline;

/// <summary>
/// Thrown when the primary connection reached a server on an older timeline than the newest PgDiscipline has seen — an
/// old primary that came back writable after its standby was promoted — and no other host of the connection string is
/// left to try. Not transient (<see cref="NpgsqlException.IsTransient"/> is false): retrying cannot help until someone
/// fences or rebuilds the old server (or re-points the name the connection string uses), so a retrying execution
/// strategy does not hammer it. EF Core puts it inside a <c>DbUpdateException</c> for SaveChanges.
/// </summary>
/// <remarks>The one exception of the runtime that is not a <see cref="PgDisciplineException"/>: it is raised where EF Core and
/// Npgsql expect database exceptions (a connection opening), and code that catches <see cref="NpgsqlException"/> or
/// <c>DbException</c> for a failed connection, EF Core's SaveChanges wrapping and retrying strategies must see it as one
/// (docs/configuration.md, "Exceptions").</remarks>
public sealed class StalePrimaryException : NpgsqlException
{
    /// <summary>Creates the exception.</summary>
    public StalePrimaryException(string host, long timeline, long newestTimeline)
        : base($"Refused the primary connection to {host}: it is on timeline {timeline}, but timeline {newestTimeline} has been seen (a promoted standby); writes there would be lost. Fence or rebuild {host}.")
    {
        Host = host;
        Timeline = timeline;
        NewestTimeline = newestTimeline;
    }

    /// <summary>The refused server (<c>host:port</c>).</summary>
    public string Host { get; }

    /// <summary>The refused server's timeline.</summary>
    public long Timeline { get; }

    /// <summary>The newest timeline seen.</summary>
    public long NewestTimeline { get; }

    /// <inheritdoc />
    public override bool IsTransient => false;
}
