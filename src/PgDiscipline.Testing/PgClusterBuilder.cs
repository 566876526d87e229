using System.Text.RegularExpressions;

namespace PgDiscipline.Testing;

/// <summary>
/// Builds a replicated PostgreSQL cluster for a test suite, shaped like a Testcontainers module: immutable (every
/// <c>With…</c> returns a new builder over a merged <see cref="PgClusterConfiguration"/>), <see cref="Build"/> makes a
/// <see cref="PgCluster"/>, whose <see cref="PgCluster.StartAsync"/> starts it. Every PostgreSQL node is a
/// Testcontainers.PostgreSql <c>PostgreSqlContainer</c>; replicas are made with <c>pg_basebackup -R</c> over a container
/// network (a replication slot each). Defaults: 2 replicas, PgBouncer on, no standby, database, user and password
/// <c>app</c>, image <c>PGD_TESTING_IMAGE</c> or <see cref="DefaultImage"/>, 3 minutes to start.
/// <code>
/// var cluster = new PgClusterBuilder().WithReplicas(2).Build();
/// await cluster.StartAsync();
/// var options = new DbContextOptionsBuilder&lt;AppDb&gt;().UseNpgsql(cluster.PrimaryConnectionString)
///     .UsePgDiscipline(pg =&gt; { foreach (var replica in cluster.ReplicaConnectionStrings) pg.AddReplica(replica); })
///     .Options;
/// </code>
/// </summary>
public sealed partial class PgClusterBuilder
{
    /// <summary>The image used when neither <see cref="WithImage"/> nor <c>PGD_TESTING_IMAGE</c> names one: the official
    /// PostgreSQL image (PgBouncer then runs in a container of this image with pgbouncer added by a Dockerfile that
    /// Testcontainers builds once).</summary>
    public const string DefaultImage = "postgres:15-bookworm";

    /// <summary>The environment variable that names the image when the code does not (for CI machines that build their
    /// own, e.g. with <c>tools/image/build-image.sh</c> from this package).</summary>
    public const string ImageVariable = "PGD_TESTING_IMAGE";

    /// <summary>A builder with the defaults (image: <c>PGD_TESTING_IMAGE</c>, else <see cref="DefaultImage"/>).</summary>
    public PgClusterBuilder()
        : this(Defaults(Environment.GetEnvironmentVariable(ImageVariable) is { Length: > 0 } image ? image : DefaultImage))
    {
    }

    /// <summary>A builder with the defaults and this PostgreSQL image.</summary>
    public PgClusterBuilder(string image)
        : this(Defaults(RequireText(image, nameof(image))))
    {
    }

    private PgClusterBuilder(PgClusterConfiguration configuration) => Configuration = configuration;

    /// <summary>What this builder has configured.</summary>
    public PgClusterConfiguration Configuration { get; }

    /// <summary>The image of every PostgreSQL node: the official <c>postgres</c> image or one with its environment
    /// contract (POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, <c>/docker-entrypoint-initdb.d</c>,
    /// <c>docker-entrypoint.sh</c> on the PATH), bash, and a <c>postgres</c> user.</summary>
    public PgClusterBuilder WithImage(string image) => Merge(new(image: RequireText(image, nameof(image))));

    /// <summary>The PgBouncer container's image: bash, pgbouncer (on the PATH or <c>/usr/sbin</c>) and a <c>postgres</c>
    /// user. Default: the node image when it is not <see cref="DefaultImage"/>; for that one, the official image with
    /// pgbouncer added.</summary>
    public PgClusterBuilder WithPgBouncerImage(string image) => Merge(new(pgBouncerImage: RequireText(image, nameof(image))));

    /// <summary>How many asynchronous streaming replicas (default 2, at most 8).</summary>
    public PgClusterBuilder WithReplicas(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 8);
        return Merge(new(replicas: count));
    }

    /// <summary>PgBouncer in <c>pool_mode=transaction</c> in front of the primary (default on).</summary>
    public PgClusterBuilder WithPgBouncer(bool enabled = true) => Merge(new(pgBouncer: enabled));

    /// <summary>A hot standby the primary waits for on every commit (<c>synchronous_standby_names</c>), to promote in
    /// failover tests (<see cref="PgCluster.PromoteStandbyAsync"/>).</summary>
    public PgClusterBuilder WithSynchronousStandby(bool enabled = true) => Merge(new(synchronousStandby: enabled));

    /// <summary>The application database (default <c>app</c>): letters, digits and underscores.</summary>
    public PgClusterBuilder WithDatabase(string database) => Merge(new(database: RequireName(database, nameof(database))));

    /// <summary>The login that owns the database, a superuser (default <c>app</c>): letters, digits and underscores.</summary>
    public PgClusterBuilder WithUsername(string username) => Merge(new(username: RequireName(username, nameof(username))));

    /// <summary>The login's password (default <c>app</c>); no double quote or line break (PgBouncer's auth file).</summary>
    public PgClusterBuilder WithPassword(string password)
    {
        RequireText(password, nameof(password));
        if (password.Contains('"', StringComparison.Ordinal) || password.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("The password must not contain a double quote or a line break (PgBouncer's auth file).", nameof(password));
        }

        return Merge(new(password: password));
    }

    /// <summary>A server setting on every node (<c>-c name=value</c>), e.g. <c>WithSetting("max_connections", "300")</c>.
    /// A later value for the same name wins.</summary>
    public PgClusterBuilder WithSetting(string name, string value)
    {
        if (string.IsNullOrWhiteSpace(name) || !SettingName().IsMatch(name))
        {
            throw new ArgumentException("A setting name is letters, digits, underscores and dots (e.g. max_connections).", nameof(name));
        }

        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\n', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A setting value must not contain a line break.", nameof(value));
        }

        return Merge(new(settings: [new(name, value)]));
    }

    /// <summary>The Docker engine to use (default: Testcontainers' discovery: <c>DOCKER_HOST</c>, then the local socket).</summary>
    public PgClusterBuilder WithDockerEndpoint(string endpoint) => Merge(new(dockerEndpoint: RequireText(endpoint, nameof(endpoint))));

    /// <summary>How long <see cref="PgCluster.StartAsync"/> may take before it gives up and removes what it made
    /// (default 3 minutes).</summary>
    public PgClusterBuilder WithStartupTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        return Merge(new(startupTimeout: timeout));
    }

    /// <summary>Keeps the containers when the cluster is disposed, and finds them again on the next start with the same
    /// configuration (Testcontainers' reuse: names and labels derived from the configuration): a cluster's start-up is
    /// paid once per machine instead of once per run. Faults left behind (a stopped node, paused replay) are undone on
    /// start; data is not. Remove them with <c>docker rm -f $(docker ps -aq --filter label=org.pgdiscipline.testing)</c>.</summary>
    public PgClusterBuilder WithReuse(bool reuse = true) => Merge(new(reuse: reuse));

    /// <summary>Makes the cluster (nothing starts until <see cref="PgCluster.StartAsync"/>).</summary>
    public PgCluster Build() => new(Configuration);

    private PgClusterBuilder Merge(PgClusterConfiguration next) => new(new PgClusterConfiguration(Configuration, next));

    private static PgClusterConfiguration Defaults(string image) => new(
        image: image, replicas: 2, pgBouncer: true, synchronousStandby: false,
        database: "app", username: "app", password: "app", startupTimeout: TimeSpan.FromMinutes(3), reuse: false);

    private static string RequireText(string value, string parameter)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, parameter);
        return value;
    }

    private static string RequireName(string value, string parameter)
    {
        RequireText(value, parameter);
        return Identifier().IsMatch(value)
            ? value
            : throw new ArgumentException($"'{parameter}' is letters, digits and underscores, starting with a letter or underscore.", parameter);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.]*$")]
    private static partial Regex SettingName();
}
