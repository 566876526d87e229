namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD320: <c>src/PgDiscipline.Sql/Migrations/Rules/TransactionNesting.cs</c>.</summary>
public sealed class TransactionNestingTests
{
    [Theory]
    [InlineData("BEGIN; BEGIN; COMMIT;")]
    [InlineData("COMMIT;")]
    [InlineData("SELECT 1; ROLLBACK;")]
    public void Reported(string sql) => RuleCase.Reported("PGD320", sql);

    [Theory]
    [InlineData("BEGIN; SELECT 1; COMMIT; BEGIN; SELECT 2; COMMIT;")]
    [InlineData("BEGIN; SAVEPOINT a; ROLLBACK TO a; COMMIT;")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD320", sql);
}

public sealed class TransactionNestingInTheRunnersTransactionTests
{
    [Fact]
    public void Begin_and_commit_inside_the_runners_transaction_are_both_reported()
        => Assert.Equal(["PGD320", "PGD320"], RuleCase.Findings("PGD320", "BEGIN; ALTER TABLE t ADD COLUMN c text; COMMIT;", inTransaction: true));
}
