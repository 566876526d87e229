namespace PgDiscipline.Cli;

/// <summary>The one exit-code table of every <c>pgdiscipline</c> command (docs/cli.md). A script can tell "fix the
/// arguments" (2) from "the database is down" (3) from "try again later" (4) whatever the command.</summary>
internal static class ExitCodes
{
    /// <summary>Done; nothing found.</summary>
    public const int Ok = 0;

    /// <summary>Findings (lint), a failed check (doctor), a failed backfill, nothing matched (unblock), a refused statement
    /// or privilege the database reported (with its SQLSTATE and the grant to run).</summary>
    public const int Failed = 1;

    /// <summary>Bad input, named in the message: an argument, an option, a file, a connection string keyword. Nothing was written.</summary>
    public const int BadInput = 2;

    /// <summary>The database cannot be reached or logged in to (network, timeout, authentication, unknown database).</summary>
    public const int Unreachable = 3;

    /// <summary>Busy: another runner holds the backfill (run it again later, or with <c>--wait</c>).</summary>
    public const int Busy = 4;

    /// <summary>Stopped before the end (cancelled, interrupted); running it again continues.</summary>
    public const int Stopped = 5;
}
