using Npgsql;
using PgDiscipline.Sql;
using PgDiscipline.Testing;
using Xunit.Abstractions;
using PgDiscipline.Operations;

namespace PgDiscipline.IntegrationTests;

/// <summary>Issue 32, items 3, 6, 7 and 8 on the real cluster: rows of <c>pgdiscipline.query_rules</c> are input from
/// other roles; the rule loop survives them and shuts down cleanly; roles without ownership (the app with
/// CreateTable=true, an operator) need no DDL, and a missing privilege names its SQLSTATE and grant; doctor without
/// pg_monitor skips what it cannot see; a secret in <c>Options</c> is not echoed back.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RuleTableTrustTests(ClusterFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await ProbeContext.EnsureTableAsync(cluster.Primary);
        await ClusterFixture.ScalarAsync(cluster.Primary, RuleTable.CreateSql + "; delete from pgdiscipline.query_rules;");
    }

    public Task DisposeAsync() => ClusterFixture.ScalarAsync(cluster.Primary, "delete from pgdiscipline.query_rules");

    private static Task WaitForAsync(Func<bool> condition, string what) => Eventually.UntilAsync(condition, what);

    [Fact]
    public async Task A_row_dotnet_cannot_read_is_rejected_by_id_the_others_apply_and_shutdown_is_clean()
    {
        await ClusterFixture.ScalarAsync(cluster.Primary, """
            insert into pgdiscipline.query_rules (id, match_kind, match_value, action, reason, expires_at, permits_per_second) values
              ('far-future', 'fingerprint', '0123456789abcdef', 'Block', 'typo in the year', '10000-01-01', null),
              ('forever', 'fingerprint', '0123456789abcdee', 'Block', 'infinity', 'infinity', null),
              ('nan-rate', 'fingerprint', '0123456789abcded', 'RateLimit', 'NaN', null, 'NaN'),
              ('tiny-rate', 'fingerprint', '0123456789abcdec', 'RateLimit', 'overflows TimeSpan', null, 1e-300),
              ('good', 'fingerprint', '0123456789abcdeb', 'Block', 'works', null, null);
            """);
        var log = new CapturedLog();
        var options = new PgDisciplineOptions();
        options.DatabaseRules.ConnectionString = cluster.Primary;
        var runtime = PgDisciplineRuntime.Create(options, log);
        await runtime.DatabaseRulesLoaded.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["good"], runtime.ActiveRuleIds);
        foreach (var id in new[] { "far-future", "forever", "nan-rate", "tiny-rate" })
        {
            Assert.Contains(log.Lines, l => l.EventId == PgDisciplineEventId.RuleRejected && l.Text.Contains($"[id={id}]", StringComparison.Ordinal));
        }

        // The loop is alive: a rule inserted afterwards applies.
        await ClusterFixture.ScalarAsync(cluster.Primary, "insert into pgdiscipline.query_rules (id, match_kind, match_value, action) values ('after', 'tag', 'x', 'Block')");
        await WaitForAsync(() => runtime.ActiveRuleIds.Contains("after"), "a rule inserted after the bad rows never applied");
        Assert.DoesNotContain(log.Lines, l => l.EventId == PgDisciplineEventId.RuleTableUnavailable);
        await runtime.DisposeAsync(); // used to end the process with exit 134 (the loop's exception rethrown here)
    }

    [Fact]
    public async Task The_app_role_needs_no_ddl_when_the_table_exists_and_a_missing_grant_is_logged_with_its_sqlstate_and_fix()
    {
        await ClusterFixture.ScalarAsync(cluster.Primary, "insert into pgdiscipline.query_rules (id, match_kind, match_value, action) values ('r1', 'tag', 'x', 'Block')");
        var reader = await TrustRoles.CreateAsync(cluster.Primary, "pgd_rules_app", """
            grant usage on schema pgdiscipline to pgd_rules_app;
            grant select on pgdiscipline.query_rules to pgd_rules_app;
            """);
        var log = new CapturedLog();
        var options = new PgDisciplineOptions();
        options.DatabaseRules.ConnectionString = reader; // CreateTable = true (the default), no CREATE privilege
        await using (var runtime = PgDisciplineRuntime.Create(options, log))
        {
            await runtime.DatabaseRulesLoaded.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(["r1"], runtime.ActiveRuleIds);
        }

        var nobody = await TrustRoles.CreateAsync(cluster.Primary, "pgd_rules_none");
        var denied = new CapturedLog();
        options.DatabaseRules.ConnectionString = nobody;
        await using (PgDisciplineRuntime.Create(options, denied))
        {
            await WaitForAsync(() => denied.Lines.Any(l => l.EventId == PgDisciplineEventId.RuleTableUnavailable), "no event 1005");
        }

        var line = denied.Lines.First(l => l.EventId == PgDisciplineEventId.RuleTableUnavailable).Text;
        output.WriteLine(line);
        Assert.Contains("42501", line, StringComparison.Ordinal);
        Assert.Contains("GRANT USAGE ON SCHEMA pgdiscipline TO pgd_rules_none", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operator_role_with_table_grants_only_lists_and_writes_rules_and_one_without_gets_the_grant()
    {
        var ops = await TrustRoles.CreateAsync(cluster.Primary, "pgd_rules_ops", """
            grant usage on schema pgdiscipline to pgd_rules_ops;
            grant select, insert, update, delete on pgdiscipline.query_rules to pgd_rules_ops;
            """);
        var (code, _, err) = await TrustRoles.CliAsync("rules", "block", "0123456789abcdef", "--reason", "ops", "--connection", ops);
        Assert.True(code == 0, err); // used to run the table's DDL and fail: only its owner could use the CLI
        (code, var list, err) = await TrustRoles.CliAsync("rules", "list", "--connection", ops);
        Assert.True(code == 0, err);
        Assert.Contains("block-0123456789abcdef", list, StringComparison.Ordinal);

        var nobody = await TrustRoles.CreateAsync(cluster.Primary, "pgd_rules_nobody", "grant usage on schema pgdiscipline to pgd_rules_nobody;");
        (code, _, err) = await TrustRoles.CliAsync("rules", "list", "--connection", nobody);
        output.WriteLine(err);
        Assert.Equal(1, code);
        Assert.Contains("42501", err, StringComparison.Ordinal);
        Assert.Contains("GRANT SELECT ON pgdiscipline.query_rules TO pgd_rules_nobody", err, StringComparison.Ordinal);

        // A row with a far-future expiry (written past the CLI) is listed as rejected, not a crash.
        await ClusterFixture.ScalarAsync(cluster.Primary, "insert into pgdiscipline.query_rules (id, match_kind, match_value, action, expires_at) values ('far', 'tag', 'y', 'Block', '10000-01-01')");
        (code, list, err) = await TrustRoles.CliAsync("rules", "list", "--connection", ops);
        Assert.True(code == 0, err);
        Assert.Contains("far\t", list, StringComparison.Ordinal);
        Assert.Contains("rejected", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_without_pg_monitor_runs_what_it_can_and_names_the_grant_for_the_rest()
    {
        var plain = await TrustRoles.CreateAsync(cluster.Primary, "pgd_doctor_plain");
        var (code, stdout, err) = await TrustRoles.CliAsync(["doctor", "--connection", plain, .. cluster.Replicas.SelectMany(r => new[] { "--replica", TrustRoles.As(r, "pgd_doctor_plain") })]);
        output.WriteLine(stdout + err);
        Assert.True(code is 0 or 1, err);
        Assert.DoesNotContain("Exception", stdout + err, StringComparison.Ordinal);
        Assert.Contains("[SKIP] replication", stdout, StringComparison.Ordinal);
        Assert.Contains("[SKIP] sessions", stdout, StringComparison.Ordinal);
        Assert.Contains("GRANT pg_monitor TO pgd_doctor_plain", stdout, StringComparison.Ordinal);
        Assert.Contains("[OK  ] primary", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_in_options_is_not_echoed_back_from_the_servers_error()
    {
        const string Secret = "s3cr3t-in-options";
        var withSecret = new NpgsqlConnectionStringBuilder(cluster.Primary) { Options = $"-c statement_timeout={Secret}", Pooling = false }.ConnectionString;
        foreach (var args in new[] { new[] { "rules", "list" }, ["doctor"], ["backfill", "status"] })
        {
            var (code, stdout, err) = await TrustRoles.CliAsync([.. args, "--connection", withSecret]);
            output.WriteLine($"{string.Join(' ', args)}: {code} {err}{stdout}");
            Assert.NotEqual(0, code);
            Assert.DoesNotContain(Secret, stdout + err, StringComparison.Ordinal);
            Assert.Contains("22023", stdout + err, StringComparison.Ordinal);
        }
    }
}
