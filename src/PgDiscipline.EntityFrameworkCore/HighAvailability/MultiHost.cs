using System.Globalization;
using Npgsql;

namespace PgDiscipline.HighAvailability;

/// <summary>The hosts of an Npgsql connection string (<c>Host=a:5432,b,c:5433;Port=5432</c>) as <c>host:port</c> keys,
/// and connection strings with some of them left out.</summary>
internal static class MultiHost
{
    /// <summary>Each host of <paramref name="connectionString"/> as (<c>host:port</c>, the host item as written with its port).</summary>
    public static IReadOnlyList<(string Key, string Item)> Hosts(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var result = new List<(string, string)>();
        foreach (var raw in (builder.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (host, port) = Split(raw, builder.Port);
            var item = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port.ToString(CultureInfo.InvariantCulture)}" : $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";
            result.Add((host + ":" + port.ToString(CultureInfo.InvariantCulture), item));
        }

        return result;
    }

    private static (string Host, int Port) Split(string item, int defaultPort)
    {
        if (item.StartsWith('['))
        {
            var close = item.IndexOf(']', StringComparison.Ordinal);
            var host = close > 0 ? item[1..close] : item;
            return close > 0 && close + 1 < item.Length && item[close + 1] == ':' && int.TryParse(item.AsSpan(close + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                ? (host, p)
                : (host, defaultPort);
        }

        var colon = item.LastIndexOf(':');
        return colon > 0 && item.IndexOf(':', StringComparison.Ordinal) == colon
            && int.TryParse(item.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? (item[..colon], port)
            : (item, defaultPort);
    }

    /// <summary><paramref name="connectionString"/> without the hosts in <paramref name="excluded"/> (<c>host:port</c>
    /// keys); the same instance when none of them is in it; null when no host would be left.</summary>
    public static string? Without(string connectionString, IEnumerable<string> excluded)
    {
        var hosts = Hosts(connectionString);
        var set = new HashSet<string>(excluded, StringComparer.OrdinalIgnoreCase);
        var kept = hosts.Where(h => !set.Contains(h.Key)).ToList();
        if (kept.Count == hosts.Count)
        {
            return connectionString;
        }

        if (kept.Count == 0)
        {
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Host = string.Join(',', kept.Select(h => h.Item)) };
        if (kept.Count == 1)
        {
            // Npgsql takes Target Session Attributes only with several hosts; a standby left alone refuses writes itself.
            builder.Remove("Target Session Attributes");
            builder.Remove("Load Balance Hosts");
        }

        return builder.ConnectionString;
    }

    /// <summary>A connection string for one host of <paramref name="connectionString"/>: unpooled, any session type, short
    /// connect timeout (for looking at a server, not for the application's work).</summary>
    public static string Only(string connectionString, string key)
    {
        var host = Hosts(connectionString).FirstOrDefault(h => string.Equals(h.Key, key, StringComparison.OrdinalIgnoreCase));
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Host = host.Item ?? key,
            Pooling = false,
            Timeout = 3,
            TargetSessionAttributes = "any",
        };
        return builder.ConnectionString;
    }
}
