namespace PgDiscipline.Operations;

/// <summary>How latencies are bucketed.</summary>
public sealed class HistogramLayout
{
    /// <summary>Unit of the bounds: <c>us</c>.</summary>
    public string Unit { get; set; } = "us";

    /// <summary>The bucketing scheme, in words.</summary>
    public string Scheme { get; set; } = "";

    /// <summary>Each bucket's exclusive upper bound.</summary>
    public List<long> UpperBounds { get; set; } = [];
}
