using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgDiscipline.Migrations;

/// <summary>The migration EF Core is applying on this async flow, learned from EF Core's own
/// <c>MigrationApplying</c> diagnostic event (DiagnosticListener "Microsoft.EntityFrameworkCore").</summary>
internal sealed class MigrationTracker : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
{
    private static readonly AsyncLocal<AppliedMigration?> CurrentMigration = new();
    private static readonly MigrationTracker Instance = new();
    private static int _subscribed;

    public static AppliedMigration? Current => CurrentMigration.Value;

    public static void EnsureSubscribed()
    {
        if (Interlocked.Exchange(ref _subscribed, 1) == 0)
        {
            DiagnosticListener.AllListeners.Subscribe(Instance);
        }
    }

    public void OnNext(DiagnosticListener value)
    {
        if (value.Name == DbLoggerCategory.Name)
        {
            value.Subscribe(this, name => name == RelationalEventId.MigrationApplying.Name);
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Value is MigrationEventData data)
        {
            CurrentMigration.Value = new AppliedMigration(data.Migration);
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }
}
