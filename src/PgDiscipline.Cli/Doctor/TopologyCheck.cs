using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using PgDiscipline.Operations.Diagnostics;

namespace PgDiscipline.Cli.Doctor;

/// <summary>
/// <c>pgdiscipline doctor</c>'s replication tree: every host of the primary connection string (a multi-host string lists
/// the primary and its standbys) and every <c>--replica</c>, each looked at on its own: role, timeline, whom it streams
/// from (<c>pg_stat_wal_receiver</c>), and how far it is behind the writable server. Fails when more than one server
/// accepts writes (split brain: the one on the older timeline is an old primary nobody fenced).
/// </summary>
internal static class TopologyCheck
{
    private const string NodeSql = """
        select pg_is_in_recovery(),
               case when pg_is_in_recovery() then coalesce((select received_tli::bigint from pg_stat_wal_receiver), (select timeline_id::bigint from pg_control_checkpoint()))
                    else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint end,
               case when pg_is_in_recovery() then pg_last_wal_replay_lsn()::text else pg_current_wal_flush_lsn()::text end,
               (select sender_host from pg_stat_wal_receiver),
               (select sender_port from pg_stat_wal_receiver),
               current_setting('cluster_name'),
               (select coalesce(string_agg(application_name, ','), '') from pg_stat_replication)
        """;

    private sealed record Node(string Key, bool Reachable, bool Writable, long? Timeline, NpgsqlTypes.NpgsqlLogSequenceNumber Position, string? Upstream, string Name, string? Error)
    {
        /// <summary>The application names (cluster_name of each standby) streaming from this server.</summary>
        public IReadOnlyList<string> Downstream { get; init; } = [];

        /// <summary>The upstream as the standby names it (sender_host:sender_port), when that is not the address listed here.</summary>
        public string? UpstreamAsConfigured { get; init; }
    }

    public static async Task<Check> RunAsync(string primaryConnectionString, IReadOnlyList<string> replicaConnectionStrings, CancellationToken ct)
    {
        var targets = new List<(string Key, string ConnectionString)>();
        try
        {
            targets.AddRange(Hosts(primaryConnectionString));
            foreach (var r in replicaConnectionStrings)
            {
                targets.AddRange(Hosts(r));
            }
        }
        catch (ArgumentException a)
        {
            return new Check("topology", Status.Fail, "invalid connection string (" + a.ParamName + ")");
        }

        var nodes = new List<Node>();
        foreach (var (key, cs) in targets.DistinctBy(t => t.Key, StringComparer.OrdinalIgnoreCase))
        {
            nodes.Add(await LookAsync(key, cs, ct).ConfigureAwait(false));
        }

        // A standby names its upstream as it reaches it (a container network alias, a Kubernetes service, an internal IP),
        // which need not be the address listed here. When that name is not a listed server, the upstream is the listed
        // server that has this standby (its cluster_name) among its walsenders.
        for (var i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (n.Upstream is { } up && n.Name.Length > 0 && !nodes.Any(p => string.Equals(p.Key, up, StringComparison.OrdinalIgnoreCase))
                && nodes.Where(p => p.Downstream.Contains(n.Name, StringComparer.Ordinal)).ToList() is [var sender])
            {
                nodes[i] = n with { Upstream = sender.Key, UpstreamAsConfigured = up };
            }
        }

        var writers = nodes.Where(n => n.Writable).ToList();
        var primary = writers.OrderByDescending(n => n.Timeline).FirstOrDefault();
        var text = new StringBuilder();
        var data = new JsonArray();
        foreach (var n in nodes)
        {
            data.Add((JsonNode)new JsonObject
            {
                ["server"] = n.Key,
                ["name"] = n.Name,
                ["reachable"] = n.Reachable,
                ["role"] = !n.Reachable ? null : n.Writable ? "primary" : "standby",
                ["timeline"] = n.Timeline,
                ["upstream"] = n.Upstream,
                ["upstream_as_configured"] = n.UpstreamAsConfigured,
                ["lag_bytes"] = LagBytes(primary, n),
                ["error"] = n.Error,
            });
        }

        // The tree: writers at the top, each standby under the server it streams from (or at the top when that is not listed).
        var printed = new HashSet<Node>();
        void Print(Node n, int depth)
        {
            if (!printed.Add(n))
            {
                return;
            }

            text.Append("\n    ").Append(new string(' ', depth * 4)).Append(depth > 0 ? "└─ " : "").Append(Describe(n, primary));
            foreach (var child in nodes.Where(c => c.Upstream is { } up && string.Equals(up, n.Key, StringComparison.OrdinalIgnoreCase)))
            {
                Print(child, depth + 1);
            }
        }

        foreach (var root in nodes.Where(n => n.Writable || n.Upstream is null || !nodes.Any(p => string.Equals(p.Key, n.Upstream, StringComparison.OrdinalIgnoreCase))))
        {
            Print(root, 0);
        }

        foreach (var rest in nodes)
        {
            Print(rest, 0);
        }

        if (writers.Count > 1)
        {
            var list = string.Join(", ", writers.Select(w => $"{w.Key} (timeline {w.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "?"})"));
            return new Check("topology", Status.Fail,
                $"{writers.Count} servers accept writes: {list} — split brain: fence or rebuild every one but the newest timeline's" + text, data);
        }

        var unreachable = nodes.Count(n => !n.Reachable);
        return writers.Count == 0
            ? new Check("topology", Status.Fail, "no server accepts writes" + text, data)
            : new Check("topology", unreachable > 0 ? Status.Warn : Status.Ok,
                string.Create(CultureInfo.InvariantCulture, $"{nodes.Count} servers, 1 primary (timeline {primary!.Timeline}){(unreachable > 0 ? $", {unreachable} unreachable" : "")}") + text, data);
    }

    private static long? LagBytes(Node? primary, Node n)
        => primary is null || !n.Reachable || n.Writable ? null : (long)Math.Max(0, (long)((ulong)primary.Position - (ulong)n.Position));

    private static string Describe(Node n, Node? primary)
    {
        if (!n.Reachable)
        {
            return $"{n.Key}: unreachable ({n.Error})";
        }

        var role = n.Writable ? "primary" : "standby";
        var tl = n.Timeline is { } t ? t.ToString(CultureInfo.InvariantCulture) : "?";
        var lag = LagBytes(primary, n) is { } b ? string.Create(CultureInfo.InvariantCulture, $", {b} bytes behind") : "";
        var name = n.Name.Length > 0 ? $" '{n.Name}'" : "";
        return $"{n.Key}{name}: {role}, timeline {tl}{lag}";
    }

    private static async Task<Node> LookAsync(string key, string connectionString, CancellationToken ct)
    {
        try
        {
            await using var c = new NpgsqlConnection(connectionString);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await c.OpenAsync(timeout.Token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(NodeSql, c);
            await using var r = await cmd.ExecuteReaderAsync(timeout.Token).ConfigureAwait(false);
            await r.ReadAsync(timeout.Token).ConfigureAwait(false);
            var inRecovery = r.GetBoolean(0);
            long? timeline = r.IsDBNull(1) ? null : r.GetInt64(1);
            _ = NpgsqlTypes.NpgsqlLogSequenceNumber.TryParse(r.IsDBNull(2) ? "" : r.GetString(2), out var position);
            var upstream = r.IsDBNull(3) ? null : r.GetString(3) + ":" + (r.IsDBNull(4) ? 5432 : r.GetInt32(4)).ToString(CultureInfo.InvariantCulture);
            return new Node(key, true, !inRecovery, timeline, position, upstream, r.IsDBNull(5) ? "" : r.GetString(5), null)
            {
                Downstream = r.IsDBNull(6) ? [] : r.GetString(6).Split(',', StringSplitOptions.RemoveEmptyEntries),
            };
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            if (ct.IsCancellationRequested)
            {
                throw;
            }

            // Never the connection string: it may hold a password.
            return new Node(key, false, false, null, default, null, "", ex is PostgresException pg ? SafeErrorText.Describe(pg)
                : ex.InnerException is System.Net.Sockets.SocketException socket ? "socket " + socket.SocketErrorCode.ToString()
                : ex is OperationCanceledException ? "no answer within 5 s"
                : ex.GetType().Name);
        }
    }

    /// <summary>Each host of a connection string as its own unpooled connection string (any role), keyed host:port.</summary>
    private static IEnumerable<(string Key, string ConnectionString)> Hosts(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        foreach (var raw in (builder.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = raw.LastIndexOf(':');
            var (host, port) = !raw.StartsWith('[') && colon > 0 && raw.IndexOf(':', StringComparison.Ordinal) == colon
                && int.TryParse(raw.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                ? (raw[..colon], p)
                : (raw, builder.Port);
            var one = new NpgsqlConnectionStringBuilder(connectionString) { Host = host, Port = port, Pooling = false, Timeout = 3 };
            one.Remove("Target Session Attributes");
            one.Remove("Load Balance Hosts");
            yield return (host + ":" + port.ToString(CultureInfo.InvariantCulture), one.ConnectionString);
        }
    }
}
