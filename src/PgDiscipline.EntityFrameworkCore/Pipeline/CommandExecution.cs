using System.ComponentModel;
using System.Data.Common;
using System.Diagnostics;
using System.Threading.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgDiscipline.Pipeline;

/// <summary>
/// One command from <c>…Executing</c> to its end: its plan, timeouts, shape, route, permits, span, the target that ran it
/// and its timings. Created once per command by <see cref="CommandPipeline.Begin"/>, found again by EF Core's
/// <c>CommandId</c> (<see cref="Executions"/>), and completed exactly once — by <c>…Executed</c>, <c>CommandFailed</c>,
/// <c>CommandCanceled</c> or the disposal of its reader — which records it and releases what it holds. Pooled: an
/// execution holds nothing of its command once completed.
/// </summary>
internal sealed partial class CommandExecution
{
    private const int Idle = 0;
    private const int Running = 1;
    private const int Completed = 2;

    private readonly ExecutionPool _pool;
    private int _state;
    private int _holds;
    private bool _callCounted;
    private DateTimeOffset _startedAt;
    private sbyte _inTransaction;
    private long _notCountedTicks;
    private RateLimitLease? _lease;
    private List<RateLimitLease>? _moreLeases;
    private IExecutionSlot? _slot;
    private Activity? _activity;
    private string? _error;
    private bool _handedOver;
    private System.Data.Common.DbDataReader? _raw;

    /// <summary>What the command sends besides the application's statements (set by the stages before it runs).</summary>
    public CommandShape Shape;

    /// <summary>Where a read may go and what it must have seen (set by the routing stage).</summary>
    public RouteDecision Route;

    internal CommandExecution(ExecutionPool pool)
    {
        _pool = pool;
        Reader = new PgDisciplineDataReader(this);
    }

    public Guid CommandId { get; private set; }

    public DbCommand Command { get; private set; } = null!;

    public DbContext? Context { get; private set; }

    public CommandSource Source { get; private set; }

    public ExecutionKind Kind { get; private set; }

    /// <summary>EF Core's synchronous API: every stage completes without awaiting.</summary>
    public bool Sync { get; private set; }

    public CommandPlan Plan { get; private set; } = null!;

    public ExecutionTimeouts Timeouts { get; private set; }

    /// <summary>In an explicit or ambient transaction (asked once, when a stage needs to know: the ambient transaction is
    /// not free to look up).</summary>
    public bool InTransaction
    {
        get
        {
            if (_inTransaction == 0)
            {
                _inTransaction = Command.Transaction is not null || System.Transactions.Transaction.Current is not null ? (sbyte)1 : (sbyte)-1;
            }

            return _inTransaction > 0;
        }
    }

    /// <summary>The reader EF Core gets for this command (one per execution, reused with it).</summary>
    internal PgDisciplineDataReader Reader { get; }

    /// <summary>Statistics target that ran the command: 0 the primary, replicas from 1.</summary>
    public int Target { get; private set; }

    public TimeProvider Time => _pool.Time;

    internal ExecutionPool Owner => _pool;

    /// <summary>The stages that apply to this command's plan and kind, in order (<see cref="CommandPipeline.Applying"/>).</summary>
    public ICommandStage[] Stages { get; private set; } = [];

    internal void Start(DbCommand command, CommandEventData data, ExecutionKind kind, bool sync, CommandPlan plan, ExecutionTimeouts timeouts, ICommandStage[] stages)
    {
        _holds = 1;
        Stages = stages;
        _state = Running;
        CommandId = data.CommandId;
        Command = command;
        Context = data.Context;
        Source = data.CommandSource;
        Kind = kind;
        Sync = sync;
        Plan = plan;
        Timeouts = timeouts;
        _inTransaction = 0;
        // EF Core read the clock already; a runtime on another clock (a test's) reads its own.
        _startedAt = ReferenceEquals(_pool.Time, TimeProvider.System) ? data.StartTime : _pool.Time.GetUtcNow();
        if (PgDisciplineTelemetry.Source.HasListeners())
        {
            _activity = ExecutionActivity.Start(command, plan);
        }
    }

    /// <summary>Time the command spent waiting for something that is not its own work (a fresh runtime's first health
    /// checks): left out of its latency.</summary>
    public void NotCounted(TimeSpan waited) => _notCountedTicks += waited.Ticks;

    /// <summary>Holds a Concurrency rule's permit until the command ends.</summary>
    public void Hold(RateLimitLease lease)
    {
        if (_lease is null)
        {
            _lease = lease;
        }
        else
        {
            (_moreLeases ??= new List<RateLimitLease>(1)).Add(lease);
        }
    }

    /// <summary>The command runs on <paramref name="target"/> (statistics index) and occupies <paramref name="slot"/> until
    /// its reader is done.</summary>
    public void RanOn(int target, IExecutionSlot? slot, string? name = null, string? host = null, int port = 0)
    {
        LeaveTarget();
        Target = target;
        _slot = slot;
        Plan.Stats?.RoutedTo(target);
        if (name is not null && _activity is { } activity)
        {
            ExecutionActivity.SetTarget(activity, name, host, port);
        }
    }

    /// <summary>The target's work is over before the execution ends (its rows are buffered).</summary>
    public void LeaveTarget()
    {
        var slot = _slot;
        _slot = null;
        slot?.Leave();
    }

    /// <summary>EF Core reports the command executed in <paramref name="duration"/>: one call in its statistics.</summary>
    public void Executed(TimeSpan duration)
    {
        if (_state != Running || _callCounted)
        {
            return;
        }

        _callCounted = true;
        Plan.Stats?.Completed(Math.Max(0, (duration.Ticks - _notCountedTicks) / TimeSpan.TicksPerMicrosecond));
    }

    /// <summary>An error while the command ran or its rows were read (the first one is what the statistics count).</summary>
    public void SawError(Exception exception) => _error ??= PgDisciplineTelemetry.ErrorCode(exception);

    /// <summary>Ends the execution: records <paramref name="rows"/> and the error if any, ends the span, gives back permits
    /// and the target. Only the first call does anything.</summary>
    public void Complete(long rows, Exception? failure = null, bool canceled = false)
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Running) != Running)
        {
            return;
        }

        if (failure is not null)
        {
            SawError(failure);
        }
        else if (canceled)
        {
            _error ??= "canceled";
        }

        var refused = failure is QueryBlockedException or QueryRateLimitedException;
        if (Plan.Stats is { } stats && !refused)
        {
            if (!_callCounted)
            {
                _callCounted = true;
                var elapsed = (_pool.Time.GetUtcNow() - _startedAt).Ticks - _notCountedTicks;
                stats.Completed(Math.Max(0, elapsed / TimeSpan.TicksPerMicrosecond));
            }

            if (rows > 0)
            {
                stats.AddRows(rows);
            }

            if (_error is { } code)
            {
                stats.Failed(code);
            }
        }

        if (_activity is { } activity)
        {
            ExecutionActivity.End(activity, refused ? null : _error);
            _activity = null;
        }

        Release();
        Executions.Detach(this);
        Unhold();
    }

    /// <summary>The reader EF Core gets for <paramref name="inner"/> (positioned on the application's first result):
    /// the execution's own, except for SaveChanges, whose reader EF Core's Npgsql provider reads as an
    /// <c>NpgsqlDataReader</c> (its per-statement row counts); that one is handed on as it is and the execution ends
    /// when EF Core disposes it (<see cref="RawReaderDisposing"/>).</summary>
    public System.Data.Common.DbDataReader Take(System.Data.Common.DbDataReader inner, bool firstReadDone = false, bool firstRead = false)
    {
        if (Source == CommandSource.SaveChanges && !firstReadDone)
        {
            _raw = inner;
            return inner;
        }

        return Reader.Open(inner, firstReadDone, firstRead);
    }

    /// <summary>Whether <paramref name="reader"/> is the one a stage made for this execution.</summary>
    public bool Made(System.Data.Common.DbDataReader reader) => ReferenceEquals(reader, Reader) || ReferenceEquals(reader, _raw);

    /// <summary>EF Core takes the reader it was given (it disposes it when done).</summary>
    public System.Data.Common.DbDataReader HandedOver()
    {
        _handedOver = true;
        return _raw ?? Reader;
    }

    /// <summary>EF Core is about to dispose a reader handed on as it is: the execution ends with its rows.</summary>
    public void RawReaderDisposing(System.Data.Common.DbDataReader reader, int readCount)
    {
        if (ReferenceEquals(reader, _raw))
        {
            var affected = reader.RecordsAffected;
            Complete(affected >= 0 ? affected : readCount);
        }
    }

    /// <summary>EF Core reports the command failed (<paramref name="failure"/>) or was cancelled (null): the execution ends,
    /// and a reader a stage made that EF Core never got is closed.</summary>
    public void Fail(Exception? failure)
    {
        var abandoned = !_handedOver;
        var raw = _raw;
        var ownReader = abandoned && Reader.InUse; // asked before Complete: once completed, the execution may be reused
        Complete(0, failure, canceled: failure is null);
        if (abandoned && raw is not null)
        {
            raw.Dispose();
        }
        else if (ownReader)
        {
            Reader.Abandon();
        }
    }

    /// <summary>The span of a command refused by a rule ends with this outcome (it never reached a server).</summary>
    public void Refused(string outcome)
    {
        if (_activity is { } activity)
        {
            ExecutionActivity.End(activity, outcome);
            _activity = null;
        }
    }

    /// <summary>The execution is held by itself until it completes and by its reader while that is open; whoever lets
    /// go last gives it back to the pool, exactly once (a return decided by checking both would race: the loser could
    /// return it again after its next command had begun).</summary>
    internal void Hold() => Interlocked.Increment(ref _holds);

    internal void Unhold()
    {
        if (Interlocked.Decrement(ref _holds) == 0)
        {
            _pool.Return(this);
        }
    }

    private void Release()
    {
        LeaveTarget();
        _lease?.Dispose();
        _lease = null;
        if (_moreLeases is { } more)
        {
            foreach (var lease in more)
            {
                lease.Dispose();
            }

            _moreLeases = null;
        }
    }

    /// <summary>Clears everything of the command (the pool calls this before reuse).</summary>
    internal bool Reset()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Completed) != Completed)
        {
            return false;
        }

        CommandId = default;
        Command = null!;
        Stages = [];
        Context = null;
        Plan = null!;
        Shape = default;
        Route = default;
        Target = 0;
        _callCounted = false;
        _handedOver = false;
        _raw = null;
        _notCountedTicks = 0;
        _error = null;
        return true;
    }
}

/// <summary>Something a command occupies while it runs (a replica's in-flight count).</summary>
internal interface IExecutionSlot
{
    void Leave();
}
