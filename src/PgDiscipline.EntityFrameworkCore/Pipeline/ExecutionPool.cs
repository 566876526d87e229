using Microsoft.Extensions.ObjectPool;

namespace PgDiscipline.Pipeline;

/// <summary>Executions are reused: a warm command allocates nothing of PgDiscipline's own. Each thread keeps one spare
/// in front of the shared pool, so the usual begin-and-complete on one thread touches no shared state.</summary>
internal sealed class ExecutionPool
{
    [ThreadStatic]
    private static CommandExecution? t_spare;

    private readonly DefaultObjectPool<CommandExecution> _pool;

    public ExecutionPool(TimeProvider time)
    {
        Time = time;
        _pool = new DefaultObjectPool<CommandExecution>(new Policy(this), maximumRetained: 4 * Environment.ProcessorCount + 64);
    }

    public TimeProvider Time { get; }

    public CommandExecution Rent()
    {
        if (t_spare is { } spare)
        {
            t_spare = null;
            if (ReferenceEquals(spare.Owner, this))
            {
                return spare;
            }

            // Another runtime's (idle, nothing of a command left in it): dropped, so this slot serves this runtime and
            // keeps no other runtime alive.
        }

        return _pool.Get();
    }

    /// <summary>Takes back a completed execution (called once per use: by whoever lets go of it last).</summary>
    public void Return(CommandExecution execution)
    {
        if (t_spare is null)
        {
            if (execution.Reset())
            {
                t_spare = execution;
            }

            return;
        }

        _pool.Return(execution);
    }

    private sealed class Policy(ExecutionPool owner) : IPooledObjectPolicy<CommandExecution>
    {
        public CommandExecution Create() => new(owner);

        public bool Return(CommandExecution execution) => execution.Reset();
    }
}
