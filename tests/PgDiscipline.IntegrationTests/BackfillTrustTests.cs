using Npgsql;
using PgDiscipline.Sql;
using Xunit.Abstractions;
using PgDiscipline.Operations;

namespace PgDiscipline.IntegrationTests;

/// <summary>Issue 32, items 2 and 6 on the real cluster: a backfill's statement is code — an operator with the narrow
/// grant pauses and resumes but cannot rewrite it; a rewritten statement is refused by the next <c>backfill run NAME</c>;
/// and a batch failing on a row's value stores and prints its SQLSTATE, never the value.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BackfillTrustTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private async Task<long> CountAsync(string sql) => Convert.ToInt64(await ClusterFixture.ScalarAsync(cluster.Primary, sql), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A backfill over <c>bf_trust</c> defined by the cluster's superuser, stopped after its first batch.</summary>
    private async Task DefineStoppedBackfillAsync()
    {
        await ClusterFixture.ScalarAsync(cluster.Primary, """
            drop table if exists bf_trust; drop table if exists bf_loot;
            create table bf_trust (id bigint primary key, n int not null default 0);
            insert into bf_trust (id) select g from generate_series(1, 2000) g;
            create table bf_loot (who text);
            """);
        await ClusterFixture.ScalarAsync(cluster.Primary, BackfillTable.CreateSql + "; delete from pgdiscipline.backfills where name = 'bf-trust'");
        await using var primary = NpgsqlDataSource.Create(cluster.Primary);
        using var stop = new CancellationTokenSource();
        var runner = new BackfillRunner(primary, BackfillDefinition.FromSql("bf-trust", "bf_trust", "id", "update bf_trust set n = n + 1 where id between :lower and :upper"),
            new BackfillOptions { BatchSize = 100, MinBatchSize = 100, MaxBatchSize = 100, MaxReplicaLag = null });
        var first = new SyncProgress(p =>
        {
            if (p.RowsDone > 0)
            {
                stop.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(first, stop.Token));
        Assert.Equal("stopped", await ClusterFixture.ScalarAsync(cluster.Primary, "select state from pgdiscipline.backfills where name = 'bf-trust'"));
    }

    [Fact]
    public async Task An_operator_with_the_narrow_grant_pauses_and_resumes_but_cannot_get_its_sql_run_by_another_role()
    {
        await DefineStoppedBackfillAsync();
        const string Status = "name, table_name, key_column, state, requested, pause_reason, rows_done, rows_affected, rows_estimate, batches, batch_size, pauses, paused_seconds, max_lag_seconds, owner, error, created_at, started_at, updated_at, finished_at, run_seconds";
        var ops = await TrustRoles.CreateAsync(cluster.Primary, "pgd_bf_ops", $"""
            grant usage on schema pgdiscipline to pgd_bf_ops;
            grant execute on function pgdiscipline.request_backfill(text, text) to pgd_bf_ops;
            grant select ({Status}) on pgdiscipline.backfills to pgd_bf_ops;
            grant select on bf_loot to pgd_bf_ops;
            """);

        // The operator's whole job, with the narrow grant only.
        Assert.Equal(0, (await TrustRoles.CliAsync("backfill", "pause", "bf-trust", "--connection", ops)).Code);
        Assert.Equal("pause", await ClusterFixture.ScalarAsync(cluster.Primary, "select requested from pgdiscipline.backfills where name = 'bf-trust'"));
        var (statusCode, statusOut, statusErr) = await TrustRoles.CliAsync("backfill", "status", "--connection", ops);
        Assert.True(statusCode == 0, statusErr);
        Assert.Contains("bf-trust", statusOut, StringComparison.Ordinal);
        Assert.Equal(0, (await TrustRoles.CliAsync("backfill", "resume", "bf-trust", "--connection", ops)).Code);

        // …and nothing more: the statement cannot be rewritten.
        await using (var conn = new NpgsqlConnection(ops))
        {
            await conn.OpenAsync();
            await using var tamper = new NpgsqlCommand("update pgdiscipline.backfills set statement = 'insert into bf_loot (who) select current_user' where name = 'bf-trust'", conn);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => tamper.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
    }

    [Fact]
    public async Task A_statement_rewritten_by_another_role_is_refused_by_the_next_run_naming_the_change_and_the_role()
    {
        await DefineStoppedBackfillAsync();
        // The grant operators used to need (UPDATE on the table) lets a role rewrite the statement a runner executes.
        var tamperer = await TrustRoles.CreateAsync(cluster.Primary, "pgd_bf_tamper", """
            grant usage on schema pgdiscipline to pgd_bf_tamper;
            grant select, update on pgdiscipline.backfills to pgd_bf_tamper;
            """);
        const string Payload = "insert into bf_loot (who) select current_user from bf_trust where id between :lower and :upper limit 1";
        await ClusterFixture.ScalarAsync(tamperer, $"update pgdiscipline.backfills set statement = '{Payload}' where name = 'bf-trust'");

        var (code, stdout, err) = await TrustRoles.CliAsync("backfill", "run", "bf-trust", "--connection", cluster.Primary);
        output.WriteLine(err);
        Assert.Equal(2, code);
        Assert.Contains("statement changed since it was defined", err, StringComparison.Ordinal);
        Assert.Contains("pgd_bf_tamper", err, StringComparison.Ordinal);
        Assert.DoesNotContain("bf_loot", err + stdout, StringComparison.Ordinal); // the statement is never echoed
        Assert.Equal(0, await CountAsync("select count(*) from bf_loot"));

        // A careful tamperer recomputes the hashes too: the server-side trigger still records who wrote the definition.
        await ClusterFixture.ScalarAsync(tamperer, """
            update pgdiscipline.backfills
            set statement_sha256 = encode(sha256(convert_to(statement, 'UTF8')), 'hex'),
                definition_sha256 = encode(sha256(convert_to(table_name || E'\n' || key_column || E'\n' || statement, 'UTF8')), 'hex'),
                defined_by = 'pgdiscipline'
            where name = 'bf-trust'
            """);
        (code, _, err) = await TrustRoles.CliAsync("backfill", "run", "bf-trust", "--connection", cluster.Primary);
        output.WriteLine(err);
        Assert.Equal(2, code);
        Assert.Contains("by role pgd_bf_tamper", err, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("select count(*) from bf_loot"));

        // Told to accept it (after reading it), the runner runs it and records itself as the definer.
        (code, stdout, err) = await TrustRoles.CliAsync("backfill", "run", "bf-trust", "--accept-changed-statement", "--connection", cluster.Primary);
        Assert.True(code == 0, err);
        Assert.Contains("accepting the stored statement", stdout, StringComparison.Ordinal);
        Assert.Equal("pgdiscipline", await ClusterFixture.ScalarAsync(cluster.Primary, "select defined_by from pgdiscipline.backfills where name = 'bf-trust'"));
        Assert.True(await CountAsync("select count(*) from bf_loot") > 0);
    }

    [Fact]
    public async Task A_batch_failing_on_a_row_value_stores_and_prints_the_sqlstate_never_the_value()
    {
        const string Secret = "alice@example.com 4111-1111-1111-1111";
        await ClusterFixture.ScalarAsync(cluster.Primary, $"""
            drop table if exists bf_leak;
            create table bf_leak (id bigint primary key, raw text not null, n bigint);
            insert into bf_leak values (1, '12', null), (2, '{Secret}', null);
            """);
        await ClusterFixture.ScalarAsync(cluster.Primary, BackfillTable.CreateSql + "; delete from pgdiscipline.backfills where name = 'bf-leak'");
        var (code, stdout, err) = await TrustRoles.CliAsync("backfill", "run", "bf-leak", "--table", "bf_leak", "--key", "id",
            "--sql", "update bf_leak set n = raw::bigint where id between :lower and :upper", "--connection", cluster.Primary);
        output.WriteLine(err);
        Assert.Equal(1, code);
        Assert.Contains("22P02", err, StringComparison.Ordinal);
        var (_, json, _) = await TrustRoles.CliAsync("backfill", "status", "bf-leak", "--format", "json", "--connection", cluster.Primary);
        var stored = (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select error from pgdiscipline.backfills where name = 'bf-leak'"))!;
        Assert.StartsWith("22P02", stored, StringComparison.Ordinal);
        foreach (var text in new[] { stdout, err, json, stored })
        {
            Assert.DoesNotContain("alice", text, StringComparison.Ordinal);
            Assert.DoesNotContain("4111", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_table_that_is_not_a_name_is_bad_input()
    {
        var (code, _, err) = await TrustRoles.CliAsync("backfill", "run", "bf-bad-name", "--table", "bf; drop table bf_trust", "--key", "id",
            "--sql", "update bf set n = 1 where id between :lower and :upper", "--connection", cluster.Primary);
        Assert.Equal(2, code);
        Assert.Contains("not a table name", err, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(Action<BackfillProgress> report) : IProgress<BackfillProgress>
    {
        public void Report(BackfillProgress value) => report(value);
    }
}
