namespace PgDiscipline;

/// <summary>What <see cref="BackfillRunner.RequestAsync"/> asks of a running backfill.</summary>
public enum BackfillRequest
{
    /// <summary>Wait between batches until resumed.</summary>
    Pause,

    /// <summary>Clear a pause (or cancel) request.</summary>
    Resume,

    /// <summary>Stop after the batch in flight (state cancelled; running it again continues).</summary>
    Cancel,
}
