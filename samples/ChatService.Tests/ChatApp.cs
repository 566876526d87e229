using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Npgsql;
using PgDiscipline.IntegrationTests;

namespace ChatService.Tests;

/// <summary>One ChatService instance on the local cluster, in its own database <c>chat_tests</c> (created once; a
/// database created on the primary reaches the streaming replicas by itself).</summary>
public sealed class ChatApp(ClusterFixture cluster, IDictionary<string, string?>? extra = null) : WebApplicationFactory<Program>
{
    public const string Database = "chat_tests";

    public string SnapshotPath { get; } = Path.Combine(Path.GetTempPath(), $"chat-stats-{Guid.NewGuid():N}.json");

    /// <summary>Chat:OpsKey: what POST /_pgdiscipline/snapshot wants in X-Ops-Key.</summary>
    public const string OpsKey = "test-ops-key";

    public static string On(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Database = Database }.ConnectionString;

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _fresh;

    /// <summary>A fresh database once per test run, so the first app really migrates it (reads of EF Core's history
    /// table included, which must stay on the primary).</summary>
    public static async Task EnsureDatabaseAsync(ClusterFixture cluster)
    {
        await Gate.WaitAsync();
        try
        {
            if (!_fresh)
            {
                NpgsqlConnection.ClearAllPools();
                await ClusterFixture.ScalarAsync(cluster.Primary, $"drop database if exists {Database} with (force)");
                await ClusterFixture.ScalarAsync(cluster.Primary, $"create database {Database}");
                _fresh = true;
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration((_, config) =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Primary"] = On(cluster.Primary),
                ["PgDiscipline:Replicas:0:ConnectionString"] = On(cluster.Replicas[0]),
                ["PgDiscipline:Replicas:1:ConnectionString"] = On(cluster.Replicas[1]),
                ["PgDiscipline:HealthCheckInterval"] = "00:00:00.2",
                ["PgDiscipline:Statistics:SnapshotPath"] = SnapshotPath,
                ["Chat:Migrate"] = "true",
                ["Chat:Seed"] = "true",
                ["Chat:OpsKey"] = OpsKey,
            };
            foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
            {
                settings[k] = v;
            }

            config.AddInMemoryCollection(settings);
        });
    }
}
