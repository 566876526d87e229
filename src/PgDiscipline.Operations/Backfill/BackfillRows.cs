using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using PgDiscipline.Operations;

namespace PgDiscipline.Operations.Backfill;

/// <summary>Reading <see cref="BackfillTable.StatusSql"/> rows.</summary>
internal static class BackfillRows
{
    public static BackfillProgress Read(NpgsqlDataReader r) => new()
    {
        Name = r.GetString(0),
        Table = r.GetString(1),
        KeyColumn = r.GetString(2),
        State = Parse(r.GetString(3)),
        Requested = r.IsDBNull(4) ? null : r.GetString(4),
        PauseReason = r.IsDBNull(5) ? null : r.GetString(5),
        RowsDone = r.GetInt64(6),
        RowsAffected = r.GetInt64(7),
        RowsEstimate = r.IsDBNull(8) ? null : r.GetInt64(8),
        Batches = r.GetInt64(9),
        BatchSize = r.IsDBNull(10) ? null : r.GetInt32(10),
        Pauses = JsonSerializer.Deserialize(r.GetString(11), BackfillJsonContext.Default.DictionaryStringInt64) ?? [],
        Paused = TimeSpan.FromSeconds(r.GetDouble(12)),
        MaxReplicaLagSeen = r.IsDBNull(13) ? null : TimeSpan.FromSeconds(r.GetDouble(13)),
        Owner = r.IsDBNull(14) ? null : r.GetString(14),
        Error = r.IsDBNull(15) ? null : r.GetString(15),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(16),
        StartedAt = r.IsDBNull(17) ? null : r.GetFieldValue<DateTimeOffset>(17),
        UpdatedAt = r.GetFieldValue<DateTimeOffset>(18),
        FinishedAt = r.IsDBNull(19) ? null : r.GetFieldValue<DateTimeOffset>(19),
        Elapsed = TimeSpan.FromSeconds(r.GetDouble(20)),
        RunnerAlive = r.GetBoolean(21),
    };

    public static BackfillState Parse(string state) => state switch
    {
        BackfillTable.StateRunning => BackfillState.Running,
        BackfillTable.StatePaused => BackfillState.Paused,
        BackfillTable.StateDone => BackfillState.Done,
        BackfillTable.StateCancelled => BackfillState.Cancelled,
        BackfillTable.StateFailed => BackfillState.Failed,
        BackfillTable.StateStopped => BackfillState.Stopped,
        _ => BackfillState.Pending,
    };

    public static string StateName(BackfillState state) => state switch
    {
        BackfillState.Running => BackfillTable.StateRunning,
        BackfillState.Paused => BackfillTable.StatePaused,
        BackfillState.Done => BackfillTable.StateDone,
        BackfillState.Cancelled => BackfillTable.StateCancelled,
        BackfillState.Failed => BackfillTable.StateFailed,
        BackfillState.Stopped => BackfillTable.StateStopped,
        _ => BackfillTable.StatePending,
    };
}

[JsonSerializable(typeof(Dictionary<string, long>))]
internal sealed partial class BackfillJsonContext : JsonSerializerContext;
