using System.Diagnostics;
using System.Globalization;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Npgsql;

namespace PgDiscipline.Testing;

/// <summary>
/// A replicated PostgreSQL cluster in Docker containers, made by <see cref="PgClusterBuilder.Build"/> and started by
/// <see cref="StartAsync"/>: a primary, streaming replicas, optionally PgBouncer in transaction mode and a synchronous
/// standby. Each PostgreSQL node is a <see cref="PgNode"/> whose container is a Testcontainers.PostgreSql container; its
/// port on 127.0.0.1 is mapped at random by Docker and stays for the cluster's life (faults stop the server, not the
/// container). The faults tests need are in the other half of this class. Dispose it to remove the containers and the
/// network.
/// </summary>
public sealed partial class PgCluster : IAsyncDisposable
{
    /// <summary>The label every container and network of a cluster carries (its value is the cluster's id), for cleaning
    /// up by hand: <c>docker rm -f $(docker ps -aq --filter label=org.pgdiscipline.testing)</c>, then
    /// <c>docker network rm $(docker network ls -q --filter label=org.pgdiscipline.testing)</c>.</summary>
    public const string Label = "org.pgdiscipline.testing";

    private readonly ClusterContainers _make;
    private readonly List<PgNode> _replicas = [];
    private INetwork? _network;
    private PgNode? _primary;
    private PgNode? _standby;
    private IContainer? _pgBouncer;
    private int _started;

    internal PgCluster(PgClusterConfiguration configuration)
    {
        Configuration = configuration;
        _make = new ClusterContainers(configuration);
    }

    /// <summary>The configuration it was built with.</summary>
    public PgClusterConfiguration Configuration { get; }

    /// <summary>The primary (read-write).</summary>
    public PgNode Primary => _primary ?? throw NotStarted();

    /// <summary>The asynchronous streaming replicas, in order (<c>replica1</c>, <c>replica2</c>, …).</summary>
    public IReadOnlyList<PgNode> Replicas => _primary is null ? throw NotStarted() : _replicas;

    /// <summary>The synchronous hot standby, or null without <see cref="PgClusterBuilder.WithSynchronousStandby"/>.</summary>
    public PgNode? Standby => _primary is null ? throw NotStarted() : _standby;

    /// <summary>PgBouncer's container (listening on 6432 inside), or null without PgBouncer.</summary>
    public IContainer? PgBouncerContainer => _primary is null ? throw NotStarted() : _pgBouncer;

    /// <summary>The primary's connection string.</summary>
    public string PrimaryConnectionString => Primary.GetConnectionString();

    /// <summary>The replicas' connection strings, in order.</summary>
    public IReadOnlyList<string> ReplicaConnectionStrings => Replicas.Select(r => r.GetConnectionString()).ToArray();

    /// <summary>The standby's connection string, or null.</summary>
    public string? StandbyConnectionString => Standby?.GetConnectionString();

    /// <summary>PgBouncer (<c>pool_mode=transaction</c>) in front of the primary, or null without PgBouncer.</summary>
    public string? PgBouncerConnectionString => PgBouncerConnection(Configuration.Database!);

    /// <summary>A PgBouncer database alias (<c>&lt;database&gt;_single</c>) whose pool has exactly one server connection:
    /// clients that share it show what a session setting leaks to the next transaction. Null without PgBouncer.</summary>
    public string? PgBouncerSingleConnectionString => PgBouncerConnection(Configuration.Database + "_single");

    /// <summary>The value of <see cref="Label"/> on its containers and network.</summary>
    internal string Id => _make.Id;

    /// <summary>The PostgreSQL image the nodes run.</summary>
    public string Image => Configuration.Image!;

    /// <summary>How long <see cref="StartAsync"/> took, image builds included.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Starts the containers and returns when every replica (and the standby) streams from the primary. On
    /// failure it removes what it made and throws an error that names the setting to change
    /// (<see cref="PgClusterStartupException"/>, or <see cref="DockerEngineUnavailableException"/>). Once only.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            throw new InvalidOperationException("The cluster was started already; build another one for a second cluster.");
        }

        var sw = Stopwatch.StartNew();
        var timeout = Configuration.StartupTimeout!.Value;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var context = new StartupContext(Configuration.DockerEndpoint, Image, timeout);
        try
        {
            await StartCoreAsync(context, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            context.TimedOut = cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            context.Logs = await CollectLogsAsync().ConfigureAwait(false);
            context.MissingImages = await MissingImagesAsync(context).ConfigureAwait(false);
            await RemoveAsync().ConfigureAwait(false);
            _primary = null;
            throw StartupErrors.Translate(ex, context);
        }

        StartupTime = sw.Elapsed;
    }

    private async Task StartCoreAsync(StartupContext context, CancellationToken ct)
    {
        if (!DockerHousekeeping.ReaperEnabled)
        {
            await DockerHousekeeping.RemoveLeftoversAsync(Configuration.DockerEndpoint, ct).ConfigureAwait(false);
        }

        var pgBouncerImage = Configuration.PgBouncer == true ? await _make.PgBouncerImageAsync(ct).ConfigureAwait(false) : null;
        context.PgBouncerImage = pgBouncerImage;
        _network = _make.Network();
        await _network.CreateAsync(ct).ConfigureAwait(false);

        _primary = new PgNode("primary", _make.Node(_network, "primary", primary: true));
        await _primary.Container.StartAsync(ct).ConfigureAwait(false);

        // Replicas (and the standby) take their base backups in parallel, PgBouncer starts meanwhile.
        var starts = new List<Task>();
        for (var i = 1; i <= Configuration.Replicas; i++)
        {
            var name = "replica" + i.ToString(CultureInfo.InvariantCulture);
            var replica = new PgNode(name, _make.Node(_network, name, primary: false));
            _replicas.Add(replica);
            starts.Add(replica.Container.StartAsync(ct));
        }

        if (Configuration.SynchronousStandby == true)
        {
            _standby = new PgNode("standby", _make.Node(_network, "standby", primary: false));
            starts.Add(_standby.Container.StartAsync(ct));
        }

        if (pgBouncerImage is not null)
        {
            _pgBouncer = _make.PgBouncer(_network, pgBouncerImage);
            starts.Add(StartPgBouncerContainerAsync(_pgBouncer, ct));
        }

        await Task.WhenAll(starts).ConfigureAwait(false);
        if (Configuration.Reuse == true)
        {
            // A reused cluster may carry the last run's faults: every server up, replay resumed.
            await UndoFaultsAsync(ct).ConfigureAwait(false);
        }

        await WaitForStreamingAsync(ct).ConfigureAwait(false);
        if (_standby is not null)
        {
            // Synchronous from now on (as build/cluster.sh): a commit returns once the standby has flushed it.
            await ExecuteAsync(PrimaryConnectionString, "alter system set synchronous_standby_names = 'standby'", ct).ConfigureAwait(false);
            await ExecuteAsync(PrimaryConnectionString, "select pg_reload_conf()", ct).ConfigureAwait(false);
        }
    }

    private async Task StartPgBouncerContainerAsync(IContainer pgBouncer, CancellationToken ct)
    {
        await pgBouncer.StartAsync(ct).ConfigureAwait(false);
        await PgNode.WaitConnectableAsync(PgBouncerConnectionString!, "PgBouncer", ct).ConfigureAwait(false);
    }

    private string? PgBouncerConnection(string database)
    {
        var pgBouncer = PgBouncerContainer;
        return pgBouncer is null ? null : new NpgsqlConnectionStringBuilder
        {
            Host = pgBouncer.Hostname,
            Port = ClusterContainers.PgBouncerPublicPort(pgBouncer),
            Database = database,
            Username = Configuration.Username,
            Password = Configuration.Password,
        }.ConnectionString;
    }

    private IEnumerable<IContainer> Containers()
        => new IContainer?[] { _pgBouncer, _standby?.Container }.Concat(_replicas.Select(r => r.Container)).Append(_primary?.Container).OfType<IContainer>();

    /// <summary>Removes the containers and the network (a reused cluster's stay running).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Configuration.Reuse == true || Volatile.Read(ref _started) == 0)
        {
            return;
        }

        await RemoveAsync().ConfigureAwait(false);
    }

    private async Task RemoveAsync()
    {
        // Testcontainers removes a container on dispose only when its reaper runs; without it, it stops it. The labels
        // find the rest.
        await Task.WhenAll(Containers().Select(async container =>
        {
            try
            {
                await container.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Removing the rest matters more than this one's error.
            }
        })).ConfigureAwait(false);
        if (_network is not null && DockerHousekeeping.ReaperEnabled)
        {
            try
            {
                await _network.DeleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
            }
        }

        if (!DockerHousekeeping.ReaperEnabled && Configuration.Reuse != true)
        {
            try
            {
                await DockerHousekeeping.RemoveClusterAsync(Configuration.DockerEndpoint, _make.Id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // No engine (the start failed for that reason): nothing was made.
            }
        }

        if (_network is not null)
        {
            await _network.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<string> CollectLogsAsync()
    {
        var text = new System.Text.StringBuilder();
        foreach (var container in Containers())
        {
            try
            {
                var (stdout, stderr) = await container.GetLogsAsync().ConfigureAwait(false);
                var lines = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                text.Append(CultureInfo.InvariantCulture, $"\n--- {container.Name} (last lines) ---\n").AppendJoin('\n', lines.TakeLast(15));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A container that was never created has no logs.
            }
        }

        return text.ToString();
    }

    private async Task<IReadOnlyList<string>> MissingImagesAsync(StartupContext context)
    {
        try
        {
            var images = new[] { Image, Configuration.PgBouncer == true ? Configuration.PgBouncerImage ?? Image : null }.OfType<string>();
            return await DockerHousekeeping.MissingImagesAsync(context.Endpoint, images, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return [];
        }
    }

    private static InvalidOperationException NotStarted() => new("The cluster has not started: call StartAsync() first (and let it finish).");
}
