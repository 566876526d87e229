namespace PgDiscipline.Pipeline;

/// <summary>Where a block of code's reads should go (see <see cref="PgDisciplineRouting"/>).</summary>
internal enum ReadIntent : byte
{
    None,
    Replica,
    Primary,
}
