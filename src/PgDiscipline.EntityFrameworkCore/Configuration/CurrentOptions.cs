namespace PgDiscipline.Configuration;

/// <summary>The options in force for one runtime: read on every use by the parts, replaced whole when configuration
/// reloads (the parts that keep state derived from them subscribe to <see cref="Changed"/>).</summary>
internal sealed class CurrentOptions(PgDisciplineOptions initial)
{
    private volatile PgDisciplineOptions _value = initial;

    public PgDisciplineOptions Value => _value;

    public event Action<PgDisciplineOptions>? Changed;

    public void Set(PgDisciplineOptions options)
    {
        _value = options;
        Changed?.Invoke(options);
    }
}
