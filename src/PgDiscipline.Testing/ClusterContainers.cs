using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Testcontainers.PostgreSql;

namespace PgDiscipline.Testing;

/// <summary>
/// Makes the cluster's Docker resources from its configuration: the network, one Testcontainers.PostgreSql container per
/// PostgreSQL node (the module's builder, environment contract, wait strategy and random port, with the supervisor and the
/// replication set-up added), and the PgBouncer container. Every resource carries the cluster's labels.
/// </summary>
internal sealed class ClusterContainers(PgClusterConfiguration configuration)
{
    /// <summary>Which process made a container (<c>machine/pid/start-ticks</c>), or <c>reuse</c>: leftovers are those whose
    /// process is gone.</summary>
    public const string OwnerLabel = PgCluster.Label + ".owner";

    private const ushort PgBouncerPort = 6432;

    private static readonly string[] BaseSettings =
    [
        "max_connections=200", "shared_buffers=64MB", "wal_level=replica", "max_wal_senders=16", "max_replication_slots=16",
        "wal_keep_size=256MB", "hot_standby=on", "hot_standby_feedback=on", "wal_receiver_status_interval=1s", "wal_log_hints=on",
        "shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all", "log_min_messages=warning",
        // The module turns synchronous_commit off for speed; a synchronous standby and read-your-writes tests need it on.
        "synchronous_commit=on",
    ];

    private readonly bool _reuse = configuration.Reuse == true;

    /// <summary>The cluster's id: random, or derived from the configuration when it is reused (so the next run finds it).</summary>
    public string Id { get; } = configuration.Reuse == true ? ConfigurationHash(configuration) : Guid.NewGuid().ToString("N")[..12];

    public string Image => configuration.Image!;

    public Dictionary<string, string> Labels() => new(StringComparer.Ordinal)
    {
        [PgCluster.Label] = Id,
        [OwnerLabel] = _reuse ? "reuse" : CurrentOwner,
    };

    public static string CurrentOwner { get; } = Owner(Environment.MachineName, Environment.ProcessId, ProcessStart(Environment.ProcessId) ?? 0);

    public static string Owner(string machine, int pid, long start) => string.Create(CultureInfo.InvariantCulture, $"{machine}/{pid}/{start}");

    /// <summary>When a process started, the same number whichever process asks (Linux: clock ticks since boot from
    /// /proc; <see cref="Process.StartTime"/> is derived from the boot time each process computes, and differs by
    /// microseconds between processes), or null when there is no such process.</summary>
    public static long? ProcessStart(int pid)
    {
        try
        {
            var stat = $"/proc/{pid}/stat";
            if (OperatingSystem.IsLinux())
            {
                // Fields after the command name (which may hold spaces, in parentheses): state is field 3, starttime 22.
                var text = File.ReadAllText(stat);
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                return long.Parse(fields[19], CultureInfo.InvariantCulture);
            }

            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    public INetwork Network()
    {
        var builder = new NetworkBuilder().WithName("pgdiscipline-" + Id).WithLabel(Labels()).WithReuse(_reuse);
        return (configuration.DockerEndpoint is { } endpoint ? builder.WithDockerEndpoint(endpoint) : builder).Build();
    }

    /// <summary>A PostgreSQL node: the module's builder with the cluster's database, login and password, the server
    /// settings as <c>-c</c> arguments, and the supervisor as entrypoint in front of the image's own.</summary>
    public PostgreSqlContainer Node(INetwork network, string name, bool primary)
    {
        var builder = new PostgreSqlBuilder(Image)
            .WithDatabase(configuration.Database!)
            .WithUsername(configuration.Username!)
            .WithPassword(configuration.Password!)
            .WithName($"pgdiscipline-{Id}-{name}")
            .WithNetwork(network)
            .WithNetworkAliases(name)
            .WithLabel(Labels())
            .WithEnvironment("PGD_NODE", name)
            .WithEnvironment("PGD_ROLE", primary ? "primary" : "replica")
            .WithEnvironment("PGD_UPSTREAM", "primary")
            .WithResourceMapping(Encoding.UTF8.GetBytes(ContainerScripts.Node), FilePath.Of(ContainerScripts.NodePath), fileMode: Unix.FileMode755)
            .WithEntrypoint("bash", ContainerScripts.NodePath, "docker-entrypoint.sh")
            .WithCommand(ServerArguments(name))
            .WithCreateParameterModifier(RunAsPostgresOnLoopback)
            .WithStartupCallback((container, ct) => ResumeSupervisedAsync(container, ct))
            .WithReuse(_reuse);
        if (primary)
        {
            builder = builder.WithResourceMapping(Encoding.UTF8.GetBytes(ContainerScripts.ReplicationInit), FilePath.Of(ContainerScripts.ReplicationInitPath),
                fileMode: Unix.FileMode755);
        }

        return (configuration.DockerEndpoint is { } endpoint ? builder.WithDockerEndpoint(endpoint) : builder).Build();
    }

    /// <summary>PgBouncer in front of the primary, in a container of its own that fails at once when the image has no
    /// pgbouncer.</summary>
    public IContainer PgBouncer(INetwork network, string image)
    {
        var builder = new ContainerBuilder(image)
            .WithName($"pgdiscipline-{Id}-pgbouncer")
            .WithNetwork(network)
            .WithNetworkAliases("pgbouncer")
            .WithLabel(Labels())
            .WithEnvironment("PGD_NODE", "pgbouncer")
            .WithEnvironment("PGD_ROLE", "pgbouncer")
            .WithEnvironment("PGD_UPSTREAM", "primary")
            .WithEnvironment("POSTGRES_USER", configuration.Username!)
            .WithEnvironment("POSTGRES_PASSWORD", configuration.Password!)
            .WithEnvironment("POSTGRES_DB", configuration.Database!)
            .WithResourceMapping(Encoding.UTF8.GetBytes(ContainerScripts.Node), FilePath.Of(ContainerScripts.NodePath), fileMode: Unix.FileMode755)
            .WithResourceMapping(Encoding.UTF8.GetBytes(ContainerScripts.PgBouncer), FilePath.Of(ContainerScripts.PgBouncerPath), fileMode: Unix.FileMode755)
            .WithEntrypoint("bash", ContainerScripts.NodePath, "bash", ContainerScripts.PgBouncerPath)
            .WithPortBinding(PgBouncerPort, assignRandomHostPort: true)
            .WithWaitStrategy(Wait.ForUnixContainer().AddCustomWaitStrategy(new UntilPgBouncerIsUp()))
            .WithCreateParameterModifier(RunAsPostgresOnLoopback)
            .WithStartupCallback((container, ct) => ResumeSupervisedAsync(container, ct))
            .WithReuse(_reuse);
        return (configuration.DockerEndpoint is { } endpoint ? builder.WithDockerEndpoint(endpoint) : builder).Build();
    }

    // A reused container may still hold a server a fault of the last run stopped: let it start before the wait.
    private Task ResumeSupervisedAsync(IContainer container, CancellationToken ct)
        => _reuse ? container.ExecAsync(["bash", "-c", ContainerScripts.Resume], ct) : Task.CompletedTask;

    public static ushort PgBouncerPublicPort(IContainer pgBouncer) => pgBouncer.GetMappedPublicPort(PgBouncerPort);

    /// <summary>The PgBouncer image: the one configured; else, for an official <c>postgres</c> image (which has no
    /// pgbouncer), that image with pgbouncer added by a Dockerfile Testcontainers builds once; else the node image.</summary>
    public async Task<string> PgBouncerImageAsync(CancellationToken ct)
    {
        if (configuration.PgBouncerImage is { } configured)
        {
            return configured;
        }

        if (!IsOfficialPostgresImage(Image))
        {
            return Image;
        }

        var tag = "pgdiscipline/pgbouncer-on-postgres:" + (Image.Split(':') is [_, var t] ? t : "latest");
        var directory = Directory.CreateTempSubdirectory("pgdiscipline-image-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "Dockerfile"), ContainerScripts.AddPgBouncerDockerfile(Image), ct).ConfigureAwait(false);
            var builder = new ImageFromDockerfileBuilder()
                .WithDockerfileDirectory(directory.FullName)
                .WithDockerfile("Dockerfile")
                .WithName(tag)
                .WithCleanUp(false)
                .WithDeleteIfExists(false);
            var future = (configuration.DockerEndpoint is { } endpoint ? builder.WithDockerEndpoint(endpoint) : builder).Build();
            await future.CreateAsync(ct).ConfigureAwait(false);
            return tag;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    public static bool IsOfficialPostgresImage(string image)
    {
        var name = image.Split('@')[0];
        var colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            name = name[..colon];
        }

        return name is "postgres" or "library/postgres" or "docker.io/library/postgres" or "docker.io/postgres";
    }

    /// <summary>The module's own <c>-c</c> arguments come first; these follow and win: the replication settings, the
    /// node's name, then the user's settings.</summary>
    private string[] ServerArguments(string name)
    {
        var settings = BaseSettings.Append("cluster_name=" + name)
            .Concat(configuration.Settings.Select(s => $"{s.Key}={s.Value}"));
        return settings.SelectMany(s => new[] { "-c", s }).ToArray();
    }

    // The server refuses to run as root, and the supervisor's faults act as the same user the server runs as. Published on
    // loopback only when the engine is local (a remote engine's ports are reached through its own address).
    private void RunAsPostgresOnLoopback(Docker.DotNet.Models.CreateContainerParameters parameters)
    {
        parameters.User = "postgres";
        if (!LocalEngine())
        {
            return;
        }

        foreach (var binding in parameters.HostConfig?.PortBindings?.Values.SelectMany(b => b) ?? [])
        {
            binding.HostIP = "127.0.0.1";
        }
    }

    // Testcontainers connects to published ports on its Hostname: loopback for a local engine, unless it believes it runs
    // inside a container (/.dockerenv), where it takes the network's gateway — then TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
    // says the engine is local after all.
    private bool LocalEngine()
    {
        if (TestcontainersSettings.DockerHostOverride is { Length: > 0 } host)
        {
            return host is "127.0.0.1" or "localhost" or "::1";
        }

        var endpoint = configuration.DockerEndpoint is { } e ? new Uri(e) : TestcontainersSettings.OS.DockerEndpointAuthConfig?.Endpoint;
        return endpoint?.Scheme is "unix" or "npipe" && !File.Exists("/.dockerenv");
    }

    /// <summary>PgBouncer logs "process up" once it listens; a container that exited instead fails the start at once
    /// (Testcontainers' log-message wait would keep polling an exited container until its own timeout).</summary>
    private sealed class UntilPgBouncerIsUp : IWaitUntil
    {
        public async Task<bool> UntilAsync(IContainer container)
        {
            var (stdout, stderr) = await container.GetLogsAsync().ConfigureAwait(false);
            if (container.State == TestcontainersStates.Exited)
            {
                throw new ContainerNotRunningException(container.Id, stdout, stderr, await container.GetExitCodeAsync().ConfigureAwait(false), null);
            }

            return (stdout + stderr).Contains("process up", StringComparison.Ordinal);
        }
    }

    private static string ConfigurationHash(PgClusterConfiguration c)
    {
        var text = string.Join('\n', new object?[]
        {
            c.Image, c.PgBouncerImage, c.Replicas, c.PgBouncer, c.SynchronousStandby, c.Database, c.Username, c.Password,
            string.Join('\n', c.Settings.Select(s => s.Key + "=" + s.Value)), c.DockerEndpoint,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
    }
}
