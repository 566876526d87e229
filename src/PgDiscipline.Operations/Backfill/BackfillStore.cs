using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace PgDiscipline.Operations.Backfill;

/// <summary>
/// <see cref="IBackfillStore"/> on <c>pgdiscipline.backfills</c>: the row's queries run on the lease connection (which
/// holds the runner's lock), each batch on a connection of its own from the primary data source, in one short
/// transaction with its lock and statement timeouts set locally.
/// </summary>
internal sealed class BackfillStore(NpgsqlDataSource primary, NpgsqlConnection lease, BackfillDefinition definition, BackfillTarget target, BackfillOptions options, string owner)
    : IBackfillStore
{
    private string Name => definition.Name;

    public async Task<StoredProgress> LoadAsync(CancellationToken cancellationToken)
    {
        var work = definition.Work;
        var statementHash = BackfillTrust.StatementHash(work.Identity);
        var definitionHash = BackfillTrust.DefinitionHash(target.Table, target.Column, work.Identity);
        await using (var insert = new NpgsqlCommand($"""
            insert into pgdiscipline.backfills (name, table_name, key_column, key_type, statement, rows_estimate, end_key, statement_sha256, definition_sha256)
            values ($1, $2, $3, $4, $5, $6, ({target.EndKeySql}), $7, $8)
            on conflict (name) do nothing
            """, lease))
        {
            insert.Parameters.Add(new() { Value = Name });
            insert.Parameters.Add(new() { Value = target.Table });
            insert.Parameters.Add(new() { Value = target.Column });
            insert.Parameters.Add(new() { Value = target.KeyType });
            insert.Parameters.Add(new() { Value = work.Identity });
            insert.Parameters.Add(new() { Value = (object?)target.RowsEstimate ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            insert.Parameters.Add(new() { Value = statementHash });
            insert.Parameters.Add(new() { Value = definitionHash });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var select = new NpgsqlCommand("""
            select table_name, key_column, statement, state, requested, last_key, end_key, rows_done, rows_affected, batches,
                   batch_size, pauses::text, paused_seconds, run_seconds, max_lag_seconds, created_at, started_at,
                   statement_sha256 is not distinct from $2 and definition_sha256 is not distinct from $3
            from pgdiscipline.backfills where name = $1
            """, lease) { Parameters = { new() { Value = Name }, new() { Value = statementHash }, new() { Value = definitionHash } } };
        StoredProgress stored;
        bool hashesCurrent;
        await using (var r = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await r.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (r.GetString(0) != target.Table || r.GetString(1) != target.Column || r.GetString(2) != work.Identity)
            {
                throw new BackfillDefinitionException(Name, $"the name is already used by a backfill of {r.GetString(0)} by {r.GetString(1)} with a different statement: give this one another name");
            }

            string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            stored = new StoredProgress(
                State: r.GetString(3),
                Requested: Text(4),
                LastKey: Text(5),
                EndKey: Text(6),
                RowsDone: r.GetInt64(7),
                RowsAffected: r.GetInt64(8),
                Batches: r.GetInt64(9),
                BatchSize: r.IsDBNull(10) ? null : r.GetInt32(10),
                Pauses: JsonSerializer.Deserialize(r.GetString(11), BackfillJsonContext.Default.DictionaryStringInt64) ?? [],
                Paused: TimeSpan.FromSeconds(r.GetDouble(12)),
                Run: TimeSpan.FromSeconds(r.GetDouble(13)),
                MaxLag: r.IsDBNull(14) ? null : TimeSpan.FromSeconds(r.GetDouble(14)),
                CreatedAt: r.GetFieldValue<DateTimeOffset>(15),
                StartedAt: r.IsDBNull(16) ? null : r.GetFieldValue<DateTimeOffset>(16));
            hashesCurrent = r.GetBoolean(17);
        }

        if (!hashesCurrent)
        {
            // Same statement as this runner's definition, but the row's hashes are missing (a row from before they were
            // kept) or were changed: this runner vouches for the statement it was given, so it records them again (and
            // the trigger records it as the definer).
            await using var rehash = new NpgsqlCommand("update pgdiscipline.backfills set statement_sha256 = $2, definition_sha256 = $3 where name = $1", lease)
            {
                Parameters = { new() { Value = Name }, new() { Value = statementHash }, new() { Value = definitionHash } },
            };
            await rehash.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return stored;
    }

    public async Task<(string? Requested, DateTimeOffset StartedAt)> ClaimAsync(CancellationToken cancellationToken)
    {
        await using var claim = new NpgsqlCommand("""
            update pgdiscipline.backfills
            set state = 'running', pause_reason = null, owner = $2, error = null,
                requested = case when requested = 'cancel' then null else requested end,
                started_at = coalesce(started_at, now()), updated_at = now()
            where name = $1
            returning requested, started_at
            """, lease) { Parameters = { new() { Value = Name }, new() { Value = owner } } };
        await using var r = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await r.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (r.IsDBNull(0) ? null : r.GetString(0), r.GetFieldValue<DateTimeOffset>(1));
    }

    public async Task<KeyRange> NextRangeAsync(string? after, string end, int size, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(after is null ? target.FirstBoundsSql : target.NextBoundsSql, lease)
        {
            Parameters =
            {
                new() { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                new() { Value = end, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                new() { Value = (long)size },
            },
        };
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await r.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new KeyRange(r.IsDBNull(0) ? null : r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2));
    }

    public async Task<(long Affected, string? Requested)> RunBatchAsync(KeyRange range, BatchProgress progress, CancellationToken cancellationToken)
    {
        await using var scope = await definition.Work.BeginAsync(primary, target.KeyType, cancellationToken).ConfigureAwait(false);
        await using (var timeouts = new NpgsqlCommand("select set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)", scope.Connection, scope.Transaction))
        {
            timeouts.Parameters.Add(new() { Value = Ms(options.LockTimeout) });
            timeouts.Parameters.Add(new() { Value = Ms(options.StatementTimeout) });
            await timeouts.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var affected = await scope.RunAsync(range.Lower!, range.Upper!, cancellationToken).ConfigureAwait(false);
        var totals = progress.Totals();
        string? requested;
        await using (var update = new NpgsqlCommand("""
            update pgdiscipline.backfills
            set last_key = $4, rows_done = rows_done + $5, rows_affected = rows_affected + $6, batches = batches + 1,
                batch_size = $7, run_seconds = $8, paused_seconds = $9, max_lag_seconds = $10, state = 'running',
                pause_reason = null, updated_at = now()
            where name = $1 and owner = $2 and last_key is not distinct from $3
            returning requested
            """, scope.Connection, scope.Transaction))
        {
            update.Parameters.Add(new() { Value = Name });
            update.Parameters.Add(new() { Value = owner });
            update.Parameters.Add(new() { Value = (object?)progress.PreviousKey ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            update.Parameters.Add(new() { Value = range.Upper });
            update.Parameters.Add(new() { Value = range.Count });
            update.Parameters.Add(new() { Value = affected });
            update.Parameters.Add(new() { Value = progress.BatchSize });
            update.Parameters.Add(new() { Value = totals.Run.TotalSeconds });
            update.Parameters.Add(new() { Value = totals.Paused.TotalSeconds });
            update.Parameters.Add(Seconds(totals.MaxLag));
            await using var r = await update.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Another runner took it over (this one lost its lock): nothing of this batch commits.
                throw new BackfillLeaseException(Name, null);
            }

            requested = r.IsDBNull(0) ? null : r.GetString(0);
        }

        await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (affected, requested);
    }

    public async Task<string?> CountPauseAsync(string key, string reason, bool markPaused, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            update pgdiscipline.backfills
            set pauses = jsonb_set(pauses, array[$3], to_jsonb(coalesce((pauses ->> $3)::bigint, 0) + 1)),
                state = coalesce($4, state), pause_reason = case when $4 is null then pause_reason else $5 end, updated_at = now()
            where name = $1 and owner = $2
            returning requested
            """, lease)
        {
            Parameters =
            {
                new() { Value = Name },
                new() { Value = owner },
                new() { Value = key },
                new() { Value = markPaused ? (object)BackfillTable.StatePaused : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                new() { Value = reason },
            },
        };
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new BackfillLeaseException(Name, null);
        }

        return r.IsDBNull(0) ? null : r.GetString(0);
    }

    public async Task ResumeAsync(TimeSpan paused, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(
            "update pgdiscipline.backfills set state = 'running', pause_reason = null, paused_seconds = $3, updated_at = now() where name = $1 and owner = $2", lease)
        {
            Parameters = { new() { Value = Name }, new() { Value = owner }, new() { Value = paused.TotalSeconds } },
        };
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<string?> PollRequestAsync(CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("select requested from pgdiscipline.backfills where name = $1", lease) { Parameters = { new() { Value = Name } } };
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    public async Task FinishAsync(string state, string? error, RunTotals totals)
    {
        await using var cmd = new NpgsqlCommand("""
            update pgdiscipline.backfills
            set state = $3, pause_reason = null, error = $4, run_seconds = $5, paused_seconds = $6, max_lag_seconds = $7,
                requested = case when $3 = 'cancelled' then null else requested end,
                finished_at = case when $3 = 'done' then now() else finished_at end, updated_at = now()
            where name = $1 and owner = $2
            """, lease)
        {
            Parameters =
            {
                new() { Value = Name },
                new() { Value = owner },
                new() { Value = state },
                new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                new() { Value = totals.Run.TotalSeconds },
                new() { Value = totals.Paused.TotalSeconds },
                Seconds(totals.MaxLag),
            },
        };
        await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static NpgsqlParameter Seconds(TimeSpan? value) => new() { Value = (object?)value?.TotalSeconds ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double };

    private static string Ms(TimeSpan t) => ((long)Math.Ceiling(t.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
}
