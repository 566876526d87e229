using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;

namespace PgDiscipline.Rules;

/// <summary>Applies a plan's Block, RateLimit and Concurrency rules before a command reaches the server, and releases a
/// Concurrency permit when the command ends.</summary>
internal sealed class RuleEnforcer(ILogger logger)
{
    private readonly ConditionalWeakTable<DbCommand, LeaseHolder> _leases = new();

    /// <summary>Throws <see cref="QueryBlockedException"/> or <see cref="QueryRateLimitedException"/> when a rule refuses the
    /// command; otherwise takes its permits (a Concurrency permit is held until <see cref="Release"/>).</summary>
    public ValueTask EnforceAsync(DbCommand command, CommandPlan plan, bool sync, CancellationToken cancellationToken)
        => plan.Rules.Length == 0 ? ValueTask.CompletedTask : ApplyAsync(command, plan, sync, cancellationToken);

    private async ValueTask ApplyAsync(DbCommand command, CommandPlan plan, bool sync, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var rule in plan.Rules)
        {
            if (rule.IsExpired(now))
            {
                continue;
            }

            switch (rule.Action)
            {
                case QueryRuleAction.Block:
                    plan.Stats?.WasBlocked();
                    PgDisciplineTelemetry.EndCommand(command, "blocked");
                    PgDisciplineTelemetry.Blocked.Add(1, PgDisciplineTelemetry.RuleTags(rule.Id, plan.Fingerprint));
                    Log.QueryBlocked(logger, plan.Fingerprint, rule.Id, rule.Reason);
                    throw new QueryBlockedException(plan.Fingerprint, rule.Id, rule.Reason);

                case QueryRuleAction.RateLimit or QueryRuleAction.Concurrency when rule.Limiter is { } limiter:
                    var lease = limiter.AttemptAcquire(1);
                    if (!lease.IsAcquired && rule.Rule.MaxQueueTime > TimeSpan.Zero)
                    {
                        lease.Dispose();
                        PgDisciplineTelemetry.Queued.Add(1, PgDisciplineTelemetry.RuleTags(rule.Id, plan.Fingerprint));
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        timeout.CancelAfter(rule.Rule.MaxQueueTime);
                        try
                        {
                            var pending = limiter.AcquireAsync(1, timeout.Token);
                            // EF Core's synchronous APIs: waiting for the permit blocks, as the command itself would.
                            lease = sync ? pending.AsTask().GetAwaiter().GetResult() : await pending.ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                        {
                            lease = null;
                        }
                    }

                    if (lease is null || !lease.IsAcquired)
                    {
                        TimeSpan? retryAfter = lease is not null && lease.TryGetMetadata(MetadataName.RetryAfter, out var ra) ? ra : null;
                        lease?.Dispose();
                        plan.Stats?.WasRateLimited();
                        PgDisciplineTelemetry.EndCommand(command, "rate_limited");
                        PgDisciplineTelemetry.RateLimited.Add(1, PgDisciplineTelemetry.RuleTags(rule.Id, plan.Fingerprint));
                        Log.QueryRateLimited(logger, plan.Fingerprint, rule.Id);
                        throw new QueryRateLimitedException(plan.Fingerprint, rule.Id, rule.Reason, retryAfter);
                    }

                    if (rule.Action == QueryRuleAction.Concurrency)
                    {
                        _leases.GetValue(command, static _ => new LeaseHolder()).Add(lease);
                    }
                    else
                    {
                        lease.Dispose();
                    }

                    break;
            }
        }
    }

    /// <summary>The command ended (completed, failed, cancelled or its reader was disposed): give back its permits.</summary>
    public void Release(DbCommand command)
    {
        if (_leases.TryGetValue(command, out var holder))
        {
            holder.ReleaseAll();
            _leases.Remove(command);
        }
    }

    private sealed class LeaseHolder
    {
        private readonly List<RateLimitLease> _leases = new(1);

        public void Add(RateLimitLease lease)
        {
            lock (_leases)
            {
                _leases.Add(lease);
            }
        }

        public void ReleaseAll()
        {
            lock (_leases)
            {
                foreach (var lease in _leases)
                {
                    lease.Dispose();
                }

                _leases.Clear();
            }
        }
    }
}
