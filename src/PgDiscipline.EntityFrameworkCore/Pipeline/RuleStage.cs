using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using PgDiscipline.Rules;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.Pipeline;

/// <summary>The first stage: a plan's Block, RateLimit and Concurrency rules, before the command reaches any server (a
/// refused command never opens a connection). A Concurrency permit is held by the execution until it ends.</summary>
internal sealed class RuleStage(ILogger logger) : ICommandStage
{
    public bool AppliesTo(CommandPlan plan, ExecutionKind kind) => plan.Rules.Length > 0;

    public ValueTask<Served> ExecuteAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken)
        => !AppliesTo(execution.Plan, execution.Kind) ? next.ExecuteAsync(execution, cancellationToken) : AdmitThenAsync(execution, next, cancellationToken);

    private async ValueTask<Served> AdmitThenAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken)
    {
        await AdmitAsync(execution, cancellationToken).ConfigureAwait(false);
        return await next.ExecuteAsync(execution, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Throws <see cref="QueryBlockedException"/> or <see cref="QueryRateLimitedException"/> when a rule refuses
    /// the command; otherwise takes its permits.</summary>
    internal async ValueTask AdmitAsync(CommandExecution execution, CancellationToken cancellationToken)
    {
        var plan = execution.Plan;
        var now = execution.Time.GetUtcNow();
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
                    execution.Refused("blocked");
                    PgDisciplineTelemetry.Blocked.Add(1, PgDisciplineTelemetry.RuleTags(rule.Id, plan.Fingerprint));
                    Log.QueryBlocked(logger, plan.Fingerprint, rule.Id, rule.Reason);
                    throw new QueryBlockedException(plan.Fingerprint, rule.Id, rule.Reason);

                case QueryRuleAction.RateLimit or QueryRuleAction.Concurrency when rule.Limiter is { } limiter:
                    var lease = await AcquireAsync(execution, rule, limiter, cancellationToken).ConfigureAwait(false);
                    if (lease is null || !lease.IsAcquired)
                    {
                        TimeSpan? retryAfter = lease is not null && lease.TryGetMetadata(MetadataName.RetryAfter, out var ra) ? ra : null;
                        lease?.Dispose();
                        plan.Stats?.WasRateLimited();
                        execution.Refused("rate_limited");
                        PgDisciplineTelemetry.RateLimited.Add(1, PgDisciplineTelemetry.RuleTags(rule.Id, plan.Fingerprint));
                        Log.QueryRateLimited(logger, plan.Fingerprint, rule.Id);
                        throw new QueryRateLimitedException(plan.Fingerprint, rule.Id, rule.Reason, retryAfter);
                    }

                    if (rule.Action == QueryRuleAction.Concurrency)
                    {
                        execution.Hold(lease);
                    }
                    else
                    {
                        lease.Dispose();
                    }

                    break;
            }
        }
    }

    private static async ValueTask<RateLimitLease?> AcquireAsync(CommandExecution execution, CompiledRule rule, RateLimiter limiter, CancellationToken cancellationToken)
    {
        var lease = limiter.AttemptAcquire(1);
        if (lease.IsAcquired || rule.Rule.MaxQueueTime <= TimeSpan.Zero)
        {
            return lease;
        }

        lease.Dispose();
        PgDisciplineTelemetry.Queued.Add(1, PgDisciplineTelemetry.RuleTags(rule.Id, execution.Plan.Fingerprint));
        using var timeout = new CancellationTokenSource(rule.Rule.MaxQueueTime, execution.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var pending = limiter.AcquireAsync(1, linked.Token);
            // EF Core's synchronous APIs: waiting for the permit blocks, as the command itself would.
            return execution.Sync ? pending.AsTask().GetAwaiter().GetResult() : await pending.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
