using NpgsqlTypes;

namespace PgDiscipline.Routing;

/// <summary>Reading <c>pg_lsn</c> text (<c>X/Y</c>) into Npgsql's <see cref="NpgsqlLogSequenceNumber"/>.</summary>
internal static class Lsns
{
    /// <summary>False for null, empty or malformed text.</summary>
    public static bool TryParse(string? text, out NpgsqlLogSequenceNumber lsn)
    {
        lsn = default;
        return !string.IsNullOrEmpty(text) && NpgsqlLogSequenceNumber.TryParse(text, out lsn);
    }
}
