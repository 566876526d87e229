namespace PgDiscipline.EntityFrameworkCore.Tests;

public sealed class TimeoutSqlTests
{
    [Fact]
    public void Set_config_batch_is_transaction_local_and_names_each_setting()
    {
        var sql = TimeoutSql.SetConfigBatch(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(1500), null);
        Assert.Equal(
            TimeoutSql.Marker + "SELECT set_config('statement_timeout', '2000ms', true), set_config('lock_timeout', '1500ms', true);",
            sql);
        Assert.DoesNotContain("SET ", sql!.Replace("SELECT", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void No_timeouts_means_no_batch()
        => Assert.Null(TimeoutSql.SetConfigBatch(null, null, null));

    [Fact]
    public void Fractions_of_a_millisecond_round_up()
        => Assert.Contains("'2ms'", TimeoutSql.SetConfigBatch(TimeSpan.FromTicks(15_000), null, null), StringComparison.Ordinal);

    [Fact]
    public void Startup_options_keep_existing_options()
    {
        var cs = TimeoutSql.WithStartupOptions(
            "Host=127.0.0.1;Options=-c search_path=app;Password=secret",
            new TimeoutOptions { Statement = TimeSpan.FromSeconds(2), IdleInTransaction = TimeSpan.FromSeconds(10) });
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(cs);
        Assert.Equal("-c search_path=app -c statement_timeout=2000 -c idle_in_transaction_session_timeout=10000", builder.Options);
        Assert.Equal("secret", builder.Password);
    }

    [Theory]
    [InlineData(600, 2)]
    [InlineData(2000, 3)]
    [InlineData(2500, 3)]
    [InlineData(2600, 4)]
    public void Client_timeout_is_aligned_just_above_the_server_timeout(int serverMs, int clientSeconds)
        => Assert.Equal(clientSeconds, TimeoutSql.ClientCommandTimeoutSeconds(TimeSpan.FromMilliseconds(serverMs)));
}
