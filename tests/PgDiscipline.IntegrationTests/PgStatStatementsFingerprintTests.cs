using Npgsql;
using PgDiscipline.Sql;

namespace PgDiscipline.IntegrationTests;

/// <summary>The text pg_stat_statements shows for a query fingerprints to the same value as the text the client sent,
/// whether the client used literals or parameters — so an operator can copy a query from pg_stat_statements and block
/// the application query that produced it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PgStatStatementsFingerprintTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Pg_stat_statements_text_has_the_client_texts_fingerprint()
    {
        await using var conn = new NpgsqlConnection(cluster.Primary);
        await conn.OpenAsync();
        await using (var setup = new NpgsqlCommand(
            "create table if not exists fp_probe (id int, email text); select pg_stat_statements_reset();", conn))
        {
            await setup.ExecuteNonQueryAsync();
        }

        // What EF Core would send (named parameters), as Npgsql sends it ($n), and with literals inlined.
        const string efText = "SELECT p.id FROM fp_probe AS p WHERE p.email = @email AND p.id IN (@p1, @p2, @p3) ORDER BY p.id LIMIT @__p_0";
        await using (var parameterized = new NpgsqlCommand(
            "SELECT p.id FROM fp_probe AS p WHERE p.email = $1 AND p.id IN ($2, $3, $4) ORDER BY p.id LIMIT $5", conn))
        {
            parameterized.Parameters.Add(new NpgsqlParameter { Value = "alice@example.com" });
            parameterized.Parameters.Add(new NpgsqlParameter { Value = 1 });
            parameterized.Parameters.Add(new NpgsqlParameter { Value = 2 });
            parameterized.Parameters.Add(new NpgsqlParameter { Value = 3 });
            parameterized.Parameters.Add(new NpgsqlParameter { Value = 10L });
            await parameterized.ExecuteNonQueryAsync();
        }

        await using (var literal = new NpgsqlCommand(
            "select p.id from fp_probe as p where p.email = 'bob@example.com' and p.id in (7, 8) order by p.id limit 3", conn))
        {
            await literal.ExecuteNonQueryAsync();
        }

        var texts = new List<string>();
        await using (var read = new NpgsqlCommand(
            "select query from pg_stat_statements where query ilike '%from fp_probe as p%' and query not ilike '%pg_stat_statements%'", conn))
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                texts.Add(reader.GetString(0));
            }
        }

        Assert.Equal(2, texts.Count);
        var expected = SqlFingerprint.Compute(efText);
        Assert.All(texts, t =>
        {
            Assert.DoesNotContain("example.com", t, StringComparison.Ordinal); // the server normalized the literals
            Assert.Equal(expected.Normalized, SqlFingerprint.Compute(t).Normalized);
            Assert.Equal(expected.ToString(), SqlFingerprint.Compute(t).ToString());
        });
    }
}
