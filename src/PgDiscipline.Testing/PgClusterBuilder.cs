using System.Globalization;

namespace PgDiscipline.Testing;

/// <summary>
/// Builds a replicated PostgreSQL cluster in Docker containers for a test suite: a primary, <c>N</c> streaming replicas
/// (made with <c>pg_basebackup -R</c> over a container network, one replication slot each), optionally PgBouncer in
/// transaction mode in front of the primary and a synchronous hot standby. <see cref="StartAsync"/> returns once every
/// replica streams from the primary.
/// <code>
/// await using var cluster = await new PgClusterBuilder().WithReplicas(2).WithPgBouncer().StartAsync();
/// services.AddDbContext&lt;AppDb&gt;(o =&gt; o.UseNpgsql(cluster.PrimaryConnectionString).UsePgDiscipline(p =&gt;
///     p.Replicas(cluster.ReplicaConnectionStrings)));
/// </code>
/// </summary>
public sealed class PgClusterBuilder
{
    /// <summary>The image used when none is given: the official PostgreSQL image, with PgBouncer added by a Dockerfile
    /// Testcontainers builds. On a machine that cannot pull images, build a local one with <c>build/image.sh</c> (from
    /// Debian's packages) and pass it to <see cref="WithImage"/>, or set <c>PGD_TESTING_IMAGE</c>.</summary>
    public const string DefaultImage = "postgres:15-bookworm";

    private readonly List<string> _settings = [];

    internal string? Image { get; private set; } = Environment.GetEnvironmentVariable("PGD_TESTING_IMAGE") is { Length: > 0 } image ? image : null;

    internal int ReplicaCount { get; private set; } = 2;

    internal bool PgBouncer { get; private set; } = true;

    internal bool SynchronousStandby { get; private set; }

    internal string Database { get; private set; } = "app";

    internal string Username { get; private set; } = "app";

    internal string Password { get; private set; } = "app";

    internal string? DockerEndpoint { get; private set; }

    internal TimeSpan StartupTimeout { get; private set; } = TimeSpan.FromMinutes(3);

    internal IReadOnlyList<string> Settings => _settings;

    /// <summary>The image of every container: it must have PostgreSQL's server binaries under
    /// <c>/usr/lib/postgresql/&lt;major&gt;/bin</c>, bash, a <c>postgres</c> user, and pgbouncer when
    /// <see cref="WithPgBouncer"/> is on (the official image has all but pgbouncer; <c>build/image.sh</c> makes one with all).
    /// An image that lacks pgbouncer gets it through a Dockerfile only when it is <see cref="DefaultImage"/>.</summary>
    public PgClusterBuilder WithImage(string image)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        Image = image;
        return this;
    }

    /// <summary>How many asynchronous streaming replicas (default 2, at most 8).</summary>
    public PgClusterBuilder WithReplicas(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 8);
        ReplicaCount = count;
        return this;
    }

    /// <summary>PgBouncer in <c>pool_mode=transaction</c> in front of the primary (default on).</summary>
    public PgClusterBuilder WithPgBouncer(bool enabled = true)
    {
        PgBouncer = enabled;
        return this;
    }

    /// <summary>A hot standby the primary waits for on every commit (<c>synchronous_standby_names</c>), to promote in
    /// failover tests (<see cref="PgCluster.PromoteStandbyAsync"/>).</summary>
    public PgClusterBuilder WithSynchronousStandby(bool enabled = true)
    {
        SynchronousStandby = enabled;
        return this;
    }

    /// <summary>The database created on the primary and the login that owns it (default <c>app</c> / <c>app</c> / <c>app</c>).</summary>
    public PgClusterBuilder WithDatabase(string database, string username, string password)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        ArgumentException.ThrowIfNullOrWhiteSpace(password);
        if (password.Contains('"', StringComparison.Ordinal) || password.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("The password must not contain a double quote or a line break (PgBouncer's auth file).", nameof(password));
        }

        Database = database;
        Username = username;
        Password = password;
        return this;
    }

    /// <summary>A <c>postgresql.conf</c> setting of the primary (replicas copy it with the base backup), e.g.
    /// <c>WithSetting("max_connections", "300")</c>.</summary>
    public PgClusterBuilder WithSetting(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        _settings.Add(string.Create(CultureInfo.InvariantCulture, $"{name} = '{value.Replace("'", "''", StringComparison.Ordinal)}'"));
        return this;
    }

    /// <summary>The Docker engine to use (default: Testcontainers' own discovery: <c>DOCKER_HOST</c>, then the local socket).</summary>
    public PgClusterBuilder WithDockerEndpoint(string endpoint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        DockerEndpoint = endpoint;
        return this;
    }

    /// <summary>How long <see cref="StartAsync"/> may take before it gives up and removes what it made (default 3 minutes).</summary>
    public PgClusterBuilder WithStartupTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        StartupTimeout = timeout;
        return this;
    }

    /// <summary>Starts the containers and returns when the replicas (and the standby) stream from the primary. Dispose the
    /// cluster to remove its containers and network. A missing Docker engine is a <see cref="DockerEngineUnavailableException"/>
    /// that says what to install.</summary>
    public Task<PgCluster> StartAsync(CancellationToken cancellationToken = default) => PgCluster.StartAsync(this, cancellationToken);
}
