using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PgDiscipline.HighAvailability;

namespace PgDiscipline.Interception;

/// <summary>Direct mode: puts the timeouts into the connection's startup options before it opens (no per-command cost).
/// After it opened: refuses a stale primary (<see cref="PrimaryTimelineGuard"/>). With replicas: remembers the primary, and defers opening the primary connection until a command needs it.</summary>
internal sealed class PgDisciplineConnectionInterceptor(RuntimeReference reference) : DbConnectionInterceptor
{
    public override InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
        => Opening(connection, eventData, result);

    public override ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Opening(connection, eventData, result));

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (reference.Get(eventData.Context) is { } runtime)
        {
            // EF Core's synchronous open: the check is one blocking round trip, once per physical connection.
            runtime.Primary.Verify(connection, sync: true, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        => reference.Get(eventData.Context) is { } runtime
            ? runtime.Primary.Verify(connection, sync: false, cancellationToken).AsTask()
            : Task.CompletedTask;

    private InterceptionResult Opening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        runtime.Timeline.Remember(connection.ConnectionString);
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
