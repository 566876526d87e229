using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Npgsql;

namespace PgDiscipline.Testing;

/// <summary>
/// A running replicated cluster made by <see cref="PgClusterBuilder"/>: connection strings for each server (all on
/// 127.0.0.1, ports fixed for the cluster's life, so a replica stopped and started again keeps its connection string)
/// and the operations replica-routing tests need. Dispose it to remove the containers and the network.
/// </summary>
public sealed class PgCluster : IAsyncDisposable
{
    /// <summary>The label every container and network of a cluster carries (its value is the cluster's id), for cleaning
    /// up after a test process that was killed: <c>docker rm -f $(docker ps -aq --filter label=org.pgdiscipline.testing)</c>.</summary>
    public const string Label = "org.pgdiscipline.testing";

    private readonly PgClusterBuilder _options;
    private readonly string _id;
    private readonly List<IContainer> _replicas = [];
    private INetwork? _network;
    private IContainer? _primary;
    private IContainer? _standby;
    private IContainer? _pgBouncer;
    private string _image = "";
    private int _primaryPort;

    private PgCluster(PgClusterBuilder options)
    {
        _options = options;
        _id = Guid.NewGuid().ToString("N")[..12];
    }

    /// <summary>The primary (read-write).</summary>
    public string PrimaryConnectionString { get; private set; } = "";

    /// <summary>The asynchronous streaming replicas, in order (replica1, replica2, …).</summary>
    public IReadOnlyList<string> ReplicaConnectionStrings { get; private set; } = [];

    /// <summary>PgBouncer (<c>pool_mode=transaction</c>) in front of the primary, or null without <see cref="PgClusterBuilder.WithPgBouncer"/>.</summary>
    public string? PgBouncerConnectionString { get; private set; }

    /// <summary>A PgBouncer database alias (<c>&lt;database&gt;_single</c>) whose pool has exactly one server connection:
    /// clients that share it show what a session setting leaks to the next transaction. Null without PgBouncer.</summary>
    public string? PgBouncerSingleConnectionString { get; private set; }

    /// <summary>The synchronous hot standby, or null without <see cref="PgClusterBuilder.WithSynchronousStandby"/>.</summary>
    public string? StandbyConnectionString { get; private set; }

    /// <summary>The image the containers run.</summary>
    public string Image => _image;

    /// <summary>How long <see cref="PgClusterBuilder.StartAsync"/> took, image build included.</summary>
    public TimeSpan StartupTime { get; private set; }

    internal static async Task<PgCluster> StartAsync(PgClusterBuilder options, CancellationToken cancellationToken)
    {
        var cluster = new PgCluster(options);
        var sw = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.StartupTimeout);
        try
        {
            await cluster.StartCoreAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var logs = await cluster.CollectLogsAsync().ConfigureAwait(false);
            await cluster.DisposeAsync().ConfigureAwait(false);
            if (TooNewApi(ex) is { } refusal)
            {
                throw new InvalidOperationException(
                    $"The Docker engine answered but refused Testcontainers' API version ({refusal}). Set DOCKER_API_VERSION to the "
                    + "engine's maximum (e.g. DOCKER_API_VERSION=1.41 for Debian 12's docker.io 20.10) before the first container is made, "
                    + "or upgrade the engine (Docker 25 or later speaks 1.44).", ex);
            }

            if (IsDockerUnavailable(ex))
            {
                throw new DockerEngineUnavailableException(options.DockerEndpoint, ex);
            }

            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"The PostgreSQL test cluster did not start within {options.StartupTimeout.TotalSeconds:0} s (image {cluster._image}).{logs}", ex);
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new InvalidOperationException($"The PostgreSQL test cluster failed to start (image {cluster._image}): {ex.Message}{logs}", ex);
        }

        cluster.StartupTime = sw.Elapsed;
        return cluster;
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        _image = await ResolveImageAsync(ct).ConfigureAwait(false);
        var networkBuilder = new NetworkBuilder().WithName("pgdiscipline-" + _id).WithLabel(Label, _id);
        if (_options.DockerEndpoint is { } endpoint)
        {
            networkBuilder = networkBuilder.WithDockerEndpoint(endpoint);
        }

        _network = networkBuilder.Build();
        await _network.CreateAsync(ct).ConfigureAwait(false);

        var primaryPort = FreePort();
        _primaryPort = primaryPort;
        _primary = Container("primary", ContainerScripts.Primary, primaryPort, ("PGD_SETTINGS", string.Join('\n', _options.Settings)));
        PrimaryConnectionString = ConnectionString(primaryPort, _options.Database);
        await _primary.StartAsync(ct).ConfigureAwait(false);
        await WaitConnectableAsync(PrimaryConnectionString, "the primary", ct).ConfigureAwait(false);

        // Replicas (and the standby) take their base backups in parallel.
        var replicaStrings = new List<string>();
        var starts = new List<Task>();
        for (var i = 1; i <= _options.ReplicaCount; i++)
        {
            var port = FreePort();
            var replica = Container("replica" + i.ToString(CultureInfo.InvariantCulture), ContainerScripts.Replica, port);
            _replicas.Add(replica);
            var connection = ConnectionString(port, _options.Database);
            replicaStrings.Add(connection);
            starts.Add(StartAndWaitAsync(replica, connection, "replica" + i.ToString(CultureInfo.InvariantCulture), ct));
        }

        ReplicaConnectionStrings = replicaStrings;
        if (_options.SynchronousStandby)
        {
            var port = FreePort();
            _standby = Container("standby", ContainerScripts.Replica, port);
            StandbyConnectionString = ConnectionString(port, _options.Database);
            starts.Add(StartAndWaitAsync(_standby, StandbyConnectionString, "the standby", ct));
        }

        if (_options.PgBouncer)
        {
            var port = FreePort();
            _pgBouncer = Container("pgbouncer", ContainerScripts.PgBouncer, port);
            PgBouncerConnectionString = ConnectionString(port, _options.Database);
            PgBouncerSingleConnectionString = ConnectionString(port, _options.Database + "_single");
            starts.Add(StartAndWaitAsync(_pgBouncer, PgBouncerConnectionString, "PgBouncer", ct));
        }

        await Task.WhenAll(starts).ConfigureAwait(false);
        await WaitForStreamingAsync(ct).ConfigureAwait(false);
        if (_options.SynchronousStandby)
        {
            // Synchronous from now on (as build/cluster.sh): a commit returns once the standby has flushed it.
            await ExecuteAsync(PrimaryConnectionString, "alter system set synchronous_standby_names = 'standby'", ct).ConfigureAwait(false);
            await ExecuteAsync(PrimaryConnectionString, "select pg_reload_conf()", ct).ConfigureAwait(false);
        }
    }

    private async Task<string> ResolveImageAsync(CancellationToken ct)
    {
        if (_options.Image is { } image)
        {
            return image;
        }

        if (!_options.PgBouncer)
        {
            return PgClusterBuilder.DefaultImage;
        }

        // The official image has no PgBouncer: add it with a Dockerfile (built once, then reused by its tag).
        var directory = Directory.CreateTempSubdirectory("pgdiscipline-image-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "Dockerfile"),
                ContainerScripts.AddPgBouncerDockerfile(PgClusterBuilder.DefaultImage), ct).ConfigureAwait(false);
            var builder = new ImageFromDockerfileBuilder()
                .WithDockerfileDirectory(directory.FullName)
                .WithDockerfile("Dockerfile")
                .WithName("pgdiscipline/postgres-pgbouncer:15-bookworm")
                .WithCleanUp(false)
                .WithDeleteIfExists(false);
            if (_options.DockerEndpoint is { } endpoint)
            {
                builder = builder.WithDockerEndpoint(endpoint);
            }

            var future = builder.Build();
            await future.CreateAsync(ct).ConfigureAwait(false);
            return future.FullName;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    // Each server listens inside its container on the port it is published on (as build/cluster.sh's servers do), so
    // inet_server_port() and the names PgDiscipline gives replicas (host:port) mean the same on both backends.
    private IContainer Container(string name, string script, int port, params (string Key, string Value)[] environment)
    {
        var builder = new ContainerBuilder(_image)
            .WithName($"pgdiscipline-{_id}-{name}")
            .WithNetwork(_network!)
            .WithNetworkAliases(name)
            .WithLabel(Label, _id)
            .WithEntrypoint("bash", "-c", script)
            .WithEnvironment("PGD_USER", _options.Username)
            .WithEnvironment("PGD_PASSWORD", _options.Password)
            .WithEnvironment("PGD_DB", _options.Database)
            .WithEnvironment("PGD_NAME", name)
            .WithEnvironment("PGD_PORT", port.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("PGD_UPSTREAM", "primary")
            .WithEnvironment("PGD_UPSTREAM_PORT", _primaryPort.ToString(CultureInfo.InvariantCulture))
            .WithPortBinding(port, port)
            .WithCreateParameterModifier(parameters =>
            {
                parameters.User = "postgres";
                // Published on loopback only.
                foreach (var binding in parameters.HostConfig?.PortBindings?.Values.SelectMany(b => b) ?? [])
                {
                    binding.HostIP = "127.0.0.1";
                }
            });
        foreach (var (key, value) in environment)
        {
            builder = builder.WithEnvironment(key, value);
        }

        if (_options.DockerEndpoint is { } endpoint)
        {
            builder = builder.WithDockerEndpoint(endpoint);
        }

        return builder.Build();
    }

    private string ConnectionString(int port, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = port,
        Database = database,
        Username = _options.Username,
        Password = _options.Password,
    }.ConnectionString;

    private static async Task StartAndWaitAsync(IContainer container, string connectionString, string what, CancellationToken ct)
    {
        await container.StartAsync(ct).ConfigureAwait(false);
        await WaitConnectableAsync(connectionString, what, ct).ConfigureAwait(false);
    }

    /// <summary>Waits until every replica (and the standby) streams from the primary.</summary>
    public async Task WaitForStreamingAsync(CancellationToken cancellationToken = default)
    {
        var expected = _replicas.Count + (_standby is null ? 0 : 1);
        while (true)
        {
            var streaming = (long)(await ScalarAsync(PrimaryConnectionString,
                "select count(*) from pg_stat_replication where state = 'streaming'", cancellationToken).ConfigureAwait(false))!;
            if (streaming >= expected)
            {
                return;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until a replica has replayed everything the primary has written so far.</summary>
    public async Task WaitForReplayAsync(int replica, CancellationToken cancellationToken = default)
    {
        var target = (string)(await ScalarAsync(PrimaryConnectionString, "select pg_current_wal_insert_lsn()::text", cancellationToken).ConfigureAwait(false))!;
        while (!(bool)(await ScalarAsync(ReplicaConnectionStrings[replica],
            $"select coalesce(pg_last_wal_replay_lsn() >= '{target}'::pg_lsn, false)", cancellationToken).ConfigureAwait(false))!)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Pauses WAL replay on a replica (0-based) and returns once it has really paused
    /// (<c>pg_wal_replay_pause()</c> only requests it): reads there see data as of that moment and its lag grows.</summary>
    public async Task PauseReplayAsync(int replica, CancellationToken cancellationToken = default)
    {
        var connection = ReplicaConnectionStrings[replica];
        await ExecuteAsync(connection, "select pg_wal_replay_pause()", cancellationToken).ConfigureAwait(false);
        while ((string?)await ScalarAsync(connection, "select pg_get_wal_replay_pause_state()", cancellationToken).ConfigureAwait(false) != "paused")
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Resumes WAL replay on a replica (0-based).</summary>
    public Task ResumeReplayAsync(int replica, CancellationToken cancellationToken = default)
        => ExecuteAsync(ReplicaConnectionStrings[replica], "select pg_wal_replay_resume()", cancellationToken);

    /// <summary>Stops a replica (0-based) like a crash (<c>pg_ctl stop -m immediate</c>; the container stops with it).</summary>
    public Task StopReplicaAsync(int replica, CancellationToken cancellationToken = default) => CrashAsync(_replicas[replica], cancellationToken);

    /// <summary>Starts a replica stopped by <see cref="StopReplicaAsync"/> (same data directory, same port) and returns
    /// once it accepts connections and streams again.</summary>
    public async Task StartReplicaAsync(int replica, CancellationToken cancellationToken = default)
    {
        await _replicas[replica].StartAsync(cancellationToken).ConfigureAwait(false);
        await WaitConnectableAsync(ReplicaConnectionStrings[replica], "replica" + (replica + 1).ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        await WaitForStreamingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the primary like a crash (for failover tests, or to see what the app does while it is down).</summary>
    public Task StopPrimaryAsync(CancellationToken cancellationToken = default) => CrashAsync(_primary!, cancellationToken);

    /// <summary>Starts the primary stopped by <see cref="StopPrimaryAsync"/> (crash recovery, same port) and returns once it
    /// accepts connections; the replicas reconnect on their own.</summary>
    public async Task StartPrimaryAsync(CancellationToken cancellationToken = default)
    {
        await _primary!.StartAsync(cancellationToken).ConfigureAwait(false);
        await WaitConnectableAsync(PrimaryConnectionString, "the primary", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops PgBouncer (its container stops; clients see their connections drop).</summary>
    public Task StopPgBouncerAsync(CancellationToken cancellationToken = default)
        => (_pgBouncer ?? throw new InvalidOperationException("The cluster has no PgBouncer.")).StopAsync(cancellationToken);

    /// <summary>Starts PgBouncer again (same port and configuration) and returns once it accepts connections.</summary>
    public async Task StartPgBouncerAsync(CancellationToken cancellationToken = default)
    {
        await (_pgBouncer ?? throw new InvalidOperationException("The cluster has no PgBouncer.")).StartAsync(cancellationToken).ConfigureAwait(false);
        await WaitConnectableAsync(PgBouncerConnectionString!, "PgBouncer", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Promotes the synchronous standby to primary (<c>pg_promote()</c>, waits until it accepts writes). The
    /// replicas keep following the old primary; PgBouncer still points at it.</summary>
    public async Task PromoteStandbyAsync(CancellationToken cancellationToken = default)
    {
        var standby = StandbyConnectionString ?? throw new InvalidOperationException("The cluster has no standby: build it with WithSynchronousStandby().");
        await ExecuteAsync(standby, "select pg_promote(wait => true, wait_seconds => 60)", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Holds a table lock on the primary from a connection of its own (<c>BEGIN; LOCK TABLE … IN <paramref name="mode"/>
    /// MODE</c>) until the returned handle is disposed: what a migration or a long transaction does to the queries
    /// behind it.</summary>
    public async Task<IAsyncDisposable> HoldLockAsync(string table, string mode = "ACCESS EXCLUSIVE", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        var normalized = mode.Trim().ToUpperInvariant();
        string[] modes = ["ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"];
        if (!modes.Contains(normalized))
        {
            throw new ArgumentException($"Unknown lock mode '{mode}' (one of: {string.Join(", ", modes)}).", nameof(mode));
        }

        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PrimaryConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = new NpgsqlCommand($"lock table {table} in {normalized} mode", connection, transaction))
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new HeldLock(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed class HeldLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync().ConfigureAwait(false);
            await transaction.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Removes the containers and the network.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var container in new[] { _pgBouncer, _standby }.Concat(_replicas).Append(_primary))
        {
            if (container is not null)
            {
                try
                {
                    await container.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Removing the rest matters more than this one's error.
                }
            }
        }

        if (_network is not null)
        {
            try
            {
                await _network.DeleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
            }

            await _network.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task CrashAsync(IContainer container, CancellationToken ct)
    {
        // The server is the container's main process: when it stops, the container stops.
        await container.ExecAsync(["bash", "-c", ContainerScripts.StopImmediately], ct).ConfigureAwait(false);
        await container.StopAsync(ct).ConfigureAwait(false);
    }

    private async Task<string> CollectLogsAsync()
    {
        var text = new System.Text.StringBuilder();
        foreach (var container in new[] { _primary, _standby, _pgBouncer }.Concat(_replicas))
        {
            if (container is null)
            {
                continue;
            }

            try
            {
                var (stdout, stderr) = await container.GetLogsAsync().ConfigureAwait(false);
                var lines = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                text.Append(CultureInfo.InvariantCulture, $"\n--- {container.Name} (last lines) ---\n").AppendJoin('\n', lines.TakeLast(15));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
            }
        }

        return text.ToString();
    }

    private static string? TooNewApi(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            var at = e.Message.IndexOf("is too new", StringComparison.Ordinal);
            if (at >= 0)
            {
                var start = e.Message.IndexOf("client version", StringComparison.Ordinal);
                return start >= 0 ? e.Message[start..].Split('"')[0] : e.Message;
            }
        }

        return null;
    }

    // Testcontainers' own verdict, or the Docker API client's transport failing (HTTP over the engine's socket: the form
    // the error takes once Testcontainers has already probed the endpoint in this process). Not a bare SocketException:
    // a PostgreSQL connection error inside a start-up timeout is not a missing Docker engine.
    private static bool IsDockerUnavailable(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is DotNet.Testcontainers.Builders.DockerUnavailableException or HttpRequestException)
            {
                return true;
            }
        }

        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitConnectableAsync(string connectionString, string what, CancellationToken ct)
    {
        var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 2 }.ConnectionString;
        Exception? last = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(unpooled);
                await connection.OpenAsync(ct).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or IOException or TimeoutException)
            {
                last = ex;
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        throw new OperationCanceledException($"{what} did not accept connections: {last?.Message}", last, ct);
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    private static Task ExecuteAsync(string connectionString, string sql, CancellationToken ct) => ScalarAsync(connectionString, sql, ct);
}
