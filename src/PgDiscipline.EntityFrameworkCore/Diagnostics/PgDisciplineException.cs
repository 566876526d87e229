namespace PgDiscipline;

/// <summary>Base class of the exceptions PgDiscipline throws for a command it refuses to run.</summary>
public abstract class PgDisciplineException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected PgDisciplineException(string message, string fingerprint, string ruleId, Exception? innerException = null)
        : base(message, innerException)
    {
        Fingerprint = fingerprint;
        RuleId = ruleId;
    }

    /// <summary>The 16-hex-digit fingerprint of the refused command (see <c>PgDiscipline.Sql.SqlFingerprint</c>).</summary>
    public string Fingerprint { get; }

    /// <summary>The id of the rule that refused it.</summary>
    public string RuleId { get; }
}
