namespace PgDiscipline.Testing;

/// <summary>
/// The immutable configuration of a <see cref="PgCluster"/>, as Testcontainers modules keep theirs: each
/// <see cref="PgClusterBuilder"/> <c>With…</c> call merges a configuration holding only what it sets into the previous one
/// (a value set later wins; settings accumulate) and returns a new builder. Null means "not set here".
/// </summary>
public sealed class PgClusterConfiguration
{
    /// <summary>A configuration holding only the values given (the others unset).</summary>
    public PgClusterConfiguration(
        string? image = null,
        string? pgBouncerImage = null,
        int? replicas = null,
        bool? pgBouncer = null,
        bool? synchronousStandby = null,
        string? database = null,
        string? username = null,
        string? password = null,
        IReadOnlyList<KeyValuePair<string, string>>? settings = null,
        string? dockerEndpoint = null,
        TimeSpan? startupTimeout = null,
        bool? reuse = null)
    {
        Image = image;
        PgBouncerImage = pgBouncerImage;
        Replicas = replicas;
        PgBouncer = pgBouncer;
        SynchronousStandby = synchronousStandby;
        Database = database;
        Username = username;
        Password = password;
        Settings = settings ?? [];
        DockerEndpoint = dockerEndpoint;
        StartupTimeout = startupTimeout;
        Reuse = reuse;
    }

    /// <summary>Merges <paramref name="newValue"/> into <paramref name="oldValue"/>: each value set in the new one wins,
    /// settings are appended.</summary>
    public PgClusterConfiguration(PgClusterConfiguration oldValue, PgClusterConfiguration newValue)
        : this(
            newValue.Image ?? oldValue.Image,
            newValue.PgBouncerImage ?? oldValue.PgBouncerImage,
            newValue.Replicas ?? oldValue.Replicas,
            newValue.PgBouncer ?? oldValue.PgBouncer,
            newValue.SynchronousStandby ?? oldValue.SynchronousStandby,
            newValue.Database ?? oldValue.Database,
            newValue.Username ?? oldValue.Username,
            newValue.Password ?? oldValue.Password,
            [.. oldValue.Settings, .. newValue.Settings],
            newValue.DockerEndpoint ?? oldValue.DockerEndpoint,
            newValue.StartupTimeout ?? oldValue.StartupTimeout,
            newValue.Reuse ?? oldValue.Reuse)
    {
    }

    /// <summary>The PostgreSQL image of every node (an image with the official <c>postgres</c> image's contract).</summary>
    public string? Image { get; }

    /// <summary>The PgBouncer container's image (bash, pgbouncer and a <c>postgres</c> user).</summary>
    public string? PgBouncerImage { get; }

    /// <summary>How many asynchronous streaming replicas.</summary>
    public int? Replicas { get; }

    /// <summary>Whether PgBouncer runs in front of the primary.</summary>
    public bool? PgBouncer { get; }

    /// <summary>Whether a synchronous hot standby runs.</summary>
    public bool? SynchronousStandby { get; }

    /// <summary>The application database (<c>POSTGRES_DB</c>).</summary>
    public string? Database { get; }

    /// <summary>The login that owns it (<c>POSTGRES_USER</c>, a superuser).</summary>
    public string? Username { get; }

    /// <summary>Its password (<c>POSTGRES_PASSWORD</c>).</summary>
    public string? Password { get; }

    /// <summary>Server settings, passed to every node as <c>-c name=value</c> in order (a later one wins).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Settings { get; }

    /// <summary>The Docker engine (null: Testcontainers' discovery).</summary>
    public string? DockerEndpoint { get; }

    /// <summary>How long <see cref="PgCluster.StartAsync"/> may take.</summary>
    public TimeSpan? StartupTimeout { get; }

    /// <summary>Whether the containers outlive the cluster object, to be found again by the next run.</summary>
    public bool? Reuse { get; }
}
