using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using Npgsql;

namespace PgDiscipline.Routing;

/// <summary>
/// Read-your-writes without the extra round trip. An autocommit write (one INSERT/UPDATE/DELETE/MERGE outside a
/// transaction, under <see cref="ReadConsistency.Session"/>) runs as an Npgsql batch: [the timeout prefix,] the write, an
/// error barrier, and <see cref="Sql"/>, all sent in one network round trip. The barrier is a Sync message: the write's
/// implicit transaction ends there, so the position the last statement reads is at or after the write's commit record.
/// <para>
/// That statement answers with an INFO message, not a result set: EF Core reads the results of <c>SaveChanges</c> itself
/// and warns about a trailing result set, so the capture must not be one. Npgsql raises the message on the connection's
/// <see cref="NpgsqlConnection.Notice"/> event while it reads past the write's results (EF Core's own reads, or the
/// reader's disposal), with no I/O of PgDiscipline's own. INFO is sent to the client whatever
/// <c>client_min_messages</c> says, and is below the default <c>log_min_messages</c>, so the server log stays quiet.
/// </para>
/// If the message never comes, the write stays uncaptured and the next replica read captures it the old way (one round
/// trip): a failure never weakens read-your-writes.
/// </summary>
internal sealed class WritePositionCapture(Microsoft.Extensions.Logging.ILogger logger)
{
    /// <summary>Run once per runtime before the first pipelined write: a DO block needs USAGE on plpgsql, which a hardened
    /// database may have revoked from PUBLIC. A refused DO after a committed write would fail a call whose write succeeded.</summary>
    internal const string ProbeSql = "DO $pgdiscipline$BEGIN END$pgdiscipline$";

    // 0: not known yet; 1: DO blocks run; -1: refused, positions are captured the old way.
    private int _doBlocks;

    internal const string MessagePrefix = ReplicaRouter.CaptureColumn + " ";

    /// <summary>The statement after the barrier (a DO block: no result set, one INFO message carrying the position).</summary>
    internal const string Sql = "DO $pgdiscipline$BEGIN RAISE INFO '" + ReplicaRouter.CaptureColumn + " %', pg_current_wal_insert_lsn(); END$pgdiscipline$";

    // Only for contexts without a ContextState (see ReplicaRouter.Session); otherwise the listener lives in it.
    private readonly ConditionalWeakTable<NpgsqlConnection, Listener> _listeners = new();

    /// <summary>True when <paramref name="command"/> can carry its own position capture: the option is on, the session
    /// has a write to capture, it is one data-changing statement on an Npgsql connection outside any transaction.</summary>
    public static bool Applies(PgDisciplineOptions options, DbCommand command, CommandPlan plan, PgDisciplineSession? session)
        => options.PipelineWritePosition
            && options.Consistency == ReadConsistency.Session
            && session is { HasUncapturedWrite: true }
            && plan.CarriesPositionCapture
            && command is NpgsqlCommand { Connection: not null, Transaction: null }
            && System.Transactions.Transaction.Current is null;

    /// <summary>Runs the write and its capture as one batch; the reader is positioned like the command's own reader would
    /// be (on the timeout prefix's row when there is one). Null when Npgsql refuses the batch before sending anything (it
    /// splits the text into more statements than PgDiscipline.Sql did): then the command runs as it is.</summary>
    public async ValueTask<DbDataReader?> ExecuteReaderAsync(NpgsqlCommand command, CommandPlan plan, PgDisciplineSession session, ContextState? state, bool sync, CancellationToken cancellationToken)
    {
        if (!await DoBlocksRunAsync(command.Connection!, sync, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        // Not disposed here: the open reader belongs to it. It holds nothing but the statements and parameter clones.
        var batch = CreateBatch(command, plan);
        var listener = ListenOn(command.Connection!, state);
        listener.Session = session;
        try
        {
            return sync ? batch.ExecuteReader() : await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NotSupportedException)
        {
            listener.Session = null;
            return null;
        }
    }

    /// <summary>ExecuteNonQuery for a write that carries its capture: the rows the application's statement changed, or null
    /// when Npgsql refuses the batch before sending anything (then the command runs as it is).</summary>
    public async ValueTask<int?> ExecuteNonQueryAsync(NpgsqlCommand command, CommandPlan plan, PgDisciplineSession session, ContextState? state, bool sync, CancellationToken cancellationToken)
    {
        if (await ExecuteReaderAsync(command, plan, session, state, sync, cancellationToken).ConfigureAwait(false) is not { } reader)
        {
            return null;
        }

        await using (reader.ConfigureAwait(false))
        {
            while (sync ? reader.NextResult() : await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }

            // Npgsql counts only INSERT/UPDATE/DELETE/MERGE/COPY rows: the prefix's SELECT and the DO block add nothing.
            return reader.RecordsAffected;
        }
    }

    /// <summary>Whether the primary runs PgDiscipline's DO blocks (asked once per runtime, on the write's own connection).</summary>
    private async ValueTask<bool> DoBlocksRunAsync(NpgsqlConnection connection, bool sync, CancellationToken cancellationToken)
    {
        var known = Volatile.Read(ref _doBlocks);
        if (known != 0)
        {
            return known > 0;
        }

        await using var probe = new NpgsqlCommand(ProbeSql, connection);
        try
        {
            _ = sync ? probe.ExecuteNonQuery() : await probe.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _doBlocks, 1);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.FeatureNotSupported or PostgresErrorCodes.UndefinedObject)
        {
            Volatile.Write(ref _doBlocks, -1);
            Log.WritePositionPipelineOff(logger, ex.SqlState);
            return false;
        }
    }

    /// <summary>The batch: [prefix,] the write with an error barrier after it, the capture.</summary>
    internal static NpgsqlBatch CreateBatch(NpgsqlCommand command, CommandPlan plan)
    {
        var batch = new NpgsqlBatch(command.Connection) { Timeout = command.CommandTimeout };
        if (PrimaryConnection.IsPrefixed(command) && plan.OutsidePrefixStatement is { } prefix)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(prefix));
        }

        var write = new NpgsqlBatchCommand(plan.CommandText) { AppendErrorBarrier = true };
        foreach (NpgsqlParameter p in command.Parameters)
        {
            write.Parameters.Add(p.Clone());
        }

        batch.BatchCommands.Add(write);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Sql));
        return batch;
    }

    /// <summary>Parses the capture's message text; false for any other message.</summary>
    internal static bool TryParse(string? messageText, out NpgsqlTypes.NpgsqlLogSequenceNumber lsn)
    {
        lsn = default;
        return messageText is not null
            && messageText.StartsWith(MessagePrefix, StringComparison.Ordinal)
            && Lsns.TryParse(messageText[MessagePrefix.Length..], out lsn);
    }

    private Listener ListenOn(NpgsqlConnection connection, ContextState? state)
    {
        if (state is null)
        {
            return _listeners.GetValue(connection, static c => new Listener(c));
        }

        if (state.CaptureListener is Listener listener && ReferenceEquals(listener.Connection, connection))
        {
            return listener;
        }

        listener = new Listener(connection);
        state.CaptureListener = listener;
        return listener;
    }

    /// <summary>One per connection object: the session whose write is in flight on it (a connection runs one command at a
    /// time).</summary>
    private sealed class Listener
    {
        public volatile PgDisciplineSession? Session;

        public Listener(NpgsqlConnection connection)
        {
            Connection = connection;
            connection.Notice += OnNotice;
        }

        public NpgsqlConnection Connection { get; }

        public void OnNotice(object sender, NpgsqlNoticeEventArgs e)
        {
            if (Session is { } session && TryParse(e.Notice.MessageText, out var lsn))
            {
                session.Captured(lsn);
                Session = null;
            }
        }
    }
}
