using System.Data;
using System.Data.Common;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using PgDiscipline.Pipeline;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.Routing;

/// <summary>
/// One try of a read on one replica, bounded by the execution's timeouts as they apply there (a tag's or rule's
/// statement timeout, else the replica's, else the configured one; plus the client margin): opening the connection, the
/// freshness probe, the read and its first row. A server that does not answer within that bound, or fails at connection
/// level before the read's first row reached EF Core, costs the read this try only: the caller tries elsewhere.
/// </summary>
internal sealed class ReplicaAttempt(ReplicaAdmission admission, ILogger logger, TimeProvider time)
{
    /// <summary>After a probe found a replica behind, further probes of it wait this long (replay stopped or slow).</summary>
    internal static readonly TimeSpan ProbePause = TimeSpan.FromMilliseconds(5);

    internal enum Outcome
    {
        Served,
        Behind,
        Failed,
    }

    /// <summary>The timestamp before which a probe that found a replica behind no longer keeps reads from probing it.</summary>
    public long ProbeableSince() => time.GetTimestamp() - (long)(ProbePause.TotalSeconds * time.TimestampFrequency);

    /// <summary>How long the client waits for <paramref name="replica"/> to answer <paramref name="execution"/>'s read.</summary>
    public static TimeSpan ClientBound(CommandExecution execution, ReplicaEndpoint replica)
        => ExecutionTimeouts.ClientBound(execution.Plan.StatementTimeoutOverride ?? replica.StatementTimeout)
           ?? (execution.Command.CommandTimeout > 0 ? TimeSpan.FromSeconds(execution.Command.CommandTimeout) : Timeout.InfiniteTimeSpan);

    /// <summary>Runs the read on <paramref name="replica"/> (on <paramref name="connection"/> when the caller opened one
    /// there already, having entered the replica), with the probe in the same round trip when <paramref name="probeFor"/>
    /// is given: a replica found behind it gives <see cref="Outcome.Behind"/> and its result is discarded.</summary>
    public async ValueTask<(Outcome Outcome, Served Served)> RunAsync(CommandExecution execution, ReplicaEndpoint replica, NpgsqlLogSequenceNumber? probeFor,
        CancellationToken cancellationToken, NpgsqlConnection? connection = null)
    {
        var sync = execution.Sync;
        if (connection is null)
        {
            replica.Enter();
        }

        var bound = ClientBound(execution, replica);
        using var deadline = bound == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(bound, time);
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked?.Token ?? cancellationToken;
        DbDataReader? reader = null;
        try
        {
            connection ??= sync ? replica.DataSource.OpenConnection() : await replica.DataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            var command = ShapeExecutor.CopyTo(connection, execution.Command);
            command.CommandTimeout = bound == Timeout.InfiniteTimeSpan ? 0 : (int)Math.Max(1, Math.Ceiling(bound.TotalSeconds));
            var shape = new CommandShape { Prefix = execution.Plan.OutsidePrefix, Probe = probeFor is not null };
            (reader, var answer) = await ShapeExecutor.ExecuteReaderAsync(command, execution.Plan, shape, CommandBehavior.CloseConnection, sync, token).ConfigureAwait(false);
            if (probeFor is { } required && !HasReplayed(replica, answer, required))
            {
                await reader.DisposeAsync().ConfigureAwait(false);
                replica.Leave();
                return (Outcome.Behind, Served.None);
            }

            // The first row (or the end) is read here, inside the bound: a server that fails before it costs a retry, not a
            // failed read.
            var first = sync ? reader.Read() : await reader.ReadAsync(token).ConfigureAwait(false);
            execution.RanOn(replica.Index, replica, replica.Name, replica.Host, replica.Port);
            PgDisciplineTelemetry.Reads.Add(1, new KeyValuePair<string, object?>("pgdiscipline.target", replica.Name));
            return (Outcome.Served, Served.WithReaderAfterFirstRead(reader, first));
        }
        catch (Exception ex) when (IsConnectionLevel(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await CloseAsync(reader, connection).ConfigureAwait(false);
            replica.Leave();
            var error = ex is OperationCanceledException ? "no answer within " + bound.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " ms"
                : ex is PostgresException pg ? pg.SqlState : ex.GetType().Name;
            admission.MarkFailed(replica, "read failed: " + error);
            Log.ReplicaReadFailed(logger, replica.Name, error);
            return (Outcome.Failed, Served.None);
        }
        catch
        {
            await CloseAsync(reader, connection).ConfigureAwait(false);
            replica.Leave();
            throw;
        }
    }

    /// <summary>Asks <paramref name="replica"/> on <paramref name="connection"/> whether it has replayed
    /// <paramref name="required"/>, within the read's bound.</summary>
    public async ValueTask<bool> HasReplayedAsync(CommandExecution execution, ReplicaEndpoint replica, NpgsqlConnection connection, NpgsqlLogSequenceNumber required, CancellationToken cancellationToken)
    {
        await using var probe = connection.CreateCommand();
        probe.CommandText = ShapeSql.ProbeSql;
        var bound = ClientBound(execution, replica);
        probe.CommandTimeout = bound == Timeout.InfiniteTimeSpan ? 0 : (int)Math.Max(1, Math.Ceiling(bound.TotalSeconds));
        using var deadline = bound == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(bound, time);
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked?.Token ?? cancellationToken;
        var text = (execution.Sync ? probe.ExecuteScalar() : await probe.ExecuteScalarAsync(token).ConfigureAwait(false)) as string;
        return HasReplayed(replica, text, required);
    }

    /// <summary>Judges a probe's answer (<c>pg_last_wal_replay_lsn()</c> as text, or null): raises the replica's known
    /// position, and when it is behind <paramref name="required"/> pauses further probes of it briefly.</summary>
    private bool HasReplayed(ReplicaEndpoint replica, string? answer, NpgsqlLogSequenceNumber required)
    {
        if (Lsns.TryParse(answer, out var replayed))
        {
            replica.SawReplay(replayed);
            if (replayed >= required)
            {
                return true;
            }
        }

        replica.ProbedBehindAt = time.GetTimestamp();
        return false;
    }

    private static async ValueTask CloseAsync(DbDataReader? reader, NpgsqlConnection? connection)
    {
        if (reader is not null)
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Errors that say the server or the connection is unusable, as opposed to an error of the statement.</summary>
    internal static bool IsConnectionLevel(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState is "57P01" or "57P02" or "57P03" or "53300" or "58P01",
        NpgsqlException => true, // socket, I/O, connect timeout
        System.Net.Sockets.SocketException or IOException or TimeoutException => true,
        _ => false,
    };
}
