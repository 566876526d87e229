using System.Globalization;
using Npgsql;

namespace PgDiscipline.Operations.Backfill;

/// <summary>
/// One runner per backfill at a time: a session-level advisory lock, <c>(hashtext('pgdiscipline.backfill'),
/// hashtext(name))</c>, on a connection the runner keeps open for the whole run, so PostgreSQL releases it the moment the
/// runner's process dies. <c>backfill status</c> reads the same lock to tell a live runner from a dead one.
/// </summary>
internal sealed class BackfillLease(NpgsqlConnection connection, string name, TimeProvider time)
{
    /// <summary>A runner's identity in the progress row: host:process:id.</summary>
    public static string NewOwner() => $"{Environment.MachineName}:{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Takes the lock. Held by another runner: waits (<paramref name="wait"/>, looking again every
    /// <paramref name="interval"/>) or throws <see cref="BackfillLeaseException"/> naming the holder as it recorded itself.</summary>
    public async Task AcquireAsync(bool wait, TimeSpan interval, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using (var cmd = new NpgsqlCommand("select pg_try_advisory_lock(hashtext('pgdiscipline.backfill'), hashtext($1))", connection) { Parameters = { new() { Value = name } } })
            {
                if ((bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    return;
                }
            }

            if (!wait)
            {
                await using var owner = new NpgsqlCommand("select owner from pgdiscipline.backfills where name = $1", connection) { Parameters = { new() { Value = name } } };
                throw new BackfillLeaseException(name, await owner.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string);
            }

            await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Releases the lock; a broken connection released it with its session already.</summary>
    public async Task ReleaseAsync()
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            await using var unlock = new NpgsqlCommand("select pg_advisory_unlock(hashtext('pgdiscipline.backfill'), hashtext($1))", connection) { Parameters = { new() { Value = name } } };
            await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The connection broke: PostgreSQL released the lock with the session.
        }
    }
}
