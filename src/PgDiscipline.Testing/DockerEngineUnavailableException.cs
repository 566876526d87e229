namespace PgDiscipline.Testing;

/// <summary>No Docker engine answered: the message says what to install or start.</summary>
public sealed class DockerEngineUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception for the endpoint that was tried (null: Testcontainers' discovery).</summary>
    public DockerEngineUnavailableException(string? endpoint, Exception innerException)
        : base(
            $"PgDiscipline.Testing needs a Docker engine, and none answered at {endpoint ?? Environment.GetEnvironmentVariable("DOCKER_HOST") ?? "unix:///var/run/docker.sock"}. "
            + "Install one and start it (Linux: apt-get install docker.io, then start dockerd or systemctl start docker; macOS/Windows: Docker Desktop), "
            + "or point DOCKER_HOST at a running engine (see docs/testing-your-app.md, \"CI set-up\").",
            innerException)
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint given to <see cref="PgClusterBuilder.WithDockerEndpoint"/>, or null.</summary>
    public string? Endpoint { get; }
}
