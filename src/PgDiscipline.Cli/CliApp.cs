using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using PgDiscipline.Cli.Commands;

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
            root.Subcommands.Add(new LintCommand());
            return root;
        }

        root.Subcommands.Add(new FingerprintCommand());
        root.Subcommands.Add(new LintCommand());
#if !LINT_ONLY
        root.Subcommands.Add(new RulesCommand());
        root.Subcommands.Add(new DoctorCommand());
        root.Subcommands.Add(new ReportCommand());
        root.Subcommands.Add(new BackfillCommand());
#endif
        return root;
    }

    private sealed class PrintVersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            (parseResult.InvocationConfiguration.Output ?? Console.Out).WriteLine(Version);
            return ExitCodes.Ok;
        }
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code (<see cref="ExitCodes"/>). Never
    /// prints a stack trace: a parse error is bad input (2), anything a command did not expect is one line naming its
    /// type (1), an interrupted command is stopped (5).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        var parse = Build(args.Length > 0 && args[0] == "lint" ? "lint" : null).Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            foreach (var problem in parse.Errors)
            {
                await error.WriteLineAsync("pgdiscipline: " + RedactTokens(problem.Message, args)).ConfigureAwait(false);
            }

            await error.WriteLineAsync($"See 'pgdiscipline {string.Join(' ', CommandPath(parse))} --help'.").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        try
        {
            return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("pgdiscipline: stopped.").ConfigureAwait(false);
            return ExitCodes.Stopped;
        }
        catch (Exception ex)
        {
            // The last line of defence: the type only (a message can quote a value).
            await error.WriteLineAsync($"pgdiscipline: unexpected {ex.GetType().Name}; nothing more is shown (the message could hold a value). Please report it.").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, r.Command.Name);
        }

        return names;
    }

    /// <summary>A parse error quotes the token it could not use; a token that looks like a setting (<c>key=value</c>,
    /// a connection string given without its option) is not repeated.</summary>
    internal static string RedactTokens(string message, IEnumerable<string> args)
    {
        foreach (var arg in args.Where(a => a.Contains('=', StringComparison.Ordinal) && a.Length > 1))
        {
            message = message.Replace(arg, "<value not shown>", StringComparison.Ordinal);
        }

        return message;
    }
}
