using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace PgDiscipline.Configuration;

/// <summary>Configuration binding whose errors name the key and the expected type but never the value (a value under the
/// wrong key can be a connection string with a password).</summary>
internal static partial class SafeBinding
{
    public static void Bind(IConfiguration section, PgDisciplineOptions options)
    {
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException(Redact(ex.Message, section));
        }
    }

    /// <summary>"Failed to convert configuration value 'VALUE' at 'KEY' to type 'T'." without VALUE; other binder messages
    /// are replaced by one naming the section (the binder's inner exceptions can quote the value too, so none is kept).</summary>
    internal static string Redact(string message, IConfiguration section)
    {
        var match = ConversionError().Match(message);
        return match.Success
            ? $"Failed to convert the configuration value at '{match.Groups["key"].Value}' to type '{match.Groups["type"].Value}' (the value is not shown: it could be a secret)."
            : $"The configuration under '{(section as IConfigurationSection)?.Path ?? PgDisciplineOptions.SectionName}' could not be bound: check the keys and value types against docs/configuration.md.";
    }

    [GeneratedRegex(@"^Failed to convert configuration value '.*' at '(?<key>[^']*)' to type '(?<type>[^']*)'\.?$", RegexOptions.Singleline | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ConversionError();
}
