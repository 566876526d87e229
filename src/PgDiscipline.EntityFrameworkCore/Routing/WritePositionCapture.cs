using Npgsql;
using NpgsqlTypes;
using PgDiscipline.Configuration;
using PgDiscipline.Pipeline;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.Routing;

/// <summary>
/// Read-your-writes without the extra round trip. An autocommit write (one INSERT/UPDATE/DELETE/MERGE outside a
/// transaction, under <see cref="ReadConsistency.Session"/>) runs as an Npgsql batch: [the timeout prefix,] the write, an
/// error barrier, and <see cref="ShapeSql.CaptureStatement"/>, in one network round trip. The barrier is a Sync message:
/// the write's implicit transaction ends there, so the position the capture reads is at or after the write's commit.
/// The capture answers with an INFO message that Npgsql raises on the connection's <see cref="NpgsqlConnection.Notice"/>
/// event while it reads past the write's results. If the message never comes, the write stays uncaptured and the next
/// replica read captures it the old way (one round trip): a failure never weakens read-your-writes.
/// </summary>
internal sealed class WritePositionCapture(CurrentOptions options, Microsoft.Extensions.Logging.ILogger logger)
{
    /// <summary>Run once per runtime before the first pipelined write: a DO block needs USAGE on plpgsql, which a hardened
    /// database may have revoked from PUBLIC. A refused DO after a committed write would fail a call whose write succeeded.</summary>
    internal const string ProbeSql = "DO $pgdiscipline$BEGIN END$pgdiscipline$";

    // 0: not known yet; 1: DO blocks run; -1: refused, positions are captured the old way.
    private int _doBlocks;

    /// <summary>The capture for <paramref name="execution"/>'s write, when it can carry one: the option is on, the session
    /// has a write to capture, it is one data-changing statement on an Npgsql connection outside any transaction.</summary>
    public IPositionCapture? For(CommandExecution execution, ContextState state, PgDisciplineSession session)
    {
        var current = options.Value;
        if (!current.PipelineWritePosition || current.Consistency != ReadConsistency.Session || !session.HasUncapturedWrite
            || !execution.Plan.CarriesPositionCapture || execution.InTransaction || execution.Kind == ExecutionKind.Scalar
            || execution.Command is not NpgsqlCommand { Connection: not null })
        {
            return null;
        }

        var listener = state.CaptureListener as Listener ?? new Listener(this);
        state.CaptureListener = listener;
        listener.Pending = session;
        return listener;
    }

    /// <summary>Parses the capture's message text; false for any other message.</summary>
    internal static bool TryParse(string? messageText, out NpgsqlLogSequenceNumber lsn)
    {
        lsn = default;
        return messageText is not null
            && messageText.StartsWith(ShapeSql.CaptureMessagePrefix, StringComparison.Ordinal)
            && Lsns.TryParse(messageText[ShapeSql.CaptureMessagePrefix.Length..], out lsn);
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

    /// <summary>One per context (kept in its <see cref="ContextState"/>), listening on the context's connection: the
    /// session whose write is in flight on it (a connection runs one command at a time).</summary>
    private sealed class Listener(WritePositionCapture owner) : IPositionCapture
    {
        private volatile PgDisciplineSession? _armed;
        private NpgsqlConnection? _connection;

        public PgDisciplineSession? Pending { get; set; }

        public async ValueTask<bool> ArmAsync(NpgsqlConnection connection, bool sync, CancellationToken cancellationToken)
        {
            if (!await owner.DoBlocksRunAsync(connection, sync, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            if (!ReferenceEquals(_connection, connection))
            {
                if (_connection is { } previous)
                {
                    previous.Notice -= OnNotice;
                }

                _connection = connection;
                connection.Notice += OnNotice;
            }

            _armed = Pending;
            return true;
        }

        public void Disarm() => _armed = null;

        private void OnNotice(object sender, NpgsqlNoticeEventArgs e)
        {
            if (_armed is { } session && TryParse(e.Notice.MessageText, out var lsn))
            {
                session.Captured(lsn);
                _armed = null;
            }
        }
    }
}
