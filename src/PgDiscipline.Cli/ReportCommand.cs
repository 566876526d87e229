using System.CommandLine;
using System.Text.Json;
using PgDiscipline.Cli.Report;

namespace PgDiscipline.Cli;

/// <summary><c>pgdiscipline report FILE… [--out DIR]</c>: runtime statistics snapshots, SARIF logs (the build's
/// <c>ErrorLog</c>, <c>pgdiscipline lint --format sarif</c>) and lint JSON into <c>index.html</c> and <c>report.md</c>.
/// Exit (<see cref="ExitCodes"/>) 0 on success, 2 when an input cannot be read, recognised or trusted (nulls where the
/// format has none, negative or overflowing counts, control characters in paths: each names the file) or when
/// <c>--out</c> cannot be a directory.</summary>
internal static class ReportCommand
{
    public static Command Build()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Statistics snapshots (pgdiscipline.stats/v1 JSON), SARIF logs, pgdiscipline lint JSON; recognised by content.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--out", "-o") { Description = "Output directory.", DefaultValueFactory = _ => "artifacts/report" };
        var sourceRoot = new Option<string>("--source-root") { Description = "Paths in findings are shown relative to this directory (default: the current one).", DefaultValueFactory = _ => Directory.GetCurrentDirectory() };
        var command = new Command("report", "Write a query report (index.html + report.md) with no literal values in it.") { inputs, output, sourceRoot };
        command.SetAction(async (parse, ct) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            ReportData data;
            try
            {
                data = ReportReader.Read(parse.GetValue(inputs)!, parse.GetValue(sourceRoot)!);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
            {
                await stderr.WriteLineAsync($"pgdiscipline report: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            var dir = parse.GetValue(output)!;
            if (File.Exists(dir))
            {
                await stderr.WriteLineAsync($"pgdiscipline report: --out '{dir}' is a file; give a directory (index.html and report.md are written into it).").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            var html = Path.Combine(dir, "index.html");
            var md = Path.Combine(dir, "report.md");
            try
            {
                Directory.CreateDirectory(dir);
                await File.WriteAllTextAsync(html, HtmlReport.Render(data), ct).ConfigureAwait(false);
                await File.WriteAllTextAsync(md, MarkdownReport.Render(data), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                await stderr.WriteLineAsync($"pgdiscipline report: cannot write into --out '{dir}' ({(ex is UnauthorizedAccessException ? "permission denied" : ex.GetType().Name)}).").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            await stdout.WriteLineAsync($"{data.Queries.Count} queries, {data.TotalCalls} commands, {data.Findings.Count} findings -> {html}, {md}").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
