using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace PgDiscipline.Rules;

/// <summary>Reads <c>PgDiscipline:Rules</c> by hand (not through the binder), so one malformed entry yields an error
/// naming its key instead of failing the whole section.</summary>
internal static class ConfigurationRuleReader
{
    public static List<(QueryRule Rule, string Key)> Read(IConfigurationSection rules, List<string> errors)
    {
        var result = new List<(QueryRule, string)>();
        foreach (var entry in rules.GetChildren())
        {
            var key = entry.Path;
            var rule = new QueryRule
            {
                Id = entry["Id"] ?? "",
                Fingerprint = entry["Fingerprint"],
                Tag = entry["Tag"],
                Table = entry["Table"],
                Reason = entry["Reason"] ?? "",
                RouteTo = entry["RouteTo"],
            };
            var ok = true;
            ok &= Parse(entry, "Action", key, errors, s => (Enum.TryParse<QueryRuleAction>(s, ignoreCase: true, out var a) && Enum.IsDefined(a), a), v => rule.Action = v, required: true);
            ok &= Parse(entry, "PermitsPerSecond", key, errors, s => (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d), d), v => rule.PermitsPerSecond = v);
            ok &= Parse(entry, "Burst", key, errors, s => (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i), i), v => rule.Burst = v);
            ok &= Parse(entry, "MaxConcurrency", key, errors, s => (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i), i), v => rule.MaxConcurrency = v);
            ok &= Parse(entry, "MaxQueueTime", key, errors, s => (TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t), t), v => rule.MaxQueueTime = v);
            ok &= Parse(entry, "Timeout", key, errors, s => (TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t), t), v => rule.Timeout = v);
            ok &= Parse(entry, "ExpiresAt", key, errors, s => (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d), d), v => rule.ExpiresAt = v);
            if (ok)
            {
                result.Add((rule, key));
            }
        }

        return result;
    }

    private static bool Parse<T>(IConfigurationSection entry, string name, string key, List<string> errors, Func<string, (bool Ok, T Value)> parse, Action<T> set, bool required = false)
    {
        var raw = entry[name];
        if (raw is null)
        {
            if (required)
            {
                errors.Add($"{key}:{name} is missing.");
                return false;
            }

            return true;
        }

        var (ok, value) = parse(raw);
        if (!ok)
        {
            errors.Add($"{key}:{name} has an invalid value.");
            return false;
        }

        set(value);
        return true;
    }
}
