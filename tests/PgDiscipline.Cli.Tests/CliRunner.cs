using PgDiscipline.Cli;

namespace PgDiscipline.Cli.Tests;

/// <summary>Runs the CLI in-process and captures its output, error and exit code.</summary>
internal static class CliRunner
{
    public static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
