namespace PgDiscipline.Operations;

/// <summary>Calls from one call site.</summary>
public sealed class CallSiteCount
{
    /// <summary><c>path:line</c>, relative to the source root.</summary>
    public string Site { get; set; } = "";

    /// <summary>Calls.</summary>
    public long Calls { get; set; }
}
