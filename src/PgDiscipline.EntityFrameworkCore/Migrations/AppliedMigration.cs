using System.Reflection;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using PgDiscipline.Sql;

namespace PgDiscipline.Migrations;

/// <summary>A migration being applied: its id, the rules it allows, and the lint state across its statements.</summary>
internal sealed class AppliedMigration
{
    public AppliedMigration(Migration migration)
    {
        var type = migration.GetType();
        Id = type.GetCustomAttribute<MigrationAttribute>()?.Id ?? type.Name;
        Allowed = type.GetCustomAttributes<AllowUnsafeMigrationAttribute>()
            .Where(a => !string.IsNullOrWhiteSpace(a.Reason))
            .Select(a => a.RuleId)
            .ToHashSet(StringComparer.Ordinal);

        // What each AlterColumn changes from, so the lint can tell a binary-coercible type change (varchar widening…) from
        // a rewrite in the SQL EF Core generates for it: the same decision the analyzer makes on the C#.
        foreach (var alter in migration.UpOperations.OfType<AlterColumnOperation>())
        {
            var old = alter.OldColumn;
            if ((old.ColumnType ?? PostgresFacts.ImpliedColumnType((Nullable.GetUnderlyingType(old.ClrType) ?? old.ClrType).FullName, old.MaxLength, old.Precision, old.Scale)) is { } oldType)
            {
                Lint.SetColumnType(alter.Table, alter.Name, oldType);
            }
        }
    }

    public string Id { get; }

    public HashSet<string> Allowed { get; }

    public MigrationLintState Lint { get; } = new() { AssumeLockTimeout = true };
}
