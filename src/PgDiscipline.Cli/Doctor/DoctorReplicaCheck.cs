using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using PgDiscipline.Sql;
using PgDiscipline.Operations;
using PgDiscipline.Operations.Diagnostics;

namespace PgDiscipline.Cli.Doctor;

/// <summary><c>pgdiscipline doctor</c>'s check of one <c>--replica</c>.</summary>
internal static class DoctorReplicaCheck
{
    /// <summary>One replica. Replay lag by the rule the runtime's health monitor applies (<see cref="ReplicaLag.Bound"/>,
    /// with the one reading of the primary taken when the doctor started), and a replica over the limit gets one step of
    /// <see cref="ReplicaLag.ConfirmDelay"/> to reach that reading before it fails (the monitor allows up to
    /// <see cref="ReplicaLag.ConfirmWindow"/> in such steps). A lag nothing bounds yet (no
    /// transaction replayed since the replica started) is reported as 0, but a replica whose replay is paused behind the
    /// primary fails whatever its lag.</summary>
    public static async Task<Check> RunAsync(int index, string connectionString, Settings settings, PrimaryReading? primary, CancellationToken ct)
    {
        var name = $"replica {index + 1}";
        try
        {
            await using var c = new NpgsqlConnection(connectionString);
            await c.OpenAsync(ct).ConfigureAwait(false);
            name = $"replica {c.Host}:{c.Port}";
            await using var cmd = new NpgsqlCommand("""
                select pg_is_in_recovery(),
                       coalesce(pg_last_wal_replay_lsn()::text, ''),
                       extract(epoch from now() - pg_last_xact_replay_timestamp())::float8,
                       pg_last_wal_receive_lsn() is null or pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(),
                       pg_is_wal_replay_paused()
                """, c);
            bool inRecovery, paused;
            TimeSpan lag;
            ulong replayed;
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                await r.ReadAsync(ct).ConfigureAwait(false);
                inRecovery = r.GetBoolean(0);
                var replay = replayed = NpgsqlLogSequenceNumber.TryParse(r.GetString(1), out var lsn) ? (ulong)lsn : 0;
                TimeSpan? sinceCommit = r.IsDBNull(2) ? null : TimeSpan.FromSeconds(Math.Max(0, r.GetDouble(2)));
                lag = ReplicaLag.Bound(DateTimeOffset.UtcNow, replay, sinceCommit, r.GetBoolean(3), primary, primary is { } p ? [p] : []) ?? TimeSpan.Zero;
                paused = r.GetBoolean(4);
            }

            if (inRecovery && lag > settings.MaxLag && primary is { } reading)
            {
                await Task.Delay(ReplicaLag.ConfirmDelay(settings.MaxLag), ct).ConfigureAwait(false);
                await using var again = new NpgsqlCommand("select coalesce(pg_last_wal_replay_lsn()::text, '')", c);
                if (NpgsqlLogSequenceNumber.TryParse((string)(await again.ExecuteScalarAsync(ct).ConfigureAwait(false))!, out var later) && (ulong)later >= reading.Position)
                {
                    lag = DateTimeOffset.UtcNow - reading.At;
                }
            }

            var data = new JsonObject { ["in_recovery"] = inRecovery, ["lag_s"] = Math.Round(lag.TotalSeconds, 3), ["replay_paused"] = paused };
            if (!inRecovery)
            {
                return new Check(name, Status.Fail, "not in recovery: this is not a replica (promoted?)", data);
            }

            var detail = string.Create(CultureInfo.InvariantCulture, $"in recovery, replay lag {lag.TotalSeconds:0.###} s{(paused ? ", WAL replay PAUSED" : "")}");
            if (paused && primary is { } at && replayed < at.Position)
            {
                // Paused behind the primary: it cannot catch up, whatever the lag measured so far (a replica that has
                // replayed no transaction since it started has no commit time to measure it by).
                return new Check(name, Status.Fail, detail + string.Create(CultureInfo.InvariantCulture, $" — {at.Position - replayed} bytes behind the primary and not replaying"), data);
            }

            return lag > settings.MaxLag
                ? new Check(name, Status.Fail, detail + string.Create(CultureInfo.InvariantCulture, $" — over --max-lag {settings.MaxLag.TotalSeconds:0.###} s"), data)
                : new Check(name, Status.Ok, detail, data);
        }
        catch (InvalidCastException)
        {
            return new Check(name, Status.Skip, "skipped: some values are not visible to this role — GRANT pg_monitor TO it to run this check");
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or TimeoutException)
        {
            return new Check(name, Status.Fail, "unreachable: " + (ex is ArgumentException ? "invalid connection string" : SafeErrorText.Describe(ex)));
        }
    }
}
