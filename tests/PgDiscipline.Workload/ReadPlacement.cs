using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.Workload;

/// <summary>Where the workload's reads ran, as the servers count them (pg_stat_statements): for paths that do not report
/// it themselves (plain EF Core, Npgsql's multi-host load balancing, PgBouncer, pgpool-II). The lost-write check
/// (<c>id = any(…)</c>) and the updates are left out.</summary>
internal static class ReadPlacement
{
    private const string Sql = """
        select coalesce(sum(calls), 0)::bigint from pg_stat_statements
        where query ilike '%from wl_items%' and query not ilike '%any(%' and query not ilike '%update wl_items%'
        """;

    /// <summary>The workload's reads a server has run so far (null when it cannot be asked: down, restarting).</summary>
    public static async Task<long?> CountAsync(string server)
    {
        try
        {
            return Convert.ToInt64(await LocalCluster.ScalarAsync(server, Sql), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Npgsql's own multi-host load balancing for reads: both replicas, then the primary, standbys preferred and
    /// balanced round-robin — what a .NET user gets without PgDiscipline (no lag or read-your-writes awareness).</summary>
    public static string MultiHostReads(LocalCluster cluster)
    {
        var hosts = cluster.Replicas.Append(cluster.Primary).Select(cs => new NpgsqlConnectionStringBuilder(cs) is var b ? $"{b.Host}:{b.Port}" : "");
        return new NpgsqlConnectionStringBuilder(cluster.Primary)
        {
            Host = string.Join(',', hosts),
            LoadBalanceHosts = true,
            TargetSessionAttributes = "prefer-standby",
        }.ConnectionString;
    }
}
