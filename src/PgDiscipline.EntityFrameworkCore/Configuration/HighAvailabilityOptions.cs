namespace PgDiscipline;

/// <summary>How PgDiscipline treats a primary that fails over (a primary given as several hosts, e.g.
/// <c>Host=db1,db2;Target Session Attributes=read-write</c>, or PgBouncer in front of a failing-over primary).</summary>
public sealed class HighAvailabilityOptions
{
    /// <summary>Refuse a primary connection whose server is on an older timeline than the newest this runtime (or a session
    /// token from another instance) has seen: an old primary that came back writable after its standby was promoted
    /// (split brain). The connection is closed, the next host of a multi-host connection string is tried, and when none is
    /// left a <see cref="StalePrimaryException"/> is thrown. The timeline is read with
    /// <c>pg_walfile_name(pg_current_wal_lsn())</c> (no privilege needed) once per physical connection. Default: true.</summary>
    public bool RefuseStalePrimary { get; set; } = true;

    /// <summary>With <see cref="PoolerMode.PgBouncerTransaction"/> the server behind a client connection can change without the
    /// connection changing (the pooler is re-pointed): a connection's timeline is checked again when its last check is
    /// older than this. Also how often a refused host is looked at again. Default: 1 s.</summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(1);
}
