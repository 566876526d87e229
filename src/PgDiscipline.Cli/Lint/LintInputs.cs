using System.Text;
using System.Text.RegularExpressions;

namespace PgDiscipline.Cli.Lint;

/// <summary>
/// What <c>pgdiscipline lint</c> is given, as the files to read in order: a file; <c>-</c> (standard input); a directory
/// (every <c>*.sql</c> under it, down migrations left out); or a glob (<c>db/migrations/*.up.sql</c>,
/// <c>migrations/**/up.sql</c>) for shells that do not expand it. Files from a directory or a glob are sorted by path,
/// ordinally: migration tools name files so that this is the order they run in.
/// </summary>
internal static class LintInputs
{
    /// <summary>Expands <paramref name="arguments"/>; an argument that names nothing is an error (returned, not thrown).</summary>
    public static (List<string> Files, string? Error) Expand(IEnumerable<string> arguments)
    {
        var files = new List<string>();
        foreach (var argument in arguments)
        {
            if (argument == "-" || File.Exists(argument))
            {
                files.Add(argument);
            }
            else if (Directory.Exists(argument))
            {
                var found = Directory.EnumerateFiles(argument, "*.sql", SearchOption.AllDirectories)
                    .Where(f => !IsDownMigration(f)).Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0)
                {
                    return (files, $"no .sql file under directory '{argument}'");
                }

                files.AddRange(found);
            }
            else if (argument.IndexOfAny(['*', '?', '[']) >= 0)
            {
                var found = Glob(argument);
                if (found.Count == 0)
                {
                    return (files, $"no file matches '{argument}'");
                }

                files.AddRange(found);
            }
            else
            {
                return (files, $"cannot read '{argument}': no such file or directory");
            }
        }

        return (files, null);
    }

    /// <summary><c>down.sql</c>, <c>*.down.sql</c>, <c>*_down.sql</c>, <c>*-down.sql</c>: they undo the others, so a
    /// directory is linted as the history of its up migrations.</summary>
    private static bool IsDownMigration(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return name.Equals("down", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".down", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith("_down", StringComparison.OrdinalIgnoreCase) || name.EndsWith("-down", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Files matching a pattern with <c>*</c> (within a name), <c>**</c> (any directories), <c>?</c> and
    /// <c>[abc]</c>, searched from the pattern's directory part before its first wildcard.</summary>
    private static List<string> Glob(string pattern)
    {
        var normalized = pattern.Replace('\\', '/');
        var firstWild = normalized.IndexOfAny(['*', '?', '[']);
        var slash = normalized.LastIndexOf('/', firstWild);
        var root = slash < 0 ? "." : slash == 0 ? "/" : normalized[..slash];
        if (!Directory.Exists(root))
        {
            return [];
        }

        var regex = new Regex("^" + ToRegex(slash < 0 ? normalized : normalized[(slash + 1)..]) + "$", RegexOptions.CultureInvariant);
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => regex.IsMatch(Path.GetRelativePath(root, f).Replace('\\', '/')))
            .Select(f => slash < 0 ? Path.GetRelativePath(".", f) : f)
            .Order(StringComparer.Ordinal).ToList();
    }

    private static string ToRegex(string glob)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                i++;
                if (i + 1 < glob.Length && glob[i + 1] == '/')
                {
                    i++;
                    sb.Append("(?:.*/)?"); // **/ : any directories, or none
                }
                else
                {
                    sb.Append(".*");
                }
            }
            else if (c == '*')
            {
                sb.Append("[^/]*");
            }
            else if (c == '?')
            {
                sb.Append("[^/]");
            }
            else if (c == '[' && glob.IndexOf(']', i + 1) is var close and > 0)
            {
                sb.Append('[').Append(glob[(i + 1)..close].Replace("\\", "\\\\", StringComparison.Ordinal)).Append(']');
                i = close;
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }

        return sb.ToString();
    }
}
