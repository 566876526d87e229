using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using NpgsqlTypes;
using PgDiscipline.Configuration;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.Routing;

/// <summary>
/// The text form of a session's position (<see cref="PgDisciplineSession.Token"/>), which clients carry between requests
/// and so can forge, garble or inflate. With signing keys: <c>pgd3.&lt;timeline&gt;.&lt;lsn&gt;.&lt;mac&gt;</c>, the mac
/// an HMAC-SHA256 (first 16 bytes, base64url) of what precedes it; any other token is refused. Without keys:
/// <c>pgd2.&lt;timeline&gt;.&lt;lsn&gt;</c> (and an earlier version's <c>pgd1.&lt;lsn&gt;</c>) are read. A refused token
/// is no token (metric, debug log): the request reads as a new session would.
/// </summary>
internal sealed class SessionTokenCodec(CurrentOptions options, ILogger logger)
{
    internal const string UnsignedV1 = "pgd1.";
    internal const string Unsigned = "pgd2.";
    internal const string Signed = "pgd3.";
    private const int MacBytes = 16;

    /// <summary>Longer than any token this writes (a 64-bit timeline and LSN, a mac): longer ones are not even parsed.</summary>
    internal const int MaxLength = 96;

    private (IList<string> Source, byte[][] Keys) _keys = ([], []);

    public string Write(long timeline, NpgsqlLogSequenceNumber position)
    {
        var keys = Keys();
        if (keys.Length == 0)
        {
            return timeline > 0 ? Unsigned + timeline.ToString(CultureInfo.InvariantCulture) + "." + position : UnsignedV1 + position;
        }

        var body = Signed + timeline.ToString(CultureInfo.InvariantCulture) + "." + position;
        return body + "." + Mac(keys[0], body);
    }

    /// <summary>Reads <paramref name="token"/>; false (and counted) when it is refused.</summary>
    public bool TryRead(string token, out long timeline, out NpgsqlLogSequenceNumber position)
    {
        timeline = 0;
        position = default;
        var keys = Keys();
        var reason = token.Length > MaxLength ? "too long"
            : keys.Length > 0 ? ReadSigned(token, keys, out timeline, out position)
            : ReadUnsigned(token, out timeline, out position);
        if (reason is null)
        {
            return true;
        }

        PgDisciplineTelemetry.SessionTokensRejected.Add(1, new KeyValuePair<string, object?>("pgdiscipline.reason", reason));
        Log.SessionTokenRejected(logger, reason);
        return false;
    }

    private static string? ReadSigned(string token, byte[][] keys, out long timeline, out NpgsqlLogSequenceNumber position)
    {
        timeline = 0;
        position = default;
        if (!token.StartsWith(Signed, StringComparison.Ordinal))
        {
            return "not signed";
        }

        var lastDot = token.LastIndexOf('.');
        var body = token[..lastDot];
        var mac = token[(lastDot + 1)..];
        if (!keys.Any(key => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(key, body)), Encoding.ASCII.GetBytes(mac))))
        {
            return "bad signature";
        }

        return ParseTimelineAndPosition(body[Signed.Length..], out timeline, out position, timelineMayBeZero: true) ? null : "malformed";
    }

    private static string? ReadUnsigned(string token, out long timeline, out NpgsqlLogSequenceNumber position)
    {
        timeline = 0;
        position = default;
        if (token.StartsWith(UnsignedV1, StringComparison.Ordinal))
        {
            return Lsns.TryParse(token[UnsignedV1.Length..], out position) ? null : "malformed";
        }

        return token.StartsWith(Unsigned, StringComparison.Ordinal) && ParseTimelineAndPosition(token[Unsigned.Length..], out timeline, out position)
            ? null
            : token.StartsWith(Signed, StringComparison.Ordinal) ? "signed, and no signing key is configured" : "malformed";
    }

    /// <summary><c>&lt;timeline&gt;.&lt;lsn&gt;</c>, the timeline positive (zero too in a signed token: not known yet).</summary>
    private static bool ParseTimelineAndPosition(string text, out long timeline, out NpgsqlLogSequenceNumber position, bool timelineMayBeZero = false)
    {
        position = default;
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        timeline = 0;
        return dot > 0
            && long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out timeline)
            && (timeline > 0 || timelineMayBeZero)
            && Lsns.TryParse(text[(dot + 1)..], out position);
    }

    private static string Mac(byte[] key, string body)
        => Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(body)).AsSpan(0, MacBytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private byte[][] Keys()
    {
        var source = options.Value.SessionTokens.SigningKeys;
        var cached = _keys;
        if (ReferenceEquals(cached.Source, source) && cached.Keys.Length == source.Count)
        {
            return cached.Keys;
        }

        var keys = source.Select(SessionTokenKeys.Decode).OfType<byte[]>().ToArray();
        _keys = (source, keys);
        return keys;
    }
}
