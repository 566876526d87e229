using Npgsql;

namespace PgDiscipline.Operations.Rules;

/// <summary>What to grant when the rule table is refused for want of a privilege (docs/security.md lists every grant).</summary>
internal static class RuleTableGrants
{
    /// <summary>"; fix: GRANT …" for a privilege error (SQLSTATE 42501), else "".</summary>
    public static string Hint(Exception exception, bool creating, NpgsqlConnection? connection, bool writing = false)
    {
        if (exception is not PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege })
        {
            return "";
        }

        var role = Identifier(connection?.UserName) ?? "<role>";
        var database = Identifier(connection?.Database) ?? "<database>";
        return creating
            ? $"; fix: create the table once as its owner (`pgdiscipline rules list` run by a role with CREATE ON DATABASE {database}), then grant the application USAGE ON SCHEMA pgdiscipline and SELECT ON pgdiscipline.query_rules (and set DatabaseRules:CreateTable=false), or GRANT CREATE ON DATABASE {database} TO {role}"
            : writing
                ? $"; fix: GRANT USAGE ON SCHEMA pgdiscipline TO {role}; GRANT SELECT, INSERT, UPDATE, DELETE ON pgdiscipline.query_rules TO {role}"
                : $"; fix: GRANT USAGE ON SCHEMA pgdiscipline TO {role}; GRANT SELECT ON pgdiscipline.query_rules TO {role}";
    }

    /// <summary>A role or database name as SQL would need it (quoted when it is not a plain lower-case identifier).</summary>
    private static string? Identifier(string? name)
        => string.IsNullOrEmpty(name) ? null
            : name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') && !char.IsAsciiDigit(name[0]) ? name
            : "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
