using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PgDiscipline;
using PgDiscipline.IntegrationTests;
using PgDiscipline.Testing;

namespace ChatService.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ChatServiceTests(ClusterFixture cluster) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await ChatApp.EnsureDatabaseAsync(cluster);
        await cluster.WaitForStreamingAsync(TimeSpan.FromSeconds(30));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<JsonElement> SnapshotAsync(ChatApp app, HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/_pgdiscipline/snapshot") { Headers = { { "X-Ops-Key", ChatApp.OpsKey } } };
        (await client.SendAsync(request)).EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(app.SnapshotPath));
        return doc.RootElement.Clone();
    }

    private static JsonElement Query(JsonElement snapshot, string contains)
    {
        var matches = snapshot.GetProperty("queries").EnumerateArray().Where(q => q.GetProperty("normalized").GetString()!.Contains(contains, StringComparison.Ordinal)).ToList();
        Assert.True(matches.Count == 1, $"{matches.Count} queries contain '{contains}' in the snapshot; it has: "
            + string.Join(" | ", snapshot.GetProperty("queries").EnumerateArray().Select(q => $"{q.GetProperty("normalized").GetString()} ({q.GetProperty("calls").GetInt64()} calls)")));
        return matches[0];
    }

    /// <summary>Starts the app's replica monitor (otherwise the first replica read does) and waits until /health says
    /// Healthy: every replica in rotation. Not a fixed number of tries that carries on regardless.</summary>
    private static async Task WaitReplicasAsync(ChatApp app, HttpClient client)
    {
        await app.Services.GetRequiredService<PgDisciplineRuntime>().StartMonitoringAsync();
        var last = "";
        await Eventually.UntilAsync(async () =>
        {
            using var response = await client.GetAsync("/health");
            last = await response.Content.ReadAsStringAsync();
            return last == "Healthy";
        }, "the app's replicas in rotation (/health Healthy)", state: () => last, poll: TimeSpan.FromMilliseconds(100));
    }

    /// <summary>The calls of the query containing <paramref name="contains"/>, from a snapshot taken once
    /// <paramref name="atLeast"/> calls are counted (the requests are answered; their statistics are waited for, not assumed).</summary>
    private static async Task<long> CallsAsync(ChatApp app, HttpClient client, string contains, long atLeast)
    {
        JsonElement snapshot = default;
        long Calls(JsonElement s) => s.GetProperty("queries").EnumerateArray()
            .Where(q => q.GetProperty("normalized").GetString()!.Contains(contains, StringComparison.Ordinal))
            .Sum(q => q.GetProperty("calls").GetInt64());
        await Eventually.UntilAsync(async () => Calls(snapshot = await SnapshotAsync(app, client)) >= atLeast,
            $"{atLeast} calls of the query containing '{contains}' in the statistics snapshot",
            state: () => string.Join(" | ", snapshot.GetProperty("queries").EnumerateArray().Select(q => $"{q.GetProperty("normalized").GetString()} ({q.GetProperty("calls").GetInt64()} calls)")),
            poll: TimeSpan.FromMilliseconds(100));
        return Query(snapshot, contains).GetProperty("calls").GetInt64();
    }

    [Fact]
    public async Task The_snapshot_endpoint_needs_the_ops_key_and_health_says_only_its_status()
    {
        await using var app = new ChatApp(cluster);
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/_pgdiscipline/snapshot", null)).StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/_pgdiscipline/snapshot") { Headers = { { "X-Ops-Key", "guess" } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong)).StatusCode);
        Assert.False(File.Exists(app.SnapshotPath));

        await WaitReplicasAsync(app, client);
        var health = await client.GetAsync("/health");
        Assert.Contains(await health.Content.ReadAsStringAsync(), new[] { "Healthy", "Degraded", "Unhealthy" });

        // Without Chat:OpsKey the endpoint does not exist at all.
        await using var keyless = new ChatApp(cluster, new Dictionary<string, string?> { ["Chat:OpsKey"] = "" });
        using var other = keyless.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync("/_pgdiscipline/snapshot", null)).StatusCode);
    }

    [Fact]
    public async Task Migrates_under_the_guard_and_serves_reads_from_the_replicas()
    {
        await using var app = new ChatApp(cluster);
        using var client = app.CreateClient();
        await WaitReplicasAsync(app, client);
        for (var i = 0; i < 20; i++)
        {
            var conversations = await client.GetFromJsonAsync<JsonElement>($"/users/{(i % 10) + 1}/conversations");
            Assert.Equal(JsonValueKind.Array, conversations.ValueKind);
        }

        Assert.Equal(20, await CallsAsync(app, client, "from conversation_members", atLeast: 20));
        var snapshot = await SnapshotAsync(app, client);
        var list = Query(snapshot, "from conversation_members");
        Assert.Equal(20, list.GetProperty("calls").GetInt64());
        Assert.Equal(0, list.GetProperty("routing").GetProperty("primary").GetInt64());
        Assert.Equal(1, list.GetProperty("joins").GetInt32());
        Assert.Equal(2L, await ClusterFixture.ScalarAsync(ChatApp.On(cluster.Primary), "select count(*) from \"__EFMigrationsHistory\""));
        // The second migration built its index concurrently, and it is valid.
        Assert.Equal(true, await ClusterFixture.ScalarAsync(ChatApp.On(cluster.Primary),
            "select indisvalid from pg_index where indexrelid = 'public.\"IX_conversations_last_message_at\"'::regclass"));
    }

    [Fact]
    public async Task The_session_header_gives_read_your_writes_on_another_instance_while_replicas_lag()
    {
        // A generous MaxReplicaLag keeps the paused replicas in rotation, so a read without the token really is stale.
        var lenient = new Dictionary<string, string?> { ["PgDiscipline:MaxReplicaLag"] = "00:01:00" };
        await using var writer = new ChatApp(cluster, lenient);
        await using var reader = new ChatApp(cluster, lenient);
        using var a = writer.CreateClient();
        using var b = reader.CreateClient();
        await WaitReplicasAsync(writer, a);
        await WaitReplicasAsync(reader, b);
        await b.GetAsync("/conversations/3/messages?limit=1"); // warm
        var body = "ryw " + Guid.NewGuid().ToString("N");
        foreach (var r in cluster.Replicas)
        {
            await ClusterFixture.PauseReplayAsync(r);
        }

        try
        {
            var posted = await a.PostAsJsonAsync("/conversations/3/messages", new { authorId = 1, body });
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
            var token = Assert.Single(posted.Headers.GetValues("X-PgDiscipline-Session"));
            Assert.StartsWith("pgd2.1.", token, StringComparison.Ordinal);

            // Instance B without the token: a paused replica answers, without the new message.
            var stale = await b.GetStringAsync("/conversations/3/messages?limit=5");
            Assert.DoesNotContain(body, stale, StringComparison.Ordinal);

            // Instance B with the token: no replica has replayed it, so the primary answers, with the message.
            using var request = new HttpRequestMessage(HttpMethod.Get, "/conversations/3/messages?limit=5");
            request.Headers.Add("X-PgDiscipline-Session", token);
            var fresh = await (await b.SendAsync(request)).Content.ReadAsStringAsync();
            Assert.Contains(body, fresh, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var r in cluster.Replicas)
            {
                await ClusterFixture.ScalarAsync(r, "select pg_wal_replay_resume()");
            }
        }
    }

    [Fact]
    public async Task A_profile_miss_storm_is_one_database_query()
    {
        await using var app = new ChatApp(cluster);
        using var client = app.CreateClient();
        await WaitReplicasAsync(app, client);
        var first = await client.GetAsync("/users/7"); // the fingerprint exists in the statistics
        Assert.True(first.StatusCode == HttpStatusCode.OK, $"{first.StatusCode}: {await first.Content.ReadAsStringAsync()}");
        var before = await CallsAsync(app, client, "u.display_name from users", atLeast: 1);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.GetAsync("/users/42")));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var after = await CallsAsync(app, client, "u.display_name from users", atLeast: before + 1);
        Assert.Equal(1, after - before);
    }

    [Fact]
    public async Task A_rule_from_configuration_sheds_a_query_with_503_and_leaves_the_rest()
    {
        await using var app = new ChatApp(cluster, new Dictionary<string, string?>
        {
            ["PgDiscipline:Rules:1:Id"] = "incident-7",
            ["PgDiscipline:Rules:1:Table"] = "conversation_members",
            ["PgDiscipline:Rules:1:Action"] = "Block",
            ["PgDiscipline:Rules:1:Reason"] = "test",
        });
        using var client = app.CreateClient();
        await WaitReplicasAsync(app, client);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/users/1/conversations")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/conversations/1/messages")).StatusCode);
        var list = Query(await SnapshotAsync(app, client), "from conversation_members");
        Assert.Equal(1, list.GetProperty("blocked").GetInt64());
        Assert.Equal(0, list.GetProperty("calls").GetInt64());
    }

    [Fact]
    public async Task Invalid_configuration_fails_at_startup_naming_the_key()
    {
        await using var app = new ChatApp(cluster, new Dictionary<string, string?> { ["PgDiscipline:MaxReplicaLag"] = "-00:00:01" });
        var ex = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("PgDiscipline:MaxReplicaLag", ex.ToString(), StringComparison.Ordinal);
    }
}
