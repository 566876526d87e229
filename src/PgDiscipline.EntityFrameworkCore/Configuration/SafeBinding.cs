using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace PgDiscipline.Configuration;

/// <summary>Configuration binding whose errors name the key and the expected type but never the value (a value under the
/// wrong key can be a connection string with a password), and that reports every value that does not convert — inside
/// collections too: the binder silently drops a list item with a bad value (<c>Replicas:1:Weight=2x</c> used to start the
/// application with one replica less, no error, no log).</summary>
internal static partial class SafeBinding
{
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The options types are PgDiscipline's own and kept (the binder reflects over them too).")]
    public static void Bind(IConfiguration section, PgDisciplineOptions options)
    {
        var errors = new List<string>();
        Check(section, typeof(PgDisciplineOptions), errors);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        }

        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException(Redact(ex.Message, section));
        }
    }

    /// <summary>Every configuration value under <paramref name="section"/> that does not convert to the type of the property
    /// it binds to, by key (walking nested options and list items the way the binder does). <c>Rules</c> is read by hand
    /// elsewhere (<see cref="Rules.ConfigurationRuleReader"/>); keys that match no property are ignored, as the binder does.</summary>
    [RequiresUnreferencedCode("Reflects over the options types.")]
    internal static void Check(IConfiguration section, Type type, List<string> errors)
    {
        foreach (var child in section.GetChildren())
        {
            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.PropertyType == typeof(QueryRuleSet))
            {
                continue;
            }

            var target = property.PropertyType;
            if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(IList<>))
            {
                foreach (var item in child.GetChildren())
                {
                    Check(item, target.GetGenericArguments()[0], errors);
                }
            }
            else if (IsScalar(target))
            {
                if (child.Value is null)
                {
                    continue;
                }

                try
                {
                    _ = child.Get(target);
                }
                catch (InvalidOperationException ex)
                {
                    errors.Add(Redact(ex.Message, child));
                }
            }
            else if (target.IsClass)
            {
                Check(child, target, errors);
            }
        }
    }

    private static bool IsScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(TimeSpan) || t == typeof(decimal) || t == typeof(DateTimeOffset) || t == typeof(DateTime);
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
