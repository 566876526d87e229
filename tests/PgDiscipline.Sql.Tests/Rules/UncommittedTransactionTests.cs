namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD321: <c>src/PgDiscipline.Sql/Migrations/Rules/UncommittedTransaction.cs</c>.</summary>
public sealed class UncommittedTransactionTests
{
    [Theory]
    [InlineData("BEGIN; ALTER TABLE t ADD COLUMN c text;")]
    [InlineData("START TRANSACTION; SELECT 1;")]
    public void Reported(string sql) => RuleCase.Reported("PGD321", sql);

    [Theory]
    [InlineData("BEGIN; SELECT 1; COMMIT;")]
    [InlineData("BEGIN; SELECT 1; ROLLBACK;")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD321", sql);
}
