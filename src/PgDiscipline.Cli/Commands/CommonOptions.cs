using System.CommandLine;

namespace PgDiscipline.Cli.Commands;

/// <summary>Options several verbs share, defined once (names, descriptions, defaults).</summary>
internal static class CommonOptions
{
    /// <summary><c>--connection</c> / <c>-c</c>: the primary's Npgsql connection string, defaulting to PGDISCIPLINE_CONNECTION.</summary>
    public static Option<string> Connection(bool recursive = false) => new("--connection", "-c")
    {
        Description = "Npgsql connection string of the primary (or set PGDISCIPLINE_CONNECTION).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PGDISCIPLINE_CONNECTION") ?? "",
        Recursive = recursive,
    };

    /// <summary><c>--replica</c>, repeatable: replicas' connection strings.</summary>
    public static Option<string[]> Replicas(string description) => new("--replica") { Description = description, AllowMultipleArgumentsPerToken = false };

    /// <summary><c>--max-lag</c>: the replica lag that counts as too much (default 1 s).</summary>
    public static Option<TimeSpan> MaxLag(string description) => new("--max-lag") { Description = description, DefaultValueFactory = _ => TimeSpan.FromSeconds(1) };

    /// <summary><c>--format</c>: one of <paramref name="formats"/>, the first by default.</summary>
    public static Option<string> Format(string description, params string[] formats)
    {
        var option = new Option<string>("--format") { Description = description, DefaultValueFactory = _ => formats[0] };
        option.AcceptOnlyFromAmong(formats);
        return option;
    }
}
