using System.CommandLine;
using PgDiscipline.Cli.Lint;
using PgDiscipline.Cli.Lint.Output;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Commands;

/// <summary>
/// <c>pgdiscipline lint FILE.sql | DIR | GLOB …</c>: the migration rules on SQL text (the output of <c>dotnet ef migrations script</c>,
/// a migration tool's <c>.sql</c> files). Settings from <c>pgdiscipline.lint.json</c> (nearest up the directory tree),
/// overridden by options. Exit 0: nothing at or above <c>--fail-on</c>; 1: at least one finding at it; 2: bad input
/// (a file or the configuration cannot be read).
/// </summary>
internal sealed class LintCommand : CliCommand
{
    private const string Prefix = "pgdiscipline lint";

    private readonly Argument<string[]> _files = new("files") { Description = "SQL migration scripts, directories (every *.sql under it, down migrations left out) or globs ('db/*.up.sql', 'migrations/**/up.sql'); '-' reads standard input. Linted in the order given, a directory's or glob's files sorted by path.", Arity = ArgumentArity.OneOrMore };
    private readonly Option<string> _format = CommonOptions.Format("text | json | sarif | github (workflow annotations) | gitlab (code quality JSON)", [.. LintWriter.All.Select(w => w.Format)]);
    private readonly Option<int?> _pgVersion = new("--pg-version") { Description = $"PostgreSQL major version the scripts run on (default {MigrationLintOptions.DefaultPostgresVersion})." };
    private readonly Option<bool> _inTransaction = new("--assume-in-transaction") { Description = "Each file runs inside one transaction (most migration runners wrap each file)." };
    private readonly Option<string?> _failOn = new("--fail-on") { Description = "error (default) | warning | info | none: which findings make the exit code 1." };
    private readonly Option<string[]> _include = new("--include") { Description = "Only these rules (repeatable, or comma-separated)." };
    private readonly Option<string[]> _exclude = new("--exclude") { Description = "Not these rules (repeatable, or comma-separated)." };
    private readonly Option<string[]> _enable = new("--enable") { Description = "Turn on rules that are off by default (repeatable, or comma-separated; 'all' for every rule)." };
    private readonly Option<string?> _config = new("--config") { Description = $"Settings file (default: the nearest {LintConfig.FileName} up from the current directory)." };
    private readonly Option<bool> _noConfig = new("--no-config") { Description = $"Ignore {LintConfig.FileName}." };
    private readonly Option<bool> _closed = new("--closed-to-new-tables") { Description = "PGD311: report CREATE TABLE." };
    private readonly Option<bool> _noLockTimeout = new("--no-lock-timeout-check") { Description = "Do not require SET lock_timeout before DDL (PGD315)." };
    private readonly Option<bool> _statementTimeout = new("--require-statement-timeout") { Description = "PGD322: require SET statement_timeout before statements that can run long." };
    private readonly Option<bool> _alone = new("--each-file-alone") { Description = "Lint every file on its own. By default the files are one migration history, in the order given: column types, IMMUTABLE functions and validated checks declared by earlier files are known to later ones." };

    public LintCommand()
        : base("lint", "Lint SQL migration scripts with the PGD3xx migration-safety rules.")
    {
        _failOn.AcceptOnlyFromAmong("error", "warning", "info", "none");
        Add(_files);
        foreach (var option in new Option[] { _format, _pgVersion, _inTransaction, _failOn, _include, _exclude, _enable, _config, _noConfig, _closed, _noLockTimeout, _statementTimeout, _alone })
        {
            Add(option);
        }
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var options = new MigrationLintOptions();
        var threshold = "error";
        try
        {
            var configPath = parse.GetValue(_config) ?? (parse.GetValue(_noConfig) ? null : LintConfig.Find(Directory.GetCurrentDirectory()));
            if (configPath is not null)
            {
                var settings = LintConfig.Load(configPath);
                settings.ApplyTo(options);
                threshold = settings.FailOn ?? threshold;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return await FailAsync(parse, Prefix, ExitCodes.BadInput, $"configuration: {ex.Message}").ConfigureAwait(false);
        }

        if (ApplyOptions(parse, options) is { } problem)
        {
            return await FailAsync(parse, Prefix, ExitCodes.BadInput, problem).ConfigureAwait(false);
        }

        threshold = parse.GetValue(_failOn) ?? threshold;
        var (inputs, inputError) = LintInputs.Expand(parse.GetValue(_files)!);
        if (inputError is not null)
        {
            return await FailAsync(parse, Prefix, ExitCodes.BadInput, inputError).ConfigureAwait(false);
        }

        // Scripts are linted in the order given (a migration history's file names sort in the order they run):
        // what earlier scripts declared (column types, IMMUTABLE functions, validated checks) is known to later ones.
        var results = new List<LintResult>();
        MigrationLintState? state = null;
        foreach (var file in inputs)
        {
            string text;
            try
            {
                text = file == "-" ? await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false) : await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return await FailAsync(parse, Prefix, ExitCodes.BadInput, $"cannot read '{file}': {ex.Message}").ConfigureAwait(false);
            }

            var inTransaction = options.AssumeInTransaction && !MigrationLint.DeclaresNoTransaction(text);
            state = !parse.GetValue(_alone) && state is not null ? state.ForNextScript(inTransaction) : new MigrationLintState { InTransaction = inTransaction };
            results.AddRange(MigrationLint.Lint(text, options, state).Select(f => new LintResult(file == "-" ? "stdin" : file, f)));
        }

        await Output(parse).WriteAsync(LintWriter.For(parse.GetValue(_format)!).Write(results)).ConfigureAwait(false);
        return threshold switch
        {
            "none" => ExitCodes.Ok,
            "info" => results.Count > 0 ? ExitCodes.Failed : ExitCodes.Ok,
            "warning" => results.Any(r => r.Finding.Severity >= RuleSeverity.Warning) ? ExitCodes.Failed : ExitCodes.Ok,
            _ => results.Any(r => r.Finding.Severity == RuleSeverity.Error) ? ExitCodes.Failed : ExitCodes.Ok,
        };
    }

    /// <summary>The command line over the configuration file; the problem with a value, or null.</summary>
    private string? ApplyOptions(ParseResult parse, MigrationLintOptions options)
    {
        if (parse.GetValue(_pgVersion) is { } v)
        {
            if (v is < 9 or > 30)
            {
                return $"--pg-version {v} is not a PostgreSQL major version (9 to 30).";
            }

            options.PostgresVersion = v;
        }

        options.AssumeInTransaction |= parse.GetValue(_inTransaction);
        options.ClosedToNewTables |= parse.GetValue(_closed);
        if (parse.GetValue(_noLockTimeout))
        {
            options.RequireLockTimeout = false;
        }

        var includes = Ids(parse.GetValue(_include));
        var excludes = Ids(parse.GetValue(_exclude));
        var enables = Ids(parse.GetValue(_enable));
        if (enables.Remove("ALL"))
        {
            enables.AddRange(RuleCatalog.All.Where(r => RuleCatalog.IsMigrationRule(r.Id)).Select(r => r.Id));
        }

        if (parse.GetValue(_statementTimeout))
        {
            enables.Add(RuleIdentifiers.StatementWithoutTimeout);
        }

        if (includes.Concat(excludes).Concat(enables).FirstOrDefault(id => !RuleCatalog.IsMigrationRule(id)) is { } unknown)
        {
            return $"'{unknown}' is not a rule id (migration rules: {LintConfig.RuleRange}, see docs/rules).";
        }

        foreach (var id in enables)
        {
            options.EnabledRules.Add(id);
        }

        if (includes.Count > 0)
        {
            options.IncludedRules = includes;
        }

        foreach (var id in excludes)
        {
            options.ExcludedRules.Add(id);
        }

        return null;
    }

    private static List<string> Ids(string[]? values)
        => (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(v => v.ToUpperInvariant()).ToList();
}
