using System.CommandLine;

namespace PgDiscipline.Cli;

/// <summary>Options shared by several commands.</summary>
internal static class CliOptions
{
    /// <summary><c>--connection</c> / <c>-c</c>: the primary's Npgsql connection string, defaulting to PGDISCIPLINE_CONNECTION.</summary>
    public static Option<string> Connection(bool recursive = false) => new("--connection", "-c")
    {
        Description = "Npgsql connection string of the primary (or set PGDISCIPLINE_CONNECTION).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PGDISCIPLINE_CONNECTION") ?? "",
        Recursive = recursive,
    };
}
