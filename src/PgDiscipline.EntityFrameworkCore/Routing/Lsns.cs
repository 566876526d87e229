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

    /// <summary>
    /// The end of the WAL written before <paramref name="insert"/>, a <c>pg_current_wal_insert_lsn()</c>. When the last
    /// record ended on a page boundary, the insert position points past the next page's header (24 bytes), while a
    /// standby's <c>pg_last_wal_replay_lsn()</c> stops at the boundary: compared as it is, a replica that has replayed the
    /// write looks behind until the next record is written. No record ends 24 bytes into a page (that is all header), so
    /// the boundary is the same position. A segment's first page has a 40-byte header, and 40 bytes into another page a
    /// record can end: that rarer case is left as it is (a read may go to the primary; it never reads stale).
    /// </summary>
    public static NpgsqlLogSequenceNumber RecordEnd(NpgsqlLogSequenceNumber insert)
        => (ulong)insert % WalPageSize == ShortPageHeader ? new NpgsqlLogSequenceNumber((ulong)insert - ShortPageHeader) : insert;

    private const ulong WalPageSize = 8192;
    private const ulong ShortPageHeader = 24;
}
