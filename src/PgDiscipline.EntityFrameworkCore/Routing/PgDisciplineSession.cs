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
    private readonly object _gate = new();
    private NpgsqlLogSequenceNumber _required;
    private long _timeline;
    private bool _dirty;

    internal PgDisciplineSession()
    {
    }

    /// <summary>The position reads must have seen, as a string (the primary's timeline, when known, and the WAL position;
    /// signed when <see cref="SessionTokenOptions.SigningKeys"/> are configured), or null when the session has no writes
    /// to wait for. After a write, reading this property does not capture the commit position; use
    /// <see cref="GetTokenAsync"/> for that. Setting it merges (the later position wins). A token that is refused
    /// (unsigned while keys are configured, a bad signature, malformed, too long) is ignored. The timeline a token claims
    /// is believed only once a server shows it: a token alone never makes this instance refuse a primary.</summary>
    public string? Token
    {
        get
        {
            lock (_gate)
            {
                return _required == default ? null : Codec?.Write(_timeline, _required) ?? (_timeline > 0 ? $"pgd2.{_timeline}.{_required}" : $"pgd1.{_required}");
            }
        }

        set
        {
            if (value is null || Codec is not { } codec || !codec.TryRead(value, out var timeline, out var position))
            {
                return;
            }

            if (timeline > 0)
            {
                Timeline?.SawTimeline(timeline, "a session token");
                lock (_gate)
                {
                    _timeline = Math.Max(_timeline, timeline);
                }
            }

            Require(position);
        }
    }

    /// <summary>Reads and writes tokens (the runtime's; a session made without a runtime reads none).</summary>
    internal SessionTokenCodec? Codec { get; set; }

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
        lsn = Lsns.RecordEnd(lsn);
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
        lsn = Lsns.RecordEnd(lsn);
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
