namespace PgDiscipline;

/// <summary>Base class of the exceptions the runtime throws for a command it refuses to run (blocked, rate-limited, no
/// replica for a replica-only read, an unsafe migration statement): each names the command's fingerprint and the rule.</summary>
public abstract class CommandRefusedException : PgDisciplineException
{
    /// <summary>Creates the exception.</summary>
    protected CommandRefusedException(string message, string fingerprint, string ruleId, Exception? innerException = null)
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
