using DotNet.Testcontainers.Containers;
using Npgsql;
using Testcontainers.PostgreSql;

namespace PgDiscipline.Testing;

/// <summary>
/// One PostgreSQL server of a <see cref="PgCluster"/>: the primary, a replica or the standby. Its
/// <see cref="Container"/> is a Testcontainers.PostgreSql container (exec, logs, mapped port, the module's
/// <c>GetConnectionString()</c>). The server runs under a supervisor in the container, so <see cref="PgCluster"/>'s faults
/// stop and start the server while the container, and so its port and connection string, stay.
/// </summary>
public sealed class PgNode
{
    private readonly string _crashSignal;

    internal PgNode(string name, PostgreSqlContainer container, string crashSignal = "QUIT")
    {
        Name = name;
        Container = container;
        _crashSignal = crashSignal;
    }

    /// <summary><c>primary</c>, <c>replica1</c>, <c>replica2</c>, …, or <c>standby</c>: its network alias inside the
    /// cluster, its <c>cluster_name</c> setting and the <c>application_name</c> it streams under.</summary>
    public string Name { get; }

    /// <summary>The container (Testcontainers.PostgreSql), for <c>ExecAsync</c>, <c>GetLogsAsync</c>,
    /// <c>ExecScriptAsync</c> and the mapped port.</summary>
    public PostgreSqlContainer Container { get; }

    /// <summary>The module's connection string (<c>Host=127.0.0.1;Port=…;Database=…;Username=…;Password=…</c>); the port
    /// is mapped at random when the container starts and stays for the cluster's life.</summary>
    public string GetConnectionString() => Container.GetConnectionString();

    /// <summary>Stops the server like a crash (immediate shutdown); the container stays.</summary>
    internal Task CrashAsync(CancellationToken ct) => SupervisedCrashAsync(Container, Name, _crashSignal, ct);

    /// <summary>Lets the supervisor start the server again and returns once it accepts connections.</summary>
    internal async Task ResumeAsync(CancellationToken ct)
    {
        await ExecCheckedAsync(Container, Name, ContainerScripts.Resume, ct).ConfigureAwait(false);
        await WaitConnectableAsync(GetConnectionString(), Name, ct).ConfigureAwait(false);
    }

    internal static async Task SupervisedCrashAsync(IContainer container, string name, string signal, CancellationToken ct)
        => await ExecCheckedAsync(container, name, ContainerScripts.Crash(signal), ct).ConfigureAwait(false);

    internal static async Task ExecCheckedAsync(IContainer container, string name, string script, CancellationToken ct)
    {
        var result = await container.ExecAsync(["bash", "-c", script], ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{name}: a command in its container failed ({result.ExitCode}): {result.Stderr.Trim()}");
        }
    }

    /// <summary>Polls until a server accepts a connection from the host (after a restart inside a container whose port
    /// proxy is up all along, so the wait is for the server, not the port).</summary>
    internal static async Task WaitConnectableAsync(string connectionString, string what, CancellationToken ct)
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
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                last = ex;
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }

        throw new OperationCanceledException($"{what} did not accept connections: {last?.Message}", last, ct);
    }
}
