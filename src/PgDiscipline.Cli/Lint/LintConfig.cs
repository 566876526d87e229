using System.Text.Json;
using System.Text.Json.Serialization;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Lint;

/// <summary>
/// <c>pgdiscipline.lint.json</c>: the lint's settings for a repository, found in the current directory or the nearest
/// parent that has one (so a pre-commit hook or CI step run anywhere in the repository gets the same settings).
/// Command-line options override it. Example:
/// <code>
/// { "pgVersion": 14, "assumeInTransaction": true, "exclude": ["PGD315"], "severities": { "PGD309": "error" }, "failOn": "warning" }
/// </code>
/// </summary>
internal sealed class LintConfig
{
    public const string FileName = "pgdiscipline.lint.json";

    /// <summary>The migration rule ids, for messages.</summary>
    public static string RuleRange => $"{RuleCatalog.All.First(r => RuleCatalog.IsMigrationRule(r.Id)).Id}–{RuleCatalog.All.Last(r => RuleCatalog.IsMigrationRule(r.Id)).Id}";

    /// <summary>PostgreSQL major version the migrations run on.</summary>
    public int? PgVersion { get; set; }

    /// <summary>Each file runs inside one transaction (the migration runner wraps it).</summary>
    public bool? AssumeInTransaction { get; set; }

    /// <summary>Only these rules.</summary>
    public List<string>? Include { get; set; }

    /// <summary>Never these rules.</summary>
    public List<string>? Exclude { get; set; }

    /// <summary>Rules off by default turned on.</summary>
    public List<string>? Enable { get; set; }

    /// <summary>Severity per rule: error, warning, info, or off.</summary>
    public Dictionary<string, string>? Severities { get; set; }

    /// <summary>error (default), warning, info, or none: which findings make the exit code 1.</summary>
    public string? FailOn { get; set; }

    /// <summary>PGD311: report CREATE TABLE.</summary>
    public bool? ClosedToNewTables { get; set; }

    /// <summary>PGD315: require a lock_timeout (default true).</summary>
    public bool? RequireLockTimeout { get; set; }

    /// <summary>Where it was read from (not part of the file).</summary>
    [JsonIgnore]
    public string? Path { get; set; }

    /// <summary>The nearest <see cref="FileName"/> from <paramref name="directory"/> up, or null.</summary>
    public static string? Find(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Reads and checks <paramref name="path"/>; throws <see cref="InvalidDataException"/> naming the file and the key.</summary>
    public static LintConfig Load(string path)
    {
        LintConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(File.ReadAllText(path), LintConfigJson.Default.LintConfig);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }

        config ??= new LintConfig();
        config.Path = path;
        var problems = new List<string>();
        if (config.PgVersion is { } v && (v < 9 || v > 30))
        {
            problems.Add($"pgVersion {v} is not a PostgreSQL major version (9 to 30)");
        }

        foreach (var id in (config.Include ?? []).Concat(config.Exclude ?? []).Concat(config.Enable ?? []).Concat(config.Severities?.Keys ?? Enumerable.Empty<string>()))
        {
            if (!RuleCatalog.IsMigrationRule(id))
            {
                problems.Add($"'{id}' is not a migration rule ({RuleRange})");
            }
        }

        foreach (var (id, severity) in config.Severities ?? [])
        {
            if (severity is not ("error" or "warning" or "info" or "off"))
            {
                problems.Add($"severities.{id}: '{severity}' is not error, warning, info or off");
            }
        }

        if (config.FailOn is not (null or "error" or "warning" or "info" or "none"))
        {
            problems.Add($"failOn: '{config.FailOn}' is not error, warning, info or none");
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{path}: {string.Join("; ", problems)}");
        }

        return config;
    }

    /// <summary>Applies the file's settings to <paramref name="options"/>.</summary>
    public void ApplyTo(MigrationLintOptions options)
    {
        if (PgVersion is { } v)
        {
            options.PostgresVersion = v;
        }

        if (AssumeInTransaction is { } tx)
        {
            options.AssumeInTransaction = tx;
        }

        if (ClosedToNewTables is { } closed)
        {
            options.ClosedToNewTables = closed;
        }

        if (RequireLockTimeout is { } timeout)
        {
            options.RequireLockTimeout = timeout;
        }

        if (Include is { Count: > 0 } include)
        {
            options.IncludedRules = include;
        }

        foreach (var id in Exclude ?? [])
        {
            options.ExcludedRules.Add(id);
        }

        foreach (var id in Enable ?? [])
        {
            options.EnabledRules.Add(id);
        }

        foreach (var (id, severity) in Severities ?? [])
        {
            if (severity == "off")
            {
                options.ExcludedRules.Add(id);
            }
            else
            {
                options.Severities[id] = severity switch
                {
                    "error" => RuleSeverity.Error,
                    "info" => RuleSeverity.Info,
                    _ => RuleSeverity.Warning,
                };
            }
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(LintConfig))]
internal sealed partial class LintConfigJson : JsonSerializerContext;
