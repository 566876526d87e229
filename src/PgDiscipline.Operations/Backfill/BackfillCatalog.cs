using Npgsql;

namespace PgDiscipline.Operations.Backfill;

/// <summary>What is done to <c>pgdiscipline.backfills</c> outside a run: its schema, the list <c>backfill status</c>
/// shows, and the requests of <c>backfill pause|resume|cancel</c>.</summary>
internal static class BackfillCatalog
{
    /// <summary>Creates or upgrades the table, its trigger and its request function; DDL only when something is missing or
    /// older (the DDL needs ownership of the table, which a runner's role need not have).</summary>
    public static async Task EnsureSchemaAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var current = new NpgsqlCommand(BackfillTrust.SchemaCurrentSql, connection);
        if (await current.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
        {
            await using var create = new NpgsqlCommand(BackfillTrust.CreateSql, connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<IReadOnlyList<BackfillProgress>> ListAsync(NpgsqlDataSource primary, CancellationToken cancellationToken)
    {
        await using var connection = await primary.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (!await ExistsAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            return [];
        }

        var list = new List<BackfillProgress>();
        await using var cmd = new NpgsqlCommand(BackfillTable.StatusSql + " order by created_at, name", connection);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(BackfillRows.Read(reader));
        }

        return list;
    }

    public static async Task<bool> RequestAsync(NpgsqlDataSource primary, string name, BackfillRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await primary.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (!await ExistsAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var text = request switch { BackfillRequest.Pause => BackfillTable.RequestPause, BackfillRequest.Cancel => BackfillTable.RequestCancel, _ => "resume" };

        // Through pgdiscipline.request_backfill (SECURITY DEFINER): an operator needs EXECUTE on it, not UPDATE on the table.
        await using var cmd = new NpgsqlCommand("select coalesce(pgdiscipline.request_backfill($1, $2), false)", connection)
        {
            Parameters = { new() { Value = name }, new() { Value = text } },
        };
        try
        {
            return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedFunction)
        {
            // A table set up before the function existed (the next runner adds it): the table itself, for whoever may update it.
            await using var update = new NpgsqlCommand("update pgdiscipline.backfills set requested = nullif($2, 'resume'), updated_at = now() where name = $1", connection)
            {
                Parameters = { new() { Value = name }, new() { Value = text } },
            };
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("select to_regclass('pgdiscipline.backfills') is not null", connection);
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
