namespace PgDiscipline.Pipeline;

/// <summary>The timeouts of one execution, fixed when it begins: the statement timeout from a tag or a Timeout rule, else
/// the configured one, and the configured lock and idle-in-transaction timeouts. Every path the command can take — the
/// primary, a replica, a coalesced wait, a rescue read — bounds itself by these.</summary>
internal readonly record struct ExecutionTimeouts(TimeSpan? Statement, TimeSpan? Lock, TimeSpan? IdleInTransaction)
{
    /// <summary>The client's own bound in whole seconds (<see cref="TimeoutSql.ClientCommandTimeoutSeconds"/>), or 0 when
    /// there is no statement timeout; worked out once per plan, not per command.</summary>
    public int ClientCommandTimeoutSeconds { get; } = Statement is { } s ? TimeoutSql.ClientCommandTimeoutSeconds(s) : 0;

    /// <summary>When the client stops waiting for a server whose statement timeout is <paramref name="statement"/>: just
    /// after the server would have cancelled it, so only a server that no longer answers is given up on from this side.
    /// Null: no statement timeout, the command's own timeout applies.</summary>
    public static TimeSpan? ClientBound(TimeSpan? statement) => statement is { } s ? s + TimeoutSql.ClientMargin : null;

    /// <summary><see cref="ClientBound(TimeSpan?)"/> of this execution's statement timeout.</summary>
    public TimeSpan? ClientBoundOfStatement => ClientBound(Statement);

    /// <summary>The client bound for a command whose own <c>CommandTimeout</c> (seconds, 0 = none) applies when no
    /// statement timeout is set.</summary>
    public TimeSpan ClientBoundOr(int commandTimeoutSeconds)
        => ClientBoundOfStatement ?? (commandTimeoutSeconds > 0 ? TimeSpan.FromSeconds(commandTimeoutSeconds) : Timeout.InfiniteTimeSpan);
}
