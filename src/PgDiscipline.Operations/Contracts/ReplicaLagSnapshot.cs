namespace PgDiscipline.Operations;

/// <summary>Lag observations of one replica.</summary>
public sealed class ReplicaLagSnapshot
{
    /// <summary>Display name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Replica pool.</summary>
    public string Pool { get; set; } = "";

    /// <summary>In rotation when the snapshot was written.</summary>
    public bool InRotation { get; set; }

    /// <summary>Observations, oldest first.</summary>
    public List<LagPoint> Lag { get; set; } = [];
}
