using System.CommandLine;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline backfill run|status|pause|resume|cancel</c>: SQL-defined backfills with PgDiscipline.Operations'
/// runner, progress in <c>pgdiscipline.backfills</c>.</summary>
internal sealed class BackfillCommand : Command
{
    internal const string Prefix = "pgdiscipline backfill";

    public BackfillCommand()
        : base("backfill", "Run and manage throttled, resumable backfills (pgdiscipline.backfills).")
    {
        var connection = CommonOptions.Connection(recursive: true);
        Add(connection);
        Subcommands.Add(new BackfillRunCommand(connection));
        Subcommands.Add(new BackfillStatusCommand(connection));
        Subcommands.Add(new BackfillRequestCommand(connection, "pause", BackfillRequest.Pause, "Ask the runner to wait between batches until resumed."));
        Subcommands.Add(new BackfillRequestCommand(connection, "resume", BackfillRequest.Resume, "Clear a pause (or a cancel not yet carried out)."));
        Subcommands.Add(new BackfillRequestCommand(connection, "cancel", BackfillRequest.Cancel, "Ask the runner to stop after the batch in flight (run it again to continue)."));
    }
}
