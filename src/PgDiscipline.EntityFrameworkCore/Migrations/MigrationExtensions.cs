using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PgDiscipline;

/// <summary>Migration helpers.</summary>
public static class MigrationExtensions
{
    /// <summary>
    /// <c>Database.MigrateAsync()</c>, retried with backoff (PgDiscipline's <c>Migrations:MaxAttempts</c>/<c>RetryBackoff</c>) when a
    /// migration gives up on its lock timeout (SQLSTATE 55P03): the failed migration's transaction was rolled back, so
    /// running the pending migrations again is safe.
    /// </summary>
    public static async Task MigrateWithRetryAsync(this DbContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = context.FindPgDisciplineRuntime()?.Options.Migrations ?? new MigrationGuardOptions();
        var backoff = options.RetryBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (IsLockTimeout(ex) && attempt < options.MaxAttempts)
            {
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = MigrationGuardOptions.NextBackoff(backoff);
            }
        }
    }

    private static bool IsLockTimeout(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable })
            {
                return true;
            }
        }

        return false;
    }
}
