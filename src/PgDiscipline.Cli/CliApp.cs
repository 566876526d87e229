using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace PgDiscipline.Cli;

/// <summary>The <c>pgdiscipline</c> command line. Output and error writers are parameters so tests run it in-process.</summary>
public static class CliApp
{
    /// <summary>The tool's informational version (package version, plus commit when built from git).</summary>
    public static string Version =>
        typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>Builds the command tree.</summary>
    public static RootCommand Build() => Build(null);

    /// <summary>Builds the command tree; with <paramref name="only"/>, just that subcommand (a per-file <c>lint</c> from a
    /// pre-commit hook or CI step pays for nothing else at start-up: no option objects of the other commands, no Npgsql).</summary>
    private static RootCommand Build(string? only)
    {
        var root = new RootCommand("pgdiscipline: fingerprint SQL, lint migrations, manage query rules, inspect a cluster, write query reports, run backfills.");

        // The default --version prints the entry assembly's version, which is the test host's when run in-process.
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintVersionAction();
            }
        }

        if (only == "lint")
        {
            root.Subcommands.Add(LintCommand.Build());
            return root;
        }

        root.Subcommands.Add(FingerprintCommand.Build());
        root.Subcommands.Add(LintCommand.Build());
#if !LINT_ONLY
        root.Subcommands.Add(RulesCommand.Build());
        root.Subcommands.Add(DoctorCommand.Build());
        root.Subcommands.Add(ReportCommand.Build());
        root.Subcommands.Add(BackfillCommand.Build());
#endif
        return root;
    }

    private sealed class PrintVersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            (parseResult.InvocationConfiguration.Output ?? Console.Out).WriteLine(Version);
            return 0;
        }
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var config = new InvocationConfiguration { Output = output, Error = error };
        return Build(args.Length > 0 && args[0] == "lint" ? "lint" : null).Parse(args).InvokeAsync(config, cancellationToken);
    }
}
