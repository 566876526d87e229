using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using NpgsqlTypes;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Coalescing;

/// <summary>
/// Single flight for identical reads: while one execution of a read (same command text, same parameter values, same kind
/// of target) is in flight, identical reads in this process wait for it and get its rows instead of running their own.
/// The first caller leads: it runs the read and buffers the result (<see cref="BufferedResult"/>), and every follower
/// gets its own reader over the rows. A follower joins only a leader whose session position is at least its own, so
/// <see cref="ReadConsistency.Session"/> stays exact. A leader that fails, is cancelled, or passes the buffer bound hands
/// its followers nothing: each then runs its own read (once).
/// </summary>
internal sealed class ReadCoalescer
{
    private readonly ConcurrentDictionary<string, Flight> _flights = new(StringComparer.Ordinal);

    /// <summary>Flights in progress (for tests and diagnostics).</summary>
    public int InFlight => _flights.Count;

    /// <summary>Callers waiting on a flight now (for diagnostics and tests).</summary>
    public int Followers => _flights.Values.Sum(f => f.Followers);

    /// <summary>The key of a read, or null when it cannot be coalesced (a parameter value whose equality PgDiscipline
    /// cannot judge from its text: then two reads might wrongly share rows).</summary>
    public static string? KeyOf(string target, string commandText, DbParameterCollection parameters)
    {
        var sb = new StringBuilder(target.Length + commandText.Length + 16 + (parameters.Count * 24));
        sb.Append(target).Append('\u0001').Append(commandText);
        foreach (DbParameter p in parameters)
        {
            sb.Append('\u0001').Append(p.ParameterName).Append('\u0002');
            if (p is Npgsql.NpgsqlParameter np)
            {
                sb.Append((int)np.NpgsqlDbType).Append('\u0002').Append(np.DataTypeName);
            }
            else
            {
                sb.Append((int)p.DbType);
            }

            sb.Append('\u0002');
            if (!AppendValue(sb, p.Value))
            {
                return null;
            }
        }

        return sb.ToString();
    }

    /// <summary>Joins the flight of <paramref name="key"/> as a follower when there is one this caller may join, or
    /// starts one as its leader. Null: a flight is in progress that this caller may not join (its session needs a newer
    /// position than the leader started with); run alone.</summary>
    public (Flight Flight, bool Leader)? Enter(string key, NpgsqlLogSequenceNumber required)
    {
        var mine = new Flight(key, required);
        var existing = _flights.GetOrAdd(key, mine);
        if (ReferenceEquals(existing, mine))
        {
            return (mine, true);
        }

        return existing.Required >= required && existing.TryFollow() ? (existing, false) : null;
    }

    /// <summary>The leader is done: the flight leaves the table (later identical reads start a new one) and its
    /// followers get <paramref name="result"/>, or null: run your own.</summary>
    public void Complete(Flight flight, BufferedResult? result)
    {
        _flights.TryRemove(new KeyValuePair<string, Flight>(flight.Key, flight));
        flight.Finish(result);
    }

    /// <summary>One execution in flight and the callers waiting for it.</summary>
    internal sealed class Flight(string key, NpgsqlLogSequenceNumber required)
    {
        private readonly TaskCompletionSource<BufferedResult?> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _followers;
        private int _closed;

        public string Key { get; } = key;

        /// <summary>The leader's session position: the rows reflect at least this.</summary>
        public NpgsqlLogSequenceNumber Required { get; } = required;

        public int Followers => Volatile.Read(ref _followers);

        public Task<BufferedResult?> Result => _result.Task;

        public bool TryFollow()
        {
            if (Volatile.Read(ref _closed) != 0)
            {
                return false;
            }

            Interlocked.Increment(ref _followers);
            return true;
        }

        public void Finish(BufferedResult? result)
        {
            Volatile.Write(ref _closed, 1);
            _result.TrySetResult(result);
        }
    }

    private static bool AppendValue(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null or DBNull:
                sb.Append('\u0003');
                return true;
            case string s:
                sb.Append('s').Append(s.Length).Append(':').Append(s);
                return true;
            case byte[] b:
                sb.Append('b').Append(Convert.ToBase64String(b));
                return true;
            case bool or char or Guid or Enum:
                sb.Append(value.GetType().Name).Append(':').Append(value);
                return true;
            case DateTime dt:
                sb.Append("dt:").Append(dt.Ticks).Append(':').Append((int)dt.Kind);
                return true;
            case DateTimeOffset dto:
                sb.Append("dto:").Append(dto.UtcTicks).Append(':').Append(dto.Offset.Ticks);
                return true;
            case IFormattable f when value.GetType().IsPrimitive || value is decimal or TimeSpan or DateOnly or TimeOnly:
                sb.Append(value.GetType().Name).Append(':').Append(f.ToString(null, CultureInfo.InvariantCulture));
                return true;
            case System.Collections.IEnumerable items:
                sb.Append(value.GetType().Name).Append('[');
                foreach (var item in items)
                {
                    if (!AppendValue(sb, item))
                    {
                        return false;
                    }

                    sb.Append('\u0004');
                }

                sb.Append(']');
                return true;
            default:
                return false;
        }
    }
}
