using Docker.DotNet;
using DotNet.Testcontainers.Containers;

namespace PgDiscipline.Testing;

/// <summary>
/// Turns what went wrong during <see cref="PgCluster.StartAsync"/> into an error that says which setting to change. The
/// Docker and Testcontainers messages alone point at the wrong thing (a missing reaper image is reported as a registry
/// host that does not resolve, with no word of Ryuk).
/// </summary>
internal static class StartupErrors
{
    public const string GuideLink = "docs/testing-your-app.md in the PgDiscipline.Testing package (or repository)";

    public static Exception Translate(Exception ex, StartupContext context)
    {
        if (TooNewApi(ex) is { } refusal)
        {
            return new PgClusterStartupException(
                $"The Docker engine answered but refused Testcontainers' API version ({refusal}). Set DOCKER_API_VERSION to the "
                + "engine's maximum (e.g. DOCKER_API_VERSION=1.41 for Debian 12's docker.io 20.10) before the first container is made, "
                + "or upgrade the engine (Docker 25 or later speaks 1.44).", "DOCKER_API_VERSION", ex);
        }

        if (IsDockerUnavailable(ex))
        {
            return new DockerEngineUnavailableException(context.Endpoint, ex);
        }

        if (FromResourceReaper(ex))
        {
            return new PgClusterStartupException(
                "Testcontainers' resource reaper (Ryuk) did not start: its image (testcontainers/ryuk) is not on this machine and "
                + "could not be pulled, or its container could not be reached. Set TESTCONTAINERS_RYUK_DISABLED=true (PgDiscipline.Testing "
                + "then removes its own containers on dispose, and the leftovers of a killed run when the next cluster starts), or make "
                + $"the image available. Docker said: {FirstLine(ex)}", "TESTCONTAINERS_RYUK_DISABLED", ex);
        }

        if (context.MissingImages.Count > 0)
        {
            var images = string.Join(", ", context.MissingImages);
            return new PgClusterStartupException(
                $"The image {images} is not on this machine and could not be pulled ({FirstLine(ex)}). Where a registry can be reached, "
                + $"check the name; where none can, build an image with the official postgres image's contract and point the cluster at it: "
                + $"set {PgClusterBuilder.ImageVariable} (or call WithImage). The package ships a script that builds one from Debian's packages: "
                + $"tools/image/build-image.sh (see {GuideLink}).", PgClusterBuilder.ImageVariable, ex);
        }

        if (Exited(ex) is { } exited)
        {
            var logs = exited.Message;
            if (logs.Contains("pgbouncer is not installed", StringComparison.Ordinal))
            {
                return new PgClusterStartupException(
                    $"PgBouncer's image {context.PgBouncerImage} has no pgbouncer. Use an image with PostgreSQL and PgBouncer "
                    + $"({PgClusterBuilder.ImageVariable}), give PgBouncer its own image with WithPgBouncerImage(…), or start without it: "
                    + "WithPgBouncer(false).", "WithPgBouncerImage", ex);
            }

            return new PgClusterStartupException(
                $"A container of the PostgreSQL test cluster exited during start-up (image {context.Image}). An image other than the "
                + "official postgres image must keep its contract (docker-entrypoint.sh, POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, "
                + $"/docker-entrypoint-initdb.d) and have bash and a postgres user. {logs}", PgClusterBuilder.ImageVariable, ex);
        }

        if (ex is OperationCanceledException && context.TimedOut)
        {
            return new PgClusterStartupException(
                $"The PostgreSQL test cluster did not start within {context.Timeout.TotalSeconds:0} s (image {context.Image}); "
                + $"raise it with WithStartupTimeout(…) on a slow machine.{context.Logs}", "WithStartupTimeout", ex);
        }

        return ex is OperationCanceledException
            ? ex
            : new PgClusterStartupException($"The PostgreSQL test cluster failed to start (image {context.Image}): {ex.Message}{context.Logs}", null, ex);
    }

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            yield return e;
        }

        if (ex is AggregateException aggregate)
        {
            foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
            {
                yield return inner;
            }
        }
    }

    private static string? TooNewApi(Exception ex)
    {
        foreach (var e in Chain(ex))
        {
            if (e.Message.Contains("is too new", StringComparison.Ordinal))
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
        => Chain(ex).Any(e => e is DotNet.Testcontainers.Builders.DockerUnavailableException or HttpRequestException);

    // The reaper starts inside Testcontainers' first create call: its failures surface through our calls, and only the
    // stack says whose container it was.
    private static bool FromResourceReaper(Exception ex)
        => Chain(ex).Any(e => e is ResourceReaperException || (e.StackTrace?.Contains("ResourceReaper", StringComparison.Ordinal) ?? false));

    private static ContainerNotRunningException? Exited(Exception ex) => Chain(ex).OfType<ContainerNotRunningException>().FirstOrDefault();

    private static string FirstLine(Exception ex)
    {
        var e = Chain(ex).LastOrDefault(x => x is DockerApiException) ?? ex;
        return e.Message.Split('\n')[0].Trim();
    }
}

/// <summary>What <see cref="StartupErrors"/> needs to know about a failed start.</summary>
internal sealed record StartupContext(string? Endpoint, string Image, TimeSpan Timeout)
{
    public string? PgBouncerImage { get; set; }

    public bool TimedOut { get; set; }

    public string Logs { get; set; } = "";

    public IReadOnlyList<string> MissingImages { get; set; } = [];
}
