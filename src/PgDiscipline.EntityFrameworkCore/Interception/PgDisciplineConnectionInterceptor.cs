using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgDiscipline.Interception;

/// <summary>Direct mode: puts the timeouts into the connection's startup options before it opens (no per-command cost).
/// After it opened: refuses a stale primary. With replicas: remembers the primary, and defers opening the primary
/// connection until a command needs it (so replica reads keep working while the primary is down).</summary>
internal sealed class PgDisciplineConnectionInterceptor(RuntimeReference reference) : DbConnectionInterceptor
{
    public override InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
        => Opening(connection, eventData, result);

    public override ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Opening(connection, eventData, result));

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (reference.Get(eventData.Context) is { } dependencies)
        {
            // EF Core's synchronous open: the check is one blocking round trip, once per physical connection.
            dependencies.Primary.Verify(connection, sync: true, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        => reference.Get(eventData.Context) is { } dependencies
            ? dependencies.Primary.Verify(connection, sync: false, cancellationToken).AsTask()
            : Task.CompletedTask;

    private InterceptionResult Opening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        if (reference.Get(eventData.Context) is not { } dependencies)
        {
            return result;
        }

        dependencies.Timeline.Remember(connection.ConnectionString);
        if (dependencies.Replicas.Configured)
        {
            dependencies.PrimaryPosition.See(connection);
            if (dependencies.Options.Value.LazyPrimaryConnection)
            {
                return InterceptionResult.Suppress(); // opened by the primary stage when a command needs it
            }
        }

        dependencies.Primary.ApplyStartupOptions(connection);
        return result;
    }
}
