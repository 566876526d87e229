using System.Data.Common;
using System.Globalization;

namespace PgDiscipline.Routing;

/// <summary>The values of <see cref="BufferedReplicaReader"/>: from the buffer, converted as Npgsql converts them for the
/// types EF Core asks for, or from the server past the buffer.</summary>
internal sealed partial class BufferedReplicaReader
{
    public override T GetFieldValue<T>(int ordinal)
    {
        if (_live)
        {
            return _inner.GetFieldValue<T>(ordinal);
        }

        var value = Current[ordinal];
        if (value is T exact)
        {
            return exact;
        }

        if (value is DBNull)
        {
            return default(T) is null ? default! : throw new InvalidCastException($"Column '{_names[ordinal]}' is null.");
        }

        // What Npgsql itself converts for these column types (EF Core asks for the property's type).
        object converted = (typeof(T), value) switch
        {
            (var t, DateTime d) when t == typeof(DateTimeOffset) => new DateTimeOffset(d.Kind == DateTimeKind.Utc ? d : DateTime.SpecifyKind(d, DateTimeKind.Utc)),
            (var t, DateTime d) when t == typeof(DateOnly) => DateOnly.FromDateTime(d),
            (var t, TimeSpan s) when t == typeof(TimeOnly) => TimeOnly.FromTimeSpan(s),
            (var t, string s) when t == typeof(char) && s.Length > 0 => s[0],
            _ => Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), CultureInfo.InvariantCulture),
        };
        return (T)converted;
    }

    public override object GetValue(int ordinal) => _live ? _inner.GetValue(ordinal) : Current[ordinal];

    public override int GetValues(object[] values)
    {
        if (_live)
        {
            return _inner.GetValues(values);
        }

        var n = Math.Min(values.Length, _names.Length);
        Array.Copy(Current, values, n);
        return n;
    }

    public override bool IsDBNull(int ordinal) => _live ? _inner.IsDBNull(ordinal) : Current[ordinal] is DBNull;

    public override bool GetBoolean(int ordinal) => GetFieldValue<bool>(ordinal);

    public override byte GetByte(int ordinal) => GetFieldValue<byte>(ordinal);

    public override char GetChar(int ordinal) => GetFieldValue<char>(ordinal);

    public override DateTime GetDateTime(int ordinal) => GetFieldValue<DateTime>(ordinal);

    public override decimal GetDecimal(int ordinal) => GetFieldValue<decimal>(ordinal);

    public override double GetDouble(int ordinal) => GetFieldValue<double>(ordinal);

    public override float GetFloat(int ordinal) => GetFieldValue<float>(ordinal);

    public override Guid GetGuid(int ordinal) => GetFieldValue<Guid>(ordinal);

    public override short GetInt16(int ordinal) => GetFieldValue<short>(ordinal);

    public override int GetInt32(int ordinal) => GetFieldValue<int>(ordinal);

    public override long GetInt64(int ordinal) => GetFieldValue<long>(ordinal);

    public override string GetString(int ordinal) => GetFieldValue<string>(ordinal);

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length)
    {
        if (_live)
        {
            return _inner.GetBytes(ordinal, dataOffset, buffer, bufferOffset, length);
        }

        var bytes = GetFieldValue<byte[]>(ordinal);
        if (buffer is null)
        {
            return bytes.Length;
        }

        var n = (int)Math.Max(0, Math.Min(length, bytes.Length - dataOffset));
        Array.Copy(bytes, dataOffset, buffer, bufferOffset, n);
        return n;
    }

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length)
    {
        if (_live)
        {
            return _inner.GetChars(ordinal, dataOffset, buffer, bufferOffset, length);
        }

        var text = GetFieldValue<string>(ordinal);
        if (buffer is null)
        {
            return text.Length;
        }

        var n = (int)Math.Max(0, Math.Min(length, text.Length - dataOffset));
        text.CopyTo((int)dataOffset, buffer, bufferOffset, n);
        return n;
    }

    public override string GetName(int ordinal) => _names[ordinal];

    public override int GetOrdinal(string name)
    {
        var i = Array.IndexOf(_names, name);
        if (i < 0)
        {
            i = Array.FindIndex(_names, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        }

        return i >= 0 ? i : throw new IndexOutOfRangeException($"No column named '{name}'.");
    }

    public override string GetDataTypeName(int ordinal) => _typeNames[ordinal];

    public override Type GetFieldType(int ordinal) => _types[ordinal];

    public override int FieldCount => _names.Length;

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override int RecordsAffected => _inner.RecordsAffected;

    public override bool HasRows => _rows.Count > 0 || (_live && _inner.HasRows);

    public override bool IsClosed => _closed;

    public override int Depth => 0;
}
