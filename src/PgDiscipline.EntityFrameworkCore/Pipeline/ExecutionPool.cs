using Microsoft.Extensions.ObjectPool;

namespace PgDiscipline.Pipeline;

/// <summary>Executions are reused: a warm command allocates nothing of PgDiscipline's own.</summary>
internal sealed class ExecutionPool
{
    private readonly DefaultObjectPool<CommandExecution> _pool;

    public ExecutionPool(TimeProvider time)
    {
        Time = time;
        _pool = new DefaultObjectPool<CommandExecution>(new Policy(this), maximumRetained: 4 * Environment.ProcessorCount + 64);
    }

    public TimeProvider Time { get; }

    public CommandExecution Rent() => _pool.Get();

    public void Return(CommandExecution execution) => _pool.Return(execution);

    private sealed class Policy(ExecutionPool owner) : IPooledObjectPolicy<CommandExecution>
    {
        public CommandExecution Create() => new(owner);

        public bool Return(CommandExecution execution) => execution.Reset();
    }
}
