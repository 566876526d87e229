namespace PgDiscipline.Testing;

/// <summary>Why a <see cref="PgCluster"/> did not start, and what to change: <see cref="Setting"/> names the environment
/// variable or builder method that fixes it. The containers it made are removed before it is thrown.</summary>
public sealed class PgClusterStartupException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public PgClusterStartupException(string message, string? setting, Exception? innerException)
        : base(message, innerException)
    {
        Setting = setting;
    }

    /// <summary>The setting to change (e.g. <c>TESTCONTAINERS_RYUK_DISABLED</c>, <c>PGD_TESTING_IMAGE</c>,
    /// <c>DOCKER_API_VERSION</c>, <c>WithPgBouncerImage</c>, <c>WithStartupTimeout</c>), or null.</summary>
    public string? Setting { get; }
}
