using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgDiscipline.Interception;

/// <summary>Direct mode: puts the timeouts into the connection's startup options before it opens (no per-command cost).
/// With replicas: remembers the primary, and defers opening the primary connection until a command needs it.</summary>
internal sealed class PgDisciplineConnectionInterceptor(RuntimeReference reference) : DbConnectionInterceptor
{
    public override InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
        => Opening(connection, eventData, result);

    public override ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Opening(connection, eventData, result));

    private InterceptionResult Opening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        if (runtime.Router is { } router)
        {
            router.SeePrimary(connection.ConnectionString);
            if (runtime.Options.LazyPrimaryConnection)
            {
                return InterceptionResult.Suppress(); // opened by EnsureOpen when a command needs the primary
            }
        }

        runtime.Primary.ApplyStartupOptions(connection);
        return result;
    }
}
