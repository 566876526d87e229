using System.Collections;
using System.Data.Common;
using System.Globalization;

namespace PgDiscipline.Pipeline;

/// <summary>
/// A reader over a <see cref="BufferedResult"/>, one per caller, that EF Core materialises like the provider's own
/// (typed getters, <see cref="GetFieldValue{T}"/>). Values are the ones <c>GetValue</c> gave; a getter asking for another
/// CLR type than the stored one gets the conversions Npgsql itself offers for the common cases (timestamptz as
/// <see cref="DateTimeOffset"/>, arrays as lists, numeric widening); anything else is an <see cref="InvalidCastException"/>
/// naming the column. With <paramref name="live"/> (a leader past the buffer bound), the buffered rows come first and
/// the rest streams from the live reader, which this reader then owns.
/// </summary>
internal sealed class BufferedDataReader(BufferedResult result, DbDataReader? live = null) : DbDataReader
{
    private int _row = -1;
    private bool _onLive;
    private bool _closed;

    private object[] Current => _row >= 0 && _row < result.Rows.Count && !_onLive
        ? result.Rows[_row]
        : throw new InvalidOperationException("No row is available: call Read first.");

    public override int FieldCount => result.Columns.Length;

    public override bool HasRows => result.Rows.Count > 0 || live is not null;

    public override bool IsClosed => _closed;

    public override int RecordsAffected => result.RecordsAffected;

    public override int Depth => 0;

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override bool Read()
    {
        if (_closed)
        {
            return false;
        }

        if (_onLive)
        {
            return live!.Read();
        }

        if (++_row < result.Rows.Count)
        {
            return true;
        }

        // The last buffered row is the live reader's current row: continue after it.
        if (live is not null)
        {
            _onLive = true;
            return live.Read();
        }

        return false;
    }

    public override async Task<bool> ReadAsync(CancellationToken cancellationToken)
    {
        if (_closed)
        {
            return false;
        }

        if (_onLive)
        {
            return await live!.ReadAsync(cancellationToken).ConfigureAwait(false);
        }

        if (++_row < result.Rows.Count)
        {
            return true;
        }

        if (live is not null)
        {
            _onLive = true;
            return await live.ReadAsync(cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>A buffered read (coalesced, or a small replica result) has one result set: EF Core reads one per query.</summary>
    public override bool NextResult()
    {
        _row = result.Rows.Count;
        return false;
    }

    public override Task<bool> NextResultAsync(CancellationToken cancellationToken) => Task.FromResult(NextResult());

    public override void Close()
    {
        _closed = true;
        live?.Dispose();
    }

    public override async Task CloseAsync()
    {
        _closed = true;
        if (live is not null)
        {
            await live.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override ValueTask DisposeAsync() => new(CloseAsync());

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Close();
        }
    }

    public override string GetName(int ordinal) => result.Columns[ordinal].Name;

    public override int GetOrdinal(string name)
    {
        var columns = result.Columns;
        for (var i = 0; i < columns.Length; i++)
        {
            if (string.Equals(columns[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        for (var i = 0; i < columns.Length; i++)
        {
            if (string.Equals(columns[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new IndexOutOfRangeException($"No column named '{name}'.");
    }

    public override string GetDataTypeName(int ordinal) => result.Columns[ordinal].DataTypeName;

    public override Type GetFieldType(int ordinal) => result.Columns[ordinal].FieldType;

    public override object GetValue(int ordinal) => _onLive ? live!.GetValue(ordinal) : Current[ordinal];

    public override int GetValues(object[] values)
    {
        if (_onLive)
        {
            return live!.GetValues(values);
        }

        var row = Current;
        var n = Math.Min(values.Length, row.Length);
        Array.Copy(row, values, n);
        return n;
    }

    public override bool IsDBNull(int ordinal) => _onLive ? live!.IsDBNull(ordinal) : Current[ordinal] is DBNull;

    public override Task<bool> IsDBNullAsync(int ordinal, CancellationToken cancellationToken)
        => _onLive ? live!.IsDBNullAsync(ordinal, cancellationToken) : Task.FromResult(IsDBNull(ordinal));

    public override T GetFieldValue<T>(int ordinal) => _onLive ? live!.GetFieldValue<T>(ordinal) : Convert<T>(ordinal, Current[ordinal]);

    public override Task<T> GetFieldValueAsync<T>(int ordinal, CancellationToken cancellationToken)
        => _onLive ? live!.GetFieldValueAsync<T>(ordinal, cancellationToken) : Task.FromResult(GetFieldValue<T>(ordinal));

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
        if (_onLive)
        {
            return live!.GetBytes(ordinal, dataOffset, buffer, bufferOffset, length);
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
        if (_onLive)
        {
            return live!.GetChars(ordinal, dataOffset, buffer, bufferOffset, length);
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

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);

    private T Convert<T>(int ordinal, object value)
    {
        if (value is T same)
        {
            return same;
        }

        if (value is DBNull)
        {
            return default(T) is null && typeof(T) != typeof(string) ? default! : throw new InvalidCastException($"Column '{GetName(ordinal)}' is null.");
        }

        object? converted = value switch
        {
            DateTime dt when typeof(T) == typeof(DateTimeOffset) => new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt.ToUniversalTime()),
            DateTime dt when typeof(T) == typeof(DateOnly) => DateOnly.FromDateTime(dt),
            TimeSpan ts when typeof(T) == typeof(TimeOnly) => TimeOnly.FromTimeSpan(ts),
            Array array when typeof(T).IsGenericType && typeof(T).GetGenericTypeDefinition() == typeof(List<>) => ToList(array, typeof(T)),
            IConvertible when typeof(T).IsPrimitive || typeof(T) == typeof(decimal) => System.Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture),
            _ => null,
        };

        return converted is T t
            ? t
            : throw new InvalidCastException($"Column '{GetName(ordinal)}' holds {value.GetType().Name}; a buffered read cannot give it as {typeof(T).Name}.");
    }

    private static object ToList(Array array, Type listType)
    {
        var list = (IList)Activator.CreateInstance(listType, array.Length)!;
        foreach (var item in array)
        {
            list.Add(item);
        }

        return list;
    }
}
