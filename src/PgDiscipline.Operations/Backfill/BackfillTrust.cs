using System.Security.Cryptography;
using System.Text;
using Npgsql;
using PgDiscipline.Operations;

namespace PgDiscipline.Operations.Backfill;

/// <summary>
/// A backfill's statement is code a runner executes with its own privileges, and its row is writable by other roles: the
/// runner records hashes of the definition when it is made (the trigger of <see cref="BackfillTable.CreateSql"/> records
/// the role that wrote it), and continuing a backfill from its row (<c>pgdiscipline backfill run NAME</c>) checks them,
/// so a statement rewritten by someone else is refused, naming what changed and who changed it.
/// </summary>
internal static class BackfillTrust
{
    /// <summary>Run after <see cref="BackfillTable.CreateSql"/> (in the same transaction-scoped advisory lock's batch): the
    /// hash and definer columns, the trigger that records who wrote a backfill's definition (<c>defined_by</c>: the server's
    /// <c>current_user</c>, whatever the writer put there), and <c>pgdiscipline.request_backfill(name, 'pause'|'resume'|'cancel')</c>,
    /// a SECURITY DEFINER function, so operators need EXECUTE on it rather than UPDATE on the table (which would let them
    /// rewrite the statement a runner executes). docs/security.md lists the grants.</summary>
    public const string SetupSql = """
        alter table pgdiscipline.backfills add column if not exists statement_sha256 text,
            add column if not exists definition_sha256 text, add column if not exists defined_by text,
            add column if not exists defined_at timestamptz;
        create or replace function pgdiscipline.backfills_defined_by() returns trigger language plpgsql as $fn$
        begin
            new.defined_by := current_user;
            new.defined_at := now();
            return new;
        end
        $fn$;
        drop trigger if exists backfills_defined_by on pgdiscipline.backfills;
        create trigger backfills_defined_by
            before insert or update of table_name, key_column, key_type, statement, statement_sha256, definition_sha256, defined_by, defined_at
            on pgdiscipline.backfills for each row execute function pgdiscipline.backfills_defined_by();
        create or replace function pgdiscipline.request_backfill(backfill text, request text) returns boolean
            language sql security definer set search_path = pg_catalog, pg_temp as $fn$
            update pgdiscipline.backfills set requested = nullif(request, 'resume'), updated_at = now() where name = backfill returning true
        $fn$;
        revoke all on function pgdiscipline.request_backfill(text, text) from public;
        """;

    /// <summary>Everything a runner needs in the database, idempotent: <see cref="BackfillTable.CreateSql"/> + <see cref="SetupSql"/>.</summary>
    public const string CreateSql = BackfillTable.CreateSql + "\n" + SetupSql;

    /// <summary>True when the table, its columns, the definer trigger and the request function all exist: then the runner
    /// runs no DDL (which would need ownership of the table).</summary>
    public const string SchemaCurrentSql = """
        select to_regclass('pgdiscipline.backfills') is not null
           and exists (select 1 from pg_attribute where attrelid = to_regclass('pgdiscipline.backfills') and attname = 'definition_sha256' and not attisdropped)
           and exists (select 1 from pg_trigger where tgname = 'backfills_defined_by' and tgrelid = to_regclass('pgdiscipline.backfills'))
           and to_regprocedure('pgdiscipline.request_backfill(text,text)') is not null
        """;

    /// <summary>The stored definition, what the server recorded about it, and who is asking.</summary>
    public const string StoredSql = """
        select table_name, key_column, statement, statement_sha256, definition_sha256, defined_by, defined_at, current_user::text
        from pgdiscipline.backfills where name = $1
        """;

    /// <summary>Lower-case hex SHA-256 of the statement text.</summary>
    public static string StatementHash(string statement) => Hash(statement);

    /// <summary>Lower-case hex SHA-256 of table, key column and statement (so a changed table or key is seen too).</summary>
    public static string DefinitionHash(string table, string keyColumn, string statement) => Hash(table + "\n" + keyColumn + "\n" + statement);

    /// <summary>Why a stored definition must not be run as it is by <paramref name="runner"/>, or null when it may: the statement or the
    /// table/key changed since the hashes were recorded, no hashes were recorded (a row from before they were), or another
    /// role wrote it. The statement itself is never quoted (it may hold literal values).</summary>
    public static string? Refusal(StoredDefinition stored, string runner)
    {
        var by = stored.DefinedBy is { } role ? $"role {role}" : "an unknown role";
        var at = stored.DefinedAt is { } when ? " at " + when.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "";
        if (stored.StatementHash is null || stored.DefinitionHash is null)
        {
            return $"its row has no recorded hash of the statement (defined before PgDiscipline recorded them, or the hashes were removed; last written by {by}{at})";
        }

        if (!string.Equals(stored.StatementHash, StatementHash(stored.Statement), StringComparison.Ordinal))
        {
            return $"its statement changed since it was defined (the stored text no longer matches the hash recorded with it; last written by {by}{at})";
        }

        if (!string.Equals(stored.DefinitionHash, DefinitionHash(stored.Table, stored.KeyColumn, stored.Statement), StringComparison.Ordinal))
        {
            return $"its table or key column changed since it was defined (last written by {by}{at})";
        }

        if (!string.Equals(stored.DefinedBy, runner, StringComparison.Ordinal))
        {
            return $"it was defined (or last rewritten) by {by}{at}, not by you ({runner}): continuing it would run that role's statement with your privileges";
        }

        return null;
    }

    /// <summary>The runner accepted the stored definition as its own: its hashes are recorded again (and the trigger records
    /// the runner as the definer), so the next continue needs no acceptance. Only when the row still holds what was checked.</summary>
    public static async Task AdoptAsync(NpgsqlConnection connection, string name, StoredDefinition stored, CancellationToken cancellationToken)
    {
        await using (var current = new NpgsqlCommand(SchemaCurrentSql, connection))
        {
            if (await current.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                return; // a table from before the hashes: the runner adds the columns and records the hashes itself
            }
        }

        await using var cmd = new NpgsqlCommand("""
            update pgdiscipline.backfills set statement_sha256 = $4, definition_sha256 = $5
            where name = $1 and table_name = $2 and key_column = $3 and statement = $6
            """, connection)
        {
            Parameters =
            {
                new() { Value = name }, new() { Value = stored.Table }, new() { Value = stored.KeyColumn },
                new() { Value = StatementHash(stored.Statement) }, new() { Value = DefinitionHash(stored.Table, stored.KeyColumn, stored.Statement) },
                new() { Value = stored.Statement },
            },
        };
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<StoredDefinition?> ReadAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken)
    {
        await using (var exists = new NpgsqlCommand("select to_regclass('pgdiscipline.backfills') is not null and exists (select 1 from pg_attribute where attrelid = to_regclass('pgdiscipline.backfills') and attname = 'definition_sha256' and not attisdropped)", connection))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                // No table, or one from before the hashes: read what there is (every such row is refused unless accepted).
                await using var old = new NpgsqlCommand("select to_regclass('pgdiscipline.backfills') is not null", connection);
                if (await old.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
                {
                    return null;
                }

                await using var legacy = new NpgsqlCommand("select table_name, key_column, statement, null, null, null, null::timestamptz, current_user::text from pgdiscipline.backfills where name = $1", connection) { Parameters = { new() { Value = name } } };
                return await ReadRowAsync(legacy, cancellationToken).ConfigureAwait(false);
            }
        }

        await using var cmd = new NpgsqlCommand(StoredSql, connection) { Parameters = { new() { Value = name } } };
        return await ReadRowAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<StoredDefinition?> ReadRowAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        return new StoredDefinition(r.GetString(0), r.GetString(1), r.GetString(2), Text(3), Text(4), Text(5),
            r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6), r.GetString(7));
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>A backfill's definition as stored in its row, with the server-recorded definer, and the role reading it.</summary>
internal sealed record StoredDefinition(
    string Table, string KeyColumn, string Statement, string? StatementHash, string? DefinitionHash, string? DefinedBy, DateTimeOffset? DefinedAt, string CurrentUser);
