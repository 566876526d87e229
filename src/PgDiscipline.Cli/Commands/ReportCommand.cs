using System.CommandLine;
using System.Text.Json;
using PgDiscipline.Cli.Report;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline report FILE… [--out DIR]</c>: runtime statistics snapshots, SARIF logs (the build's
/// <c>ErrorLog</c>, <c>pgdiscipline lint --format sarif</c>) and lint JSON into <c>index.html</c> and <c>report.md</c>.
/// Exit (<see cref="ExitCodes"/>) 0 on success, 2 when an input cannot be read, recognised or trusted (nulls where the
/// format has none, negative or overflowing counts, control characters in paths: each names the file) or when
/// <c>--out</c> cannot be a directory.</summary>
internal sealed class ReportCommand : CliCommand
{
    private const string Prefix = "pgdiscipline report";

    private readonly Argument<string[]> _inputs = new("inputs")
    {
        Description = "Statistics snapshots (pgdiscipline.stats/v1 JSON), SARIF logs, pgdiscipline lint JSON; recognised by content.",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string> _out = new("--out", "-o") { Description = "Output directory.", DefaultValueFactory = _ => "artifacts/report" };
    private readonly Option<string> _sourceRoot = new("--source-root") { Description = "Paths in findings are shown relative to this directory (default: the current one).", DefaultValueFactory = _ => Directory.GetCurrentDirectory() };

    public ReportCommand()
        : base("report", "Write a query report (index.html + report.md) with no literal values in it.")
    {
        Add(_inputs);
        Add(_out);
        Add(_sourceRoot);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        ReportData data;
        try
        {
            data = ReportReader.Read(parse.GetValue(_inputs)!, parse.GetValue(_sourceRoot)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            return await FailAsync(parse, Prefix, ExitCodes.BadInput, ex.Message).ConfigureAwait(false);
        }

        var dir = parse.GetValue(_out)!;
        if (File.Exists(dir))
        {
            return await FailAsync(parse, Prefix, ExitCodes.BadInput, $"--out '{dir}' is a file; give a directory (index.html and report.md are written into it).").ConfigureAwait(false);
        }

        var html = Path.Combine(dir, "index.html");
        var md = Path.Combine(dir, "report.md");
        try
        {
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(html, HtmlReport.Render(data), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(md, MarkdownReport.Render(data), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return await FailAsync(parse, Prefix, ExitCodes.BadInput, $"cannot write into --out '{dir}' ({(ex is UnauthorizedAccessException ? "permission denied" : ex.GetType().Name)}).").ConfigureAwait(false);
        }

        await Output(parse).WriteLineAsync($"{data.Queries.Count} queries, {data.TotalCalls} commands, {data.Findings.Count} findings -> {html}, {md}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
