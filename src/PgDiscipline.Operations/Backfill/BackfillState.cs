namespace PgDiscipline;

/// <summary>Where a backfill stands (column <c>state</c> of <c>pgdiscipline.backfills</c>).</summary>
public enum BackfillState
{
    /// <summary>Defined, no batch committed yet.</summary>
    Pending,

    /// <summary>A runner is working on it.</summary>
    Running,

    /// <summary>A runner holds it and waits (see <see cref="BackfillProgress.PauseReason"/>).</summary>
    Paused,

    /// <summary>Every key is done; running it again does nothing.</summary>
    Done,

    /// <summary>Stopped on request (<c>pgdiscipline backfill cancel</c>); running it again continues where it stopped.</summary>
    Cancelled,

    /// <summary>A batch failed with an error a retry cannot fix; running it again continues where it stopped.</summary>
    Failed,

    /// <summary>Its runner ended before it finished (cancelled by its caller, or its process stopped); running it again continues.</summary>
    Stopped,
}
