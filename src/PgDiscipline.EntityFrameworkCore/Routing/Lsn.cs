using System.Globalization;

namespace PgDiscipline;

/// <summary>A PostgreSQL WAL position (<c>pg_lsn</c>), e.g. <c>0/3000060</c>.</summary>
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>
{
    /// <summary>Parses the <c>X/Y</c> text form.</summary>
    public static bool TryParse(string? text, out Lsn lsn)
    {
        lsn = default;
        if (text is null)
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1
            || !uint.TryParse(text.AsSpan(0, slash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hi)
            || !uint.TryParse(text.AsSpan(slash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var lo))
        {
            return false;
        }

        lsn = new Lsn(((ulong)hi << 32) | lo);
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);

    /// <summary>Ordering.</summary>
    public static bool operator >=(Lsn a, Lsn b) => a.Value >= b.Value;

    /// <summary>Ordering.</summary>
    public static bool operator <=(Lsn a, Lsn b) => a.Value <= b.Value;

    /// <summary>Ordering.</summary>
    public static bool operator >(Lsn a, Lsn b) => a.Value > b.Value;

    /// <summary>Ordering.</summary>
    public static bool operator <(Lsn a, Lsn b) => a.Value < b.Value;

    /// <summary>The <c>X/Y</c> text form PostgreSQL uses.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Value >> 32:X}/{Value & 0xFFFFFFFF:X}");
}
