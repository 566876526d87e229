using System.CommandLine;

namespace PgDiscipline.Cli.Commands;

/// <summary>The throttle options of <c>backfill run</c>, one for each <see cref="BackfillOptions"/> setting, with the same
/// defaults; checked by <see cref="BackfillOptions.Validate"/> when the runner starts.</summary>
internal sealed class BackfillThrottleOptions
{
    private readonly Option<double?> _rate = new("--rows-per-second") { Description = "Keys per second at most (default: no limit, only the other throttles)." };
    private readonly Option<int> _batch = new("--batch-size") { Description = "Keys in the first batch.", DefaultValueFactory = _ => 1000 };
    private readonly Option<int> _minBatch = new("--min-batch-size") { Description = "Smallest batch.", DefaultValueFactory = _ => 10 };
    private readonly Option<int> _maxBatch = new("--max-batch-size") { Description = "Largest batch.", DefaultValueFactory = _ => 10_000 };
    private readonly Option<TimeSpan> _target = new("--batch-target") { Description = "Batch size adapts to this transaction duration.", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(200) };
    private readonly Option<int?> _sessions = new("--max-active-sessions") { Description = "Pause while more sessions than this are active on the primary." };
    private readonly Option<string?> _window = new("--window") { Description = "Work only between these UTC hours, e.g. 22:00-06:00." };
    private readonly Option<TimeSpan> _lockTimeout = new("--lock-timeout") { Description = "lock_timeout of each batch.", DefaultValueFactory = _ => TimeSpan.FromSeconds(1) };
    private readonly Option<TimeSpan> _statementTimeout = new("--statement-timeout") { Description = "statement_timeout of each batch.", DefaultValueFactory = _ => TimeSpan.FromSeconds(30) };

    /// <summary>Adds the options to <paramref name="command"/>, the replica ones (<paramref name="replicaOptions"/>) after the
    /// batch sizes, as <c>--help</c> has always listed them.</summary>
    public void AddTo(Command command, params Option[] replicaOptions)
    {
        foreach (var option in new Option[] { _rate, _batch, _minBatch, _maxBatch, _target }.Concat(replicaOptions).Concat([_sessions, _window, _lockTimeout, _statementTimeout]))
        {
            command.Add(option);
        }
    }

    /// <summary>The options as given; the problem with <c>--window</c>, or null.</summary>
    public string? Read(ParseResult parse, out BackfillOptions options)
    {
        options = new BackfillOptions
        {
            RowsPerSecond = parse.GetValue(_rate),
            BatchSize = parse.GetValue(_batch),
            MinBatchSize = parse.GetValue(_minBatch),
            MaxBatchSize = parse.GetValue(_maxBatch),
            TargetBatchDuration = parse.GetValue(_target),
            MaxActiveSessions = parse.GetValue(_sessions),
            LockTimeout = parse.GetValue(_lockTimeout),
            StatementTimeout = parse.GetValue(_statementTimeout),
        };
        try
        {
            if (parse.GetValue(_window) is { } w)
            {
                options.Window = BackfillWindow.Parse(w);
            }
        }
        catch (FormatException ex)
        {
            return $"--window: {ex.Message}";
        }

        return null;
    }
}
