using System.Data.Common;

namespace PgDiscipline.Pipeline;

/// <summary>Steps a reader of a shaped command over the results of the statements PgDiscipline added in front of the
/// application's (<see cref="CommandShape"/>): the only code that knows they are there.</summary>
internal static class ShapedResults
{
    /// <summary>Moves <paramref name="reader"/> to the application's first result; returns the probe's answer (the
    /// replica's replay position as text, or null) when the shape has a probe. An error of the application's statement
    /// surfaces here.</summary>
    public static async ValueTask<string?> PositionAsync(DbDataReader reader, CommandShape shape, bool sync, CancellationToken cancellationToken)
    {
        if (shape.Prefix is not null)
        {
            _ = sync ? reader.NextResult() : await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!shape.Probe)
        {
            return null;
        }

        var answered = sync ? reader.Read() : await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var answer = answered && !reader.IsDBNull(0) ? reader.GetString(0) : null;
        _ = sync ? reader.NextResult() : await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        return answer;
    }

    /// <summary>Positions a reader and hands it over, or disposes it when positioning fails.</summary>
    public static async ValueTask<(DbDataReader Reader, string? ProbeAnswer)> PositionOrDisposeAsync(DbDataReader reader, CommandShape shape, bool sync, CancellationToken cancellationToken)
    {
        if (shape.LeadingResults == 0)
        {
            return (reader, null);
        }

        try
        {
            return (reader, await PositionAsync(reader, shape, sync, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
