using System.Data;
using System.Data.Common;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using PgDiscipline.Pipeline;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.Routing;

/// <summary>
/// One try of a read on one replica, bounded by the execution's timeouts as they apply there (a tag's or rule's statement
/// timeout, else the replica's, else the configured one; plus the client margin): opening the connection, waiting for
/// the replica to replay the session's write, the freshness probe, the read and its first row. A server that does not
/// answer within that bound, or fails at connection level before the read's first row reached EF Core, costs the read
/// this try only: the caller tries elsewhere (see <see cref="Bounded"/> for why the bound is kept from outside).
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

    /// <summary>What one try produced (the reader is positioned on the application's first result, its first row read,
    /// unless <c>Buffered</c>: then it replays its rows from the start, see <see cref="ReplicaResultBuffer"/>).</summary>
    private readonly record struct Result(Outcome Outcome, DbDataReader? Reader, bool FirstRead, bool Buffered = false);

    /// <summary>The timestamp before which a probe that found a replica behind no longer keeps reads from probing it.</summary>
    public long ProbeableSince() => time.GetTimestamp() - (long)(ProbePause.TotalSeconds * time.TimestampFrequency);

    /// <summary>How long the client waits for <paramref name="replica"/> to answer <paramref name="execution"/>'s read.</summary>
    public static TimeSpan ClientBound(CommandExecution execution, ReplicaEndpoint replica)
        => ExecutionTimeouts.ClientBound(execution.Plan.StatementTimeoutOverride ?? replica.StatementTimeout)
           ?? (execution.Command.CommandTimeout > 0 ? TimeSpan.FromSeconds(execution.Command.CommandTimeout) : Timeout.InfiniteTimeSpan);

    /// <summary>Runs the read on <paramref name="replica"/>. With <paramref name="probeFor"/> the replica's replay position
    /// is asked in the same round trip, and a replica found behind gives <see cref="Outcome.Behind"/> (its result is
    /// discarded). With <paramref name="waitFor"/> the replica is polled on the read's connection until it has replayed
    /// that position (at most <paramref name="wait"/>) before the read runs there.</summary>
    public async ValueTask<(Outcome Outcome, Served Served)> RunAsync(CommandExecution execution, ReplicaEndpoint replica, NpgsqlLogSequenceNumber? probeFor,
        CancellationToken cancellationToken, NpgsqlLogSequenceNumber? waitFor = null, TimeSpan wait = default)
    {
        replica.Enter();
        var bound = ClientBound(execution, replica);
        if (waitFor is not null && bound != Timeout.InfiniteTimeSpan)
        {
            bound += wait;
        }

        // Everything the try needs is taken from the execution now: an abandoned try may outlive it. No command timeout of
        // Npgsql's own: on a frozen server its cancellation blocks a thread until the server resumes; the bound is kept here.
        var command = new NpgsqlCommand { CommandTimeout = bound == Timeout.InfiniteTimeSpan ? execution.Command.CommandTimeout : 0 };
        foreach (DbParameter p in execution.Command.Parameters)
        {
            command.Parameters.Add(p is NpgsqlParameter np ? np.Clone() : new NpgsqlParameter(p.ParameterName, p.Value));
        }

        var shape = new CommandShape { Prefix = execution.Plan.OutsidePrefix, Probe = probeFor is not null };
        var first = execution.Kind == ExecutionKind.Reader;
        var work = RunCoreAsync(replica, command, execution.Plan, shape, probeFor, waitFor, wait, first, cancellationToken);
        Result result;
        try
        {
            result = await Bounded.RunAsync(work, bound, time, execution.Sync, abandoned => Release(abandoned, replica), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Failed(replica, "no answer within " + bound.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " ms");
        }
        catch (Exception ex) when (IsConnectionLevel(ex))
        {
            replica.Leave();
            return Failed(replica, ex is PostgresException pg ? pg.SqlState : ex.GetType().Name);
        }
        catch
        {
            replica.Leave();
            throw;
        }

        if (result.Outcome != Outcome.Served)
        {
            replica.Leave();
            return (result.Outcome, Served.None);
        }

        execution.RanOn(replica.Index, replica, replica.Name, replica.Host, replica.Port);
        PgDisciplineTelemetry.Reads.Add(1, new KeyValuePair<string, object?>("pgdiscipline.target", replica.Name));
        return (Outcome.Served, first && !result.Buffered
            ? Served.WithReaderAfterFirstRead(result.Reader!, result.FirstRead)
            : Served.WithReader(result.Reader!));
    }

    /// <summary>The try itself, on asynchronous I/O whatever the caller's API (its bound is kept by the caller).</summary>
    private async Task<Result> RunCoreAsync(ReplicaEndpoint replica, NpgsqlCommand command, CommandPlan plan, CommandShape shape, NpgsqlLogSequenceNumber? probeFor,
        NpgsqlLogSequenceNumber? waitFor, TimeSpan wait, bool readFirst, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = null;
        DbDataReader? reader = null;
        try
        {
            connection = await replica.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            command.Connection = connection;
            if (waitFor is { } position && !await WaitForReplayAsync(replica, connection, position, wait, cancellationToken).ConfigureAwait(false))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return new Result(Outcome.Behind, null, false);
            }

            (reader, var answer) = await ShapeExecutor.ExecuteReaderAsync(command, plan, shape, CommandBehavior.CloseConnection, sync: false, cancellationToken).ConfigureAwait(false);
            if (probeFor is { } required && !HasReplayed(replica, answer, required))
            {
                await reader.DisposeAsync().ConfigureAwait(false);
                return new Result(Outcome.Behind, null, false);
            }

            // The first row (or the end) is read inside the bound: a server that fails before it costs a retry, not a
            // failed read. A small result is read whole inside the bound too, so a server dying after its first row
            // costs a retry as well.
            var firstRead = readFirst && await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (firstRead && ReplicaResultBuffer.CanBuffer(reader))
            {
                var (buffered, _) = await ReplicaResultBuffer.ReadAsync(reader, cancellationToken).ConfigureAwait(false);
                return new Result(Outcome.Served, buffered, false, Buffered: true);
            }

            return new Result(Outcome.Served, reader, firstRead);
        }
        catch
        {
            if (reader is not null)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }

            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Polls the replay position on the read's connection every millisecond until it reaches
    /// <paramref name="required"/> or <paramref name="wait"/> has passed.</summary>
    private async Task<bool> WaitForReplayAsync(ReplicaEndpoint replica, NpgsqlConnection connection, NpgsqlLogSequenceNumber required, TimeSpan wait, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        await using var probe = connection.CreateCommand();
        probe.CommandText = ShapeSql.ProbeSql;
        while (!HasReplayed(replica, await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string, required))
        {
            if (time.GetElapsedTime(started) >= wait)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(1), time, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>An abandoned try has finished: give back what it holds.</summary>
    private static void Release(Task<Result> abandoned, ReplicaEndpoint replica)
    {
        if (abandoned.IsCompletedSuccessfully && abandoned.Result.Reader is { } reader)
        {
            reader.Dispose();
        }

        replica.Leave();
    }

    private (Outcome, Served) Failed(ReplicaEndpoint replica, string error)
    {
        admission.MarkFailed(replica, "read failed: " + error);
        Log.ReplicaReadFailed(logger, replica.Name, error);
        return (Outcome.Failed, Served.None);
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

        replica.FoundBehind(time.GetTimestamp(), required, (long)(ProbePause.TotalSeconds * time.TimestampFrequency));
        return false;
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
