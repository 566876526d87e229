using PgDiscipline.Operations;
using PgDiscipline.Sql;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>The names other faces (analyzers, CLI, rule table) rely on are the names the runtime uses.</summary>
public sealed class RuntimeContractTests
{
    [Fact]
    public void The_analyzers_find_the_runtime_types_by_these_names()
    {
        Assert.Equal(RuntimeContract.QueryableExtensionsType, typeof(PgDisciplineQueryableExtensions).FullName);
        Assert.Equal(RuntimeContract.RoutingScopeType, typeof(PgDisciplineRouting).FullName);
        Assert.Equal(RuntimeContract.TagPrefix, QueryTags.Prefix);
        Assert.StartsWith(RuntimeContract.TagPrefix, QueryTags.ReadReplica, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_rule_table_action_is_a_runtime_rule_action_and_back()
    {
        Assert.Equal(
            Enum.GetNames<QueryRuleAction>().Order(StringComparer.Ordinal),
            RuleTable.Actions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Backfills_publish_on_the_runtime_meter()
        => Assert.Equal(PgDisciplineTelemetry.Name, PgDiscipline.Operations.Backfill.BackfillTelemetry.MeterName);

    [Fact]
    public void The_statistics_schema_is_the_contract_schema()
        => Assert.Equal(StatisticsSnapshot.CurrentSchema, QueryStatistics.Schema);
}
