using NpgsqlTypes;
using PgDiscipline.Routing;
namespace PgDiscipline;

/// <summary>
/// Read-your-writes state of one unit of work (by default one DbContext instance; get it with
/// <c>dbContext.GetPgDisciplineSession()</c>). After a write commits, <see cref="ReadConsistency.Session"/> reads only go to
/// replicas that have replayed the commit. <see cref="Token"/> carries that position across processes (for example in a
/// response header that the next request sends back), so a user's next request on another instance reads their writes.
/// </summary>
public sealed class PgDisciplineSession
{
    internal const string TokenPrefix = "pgd1.";
    internal const string TimelineTokenPrefix = "pgd2.";
    private readonly object _gate = new();
    private NpgsqlLogSequenceNumber _required;
    private long _timeline;
    private bool _dirty;

    internal PgDisciplineSession()
    {
    }

    /// <summary>The position reads must have seen, as a string (<c>pgd2.&lt;timeline&gt;.&lt;lsn&gt;</c>: the primary's
    /// timeline, when known, and the WAL position), or null when the session has no writes to wait for. After a write,
    /// reading this property does not capture the commit position; use <see cref="GetTokenAsync"/> for that. Setting it
    /// merges (the later position and timeline win; <c>pgd1.&lt;lsn&gt;</c> tokens of earlier versions are read too); an
    /// unparseable token is ignored. A token's timeline tells this instance about a promotion another one has seen: a
    /// primary on an older timeline is refused from then on.</summary>
    public string? Token
    {
        get
        {
            lock (_gate)
            {
                return _required == default ? null
                    : _timeline > 0 ? TimelineTokenPrefix + _timeline.ToString(System.Globalization.CultureInfo.InvariantCulture) + "." + _required
                    : TokenPrefix + _required;
            }
        }

        set
        {
            if (value is null)
            {
                return;
            }

            if (value.StartsWith(TokenPrefix, StringComparison.Ordinal) && Lsns.TryParse(value[TokenPrefix.Length..], out var lsn))
            {
                Require(lsn);
            }
            else if (TryParseTimelineToken(value, out var timeline, out var position))
            {
                Timeline?.SawTimeline(timeline, "a session token");
                lock (_gate)
                {
                    _timeline = Math.Max(_timeline, timeline);
                }

                Require(position);
            }
        }
    }

    /// <summary>Reads a <c>pgd2.&lt;timeline&gt;.&lt;lsn&gt;</c> token.</summary>
    internal static bool TryParseTimelineToken(string token, out long timeline, out NpgsqlLogSequenceNumber position)
    {
        timeline = 0;
        position = default;
        if (!token.StartsWith(TimelineTokenPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = token.AsSpan(TimelineTokenPrefix.Length);
        var dot = rest.IndexOf('.');
        return dot > 0
            && long.TryParse(rest[..dot], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out timeline)
            && timeline > 0
            && Lsns.TryParse(rest[(dot + 1)..].ToString(), out position);
    }

    /// <summary>The runtime's stale-primary guard: captures stamp its timeline on the token; tokens raise it.</summary>
    internal PgDiscipline.HighAvailability.PrimaryTimelineGuard? Timeline { get; set; }

    /// <summary>True when a write committed whose position has not been captured yet.</summary>
    public bool HasUncapturedWrite
    {
        get
        {
            lock (_gate)
            {
                return _dirty;
            }
        }
    }

    /// <summary>Reads the primary's current WAL position; <c>sync</c> selects blocking I/O for EF Core's synchronous APIs.</summary>
    internal Func<bool, CancellationToken, ValueTask<NpgsqlLogSequenceNumber>>? CapturePosition { get; set; }

    /// <summary>The token after capturing the position of the last write (one round trip to the primary, once per write).</summary>
    public async Task<string?> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        await EnsureCapturedAsync(sync: false, cancellationToken).ConfigureAwait(false);
        return Token;
    }

    internal NpgsqlLogSequenceNumber RequiredPosition
    {
        get
        {
            lock (_gate)
            {
                return _required;
            }
        }
    }

    internal void MarkWrite()
    {
        lock (_gate)
        {
            _dirty = true;
        }
    }

    internal void Require(NpgsqlLogSequenceNumber lsn)
    {
        lock (_gate)
        {
            if (lsn > _required)
            {
                _required = lsn;
            }
        }
    }

    internal async ValueTask EnsureCapturedAsync(bool sync, CancellationToken cancellationToken)
    {
        if (!HasUncapturedWrite || CapturePosition is not { } capture)
        {
            return;
        }

        Captured(await capture(sync, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The primary's position read after the session's last write committed: reads now wait for it.</summary>
    internal void Captured(NpgsqlLogSequenceNumber lsn)
    {
        var timeline = Timeline?.NewestTimeline ?? 0;
        lock (_gate)
        {
            _dirty = false;
            _timeline = Math.Max(_timeline, timeline);
            if (lsn > _required)
            {
                _required = lsn;
            }
        }
    }
}
