using System.Data;
using System.Data.Common;
using Npgsql;

namespace PgDiscipline.Pipeline;

/// <summary>Runs a command with its <see cref="CommandShape"/>: as one text (prefix, probe, the application's
/// statements) or, with a capture, as an Npgsql batch whose write ends in an error barrier before the capture.</summary>
internal static class ShapeExecutor
{
    /// <summary>Executes <paramref name="command"/> (the application's text) with <paramref name="shape"/> and returns
    /// the reader positioned on the application's first result, with the probe's answer.</summary>
    public static async ValueTask<(DbDataReader Reader, string? ProbeAnswer)> ExecuteReaderAsync(
        DbCommand command, CommandPlan plan, CommandShape shape, CommandBehavior behavior, bool sync, CancellationToken cancellationToken)
    {
        if (shape.Capture is { } capture && command is NpgsqlCommand { Connection: { } connection } npgsql)
        {
            if (await capture.ArmAsync(connection, sync, cancellationToken).ConfigureAwait(false))
            {
                var batch = CreateBatch(npgsql, plan, shape.Prefix);
                DbDataReader batchReader;
                try
                {
                    batchReader = sync ? batch.ExecuteReader(behavior) : await batch.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false);
                }
                catch (NotSupportedException)
                {
                    // Npgsql split the text into more statements than PgDiscipline.Sql did: nothing was sent; run it plainly.
                    capture.Disarm();
                    shape.Capture = null;
                    return await ExecuteReaderAsync(command, plan, shape, behavior, sync, cancellationToken).ConfigureAwait(false);
                }

                return await ShapedResults.PositionOrDisposeAsync(batchReader, shape with { Probe = false }, sync, cancellationToken).ConfigureAwait(false);
            }

            shape.Capture = null;
        }

        command.CommandText = plan.TextFor(shape);
        var reader = sync ? command.ExecuteReader(behavior) : await command.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false);
        return await ShapedResults.PositionOrDisposeAsync(reader, shape, sync, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A copy of <paramref name="source"/> (text and parameters) on another connection.</summary>
    public static NpgsqlCommand CopyTo(NpgsqlConnection connection, DbCommand source)
    {
        var copy = connection.CreateCommand();
        copy.CommandText = source.CommandText;
        foreach (DbParameter p in source.Parameters)
        {
            copy.Parameters.Add(p is NpgsqlParameter np ? np.Clone() : new NpgsqlParameter(p.ParameterName, p.Value));
        }

        return copy;
    }

    /// <summary>The batch: [prefix,] the write with an error barrier after it, the capture.</summary>
    internal static NpgsqlBatch CreateBatch(NpgsqlCommand command, CommandPlan plan, string? prefix)
    {
        var batch = new NpgsqlBatch(command.Connection) { Timeout = command.CommandTimeout };
        if (prefix is not null)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(prefix));
        }

        var write = new NpgsqlBatchCommand(plan.CommandText) { AppendErrorBarrier = true };
        foreach (NpgsqlParameter p in command.Parameters)
        {
            write.Parameters.Add(p.Clone());
        }

        batch.BatchCommands.Add(write);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(ShapeSql.CaptureStatement));
        return batch;
    }
}
