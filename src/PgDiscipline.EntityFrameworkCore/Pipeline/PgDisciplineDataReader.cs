using System.Collections;
using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace PgDiscipline.Pipeline;

/// <summary>
/// The reader EF Core gets for every query PgDiscipline sees (EF Core wraps it in its <c>RelationalDataReader</c>, as it
/// wraps the provider's): the inner reader is positioned on the application's first result (see
/// <see cref="ShapedResults"/>), so nothing above it knows what PgDiscipline added to the command. It counts the rows the
/// application reads, records the first error, and completes its <see cref="CommandExecution"/> when EF Core closes it.
/// A replica read's first row may have been read already (to retry it elsewhere when the server fails before it); that
/// read is replayed to the first <c>Read</c>. One per execution and reused with it: EF Core disposes a reader once.
/// </summary>
internal sealed class PgDisciplineDataReader : DbDataReader
{
    private readonly CommandExecution _execution;
    private DbDataReader? _inner;
    private long _rows;
    private bool _firstReadPending;
    private bool _firstRead;
    private bool _closed;
    private bool _endReached;

    internal PgDisciplineDataReader(CommandExecution execution) => _execution = execution;

    /// <summary>Given to EF Core and not disposed yet.</summary>
    private int _inUse;

    /// <summary>Between <see cref="Open"/> and its release (the reader holds its execution until then).</summary>
    internal bool InUse => Volatile.Read(ref _inUse) != 0;

    private DbDataReader Inner => _inner ?? throw new ObjectDisposedException(nameof(PgDisciplineDataReader));

    /// <summary>Takes <paramref name="inner"/> (positioned on the application's first result) for this execution.</summary>
    internal PgDisciplineDataReader Open(DbDataReader inner, bool firstReadDone = false, bool firstRead = false)
    {
        _inner = inner;
        _rows = 0;
        _closed = false;
        _endReached = false;
        _firstReadPending = firstReadDone;
        _firstRead = firstRead;
        if (Interlocked.Exchange(ref _inUse, 1) == 0)
        {
            _execution.Hold();
        }

        return this;
    }

    public override bool Read()
    {
        if (_firstReadPending)
        {
            _firstReadPending = false;
            return Counted(_firstRead);
        }

        try
        {
            return Counted(Inner.Read());
        }
        catch (Exception ex) when (Saw(ex))
        {
            throw;
        }
    }

    public override async Task<bool> ReadAsync(CancellationToken cancellationToken)
    {
        if (_firstReadPending)
        {
            _firstReadPending = false;
            return Counted(_firstRead);
        }

        try
        {
            return Counted(await Inner.ReadAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (Saw(ex))
        {
            throw;
        }
    }

    public override bool NextResult()
    {
        _firstReadPending = false;
        try
        {
            return Inner.NextResult();
        }
        catch (Exception ex) when (Saw(ex))
        {
            throw;
        }
    }

    public override async Task<bool> NextResultAsync(CancellationToken cancellationToken)
    {
        _firstReadPending = false;
        try
        {
            return await Inner.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Saw(ex))
        {
            throw;
        }
    }

    public override void Close()
    {
        if (_closed || _inner is null)
        {
            return;
        }

        _closed = true;
        try
        {
            _inner.Close();
        }
        catch (Exception ex) when (ReadServed(ex))
        {
            // A replica read whose rows the application has all had: a server gone while the protocol finished (a
            // replica stopped) changes nothing it read, so closing does not fail the read.
        }
        catch (Exception ex) when (Saw(ex))
        {
            throw;
        }
        finally
        {
            _execution.Complete(_rows);
        }
    }

    public override async Task CloseAsync()
    {
        if (_closed || _inner is null)
        {
            return;
        }

        _closed = true;
        try
        {
            await _inner.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ReadServed(ex))
        {
            // See Close.
        }
        catch (Exception ex) when (Saw(ex))
        {
            throw;
        }
        finally
        {
            _execution.Complete(_rows);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing || !InUse)
        {
            return;
        }

        try
        {
            Close();
            _inner?.Dispose();
        }
        finally
        {
            Released();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (!InUse)
        {
            return;
        }

        try
        {
            await CloseAsync().ConfigureAwait(false);
            if (_inner is not null)
            {
                await _inner.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            Released();
        }
    }

    /// <summary>The execution failed after this reader was made but before EF Core got it: close what it holds.</summary>
    internal void Abandon()
    {
        if (InUse)
        {
            try
            {
                _inner?.Dispose();
            }
#pragma warning disable CA1031 // the command's own failure is what the caller sees
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            Released();
        }
    }

    private void Released()
    {
        _inner = null;
        if (Interlocked.Exchange(ref _inUse, 0) == 1)
        {
            _execution.Unhold();
        }
    }

    private bool Counted(bool read)
    {
        if (read)
        {
            _rows++;
        }
        else
        {
            _endReached = true;
        }

        return read;
    }

    private bool Saw(Exception ex)
    {
        _execution.SawError(ex);
        return false;
    }

    /// <summary>True when a failure while closing can be ignored: the reader read on a replica (nothing it did can be
    /// undone or left half done) and reached the end of its results (the application has every row).</summary>
    private bool ReadServed(Exception ex) => _execution.Target != 0 && _endReached && ex is System.Data.Common.DbException or IOException;

    public override int Depth => Inner.Depth;

    public override int FieldCount => Inner.FieldCount;

    public override int VisibleFieldCount => Inner.VisibleFieldCount;

    public override bool HasRows => Inner.HasRows;

    public override bool IsClosed => _inner is null || _closed || _inner.IsClosed;

    public override int RecordsAffected => Inner.RecordsAffected;

    public override object this[int ordinal] => Inner[ordinal];

    public override object this[string name] => Inner[name];

    public override bool GetBoolean(int ordinal) => Inner.GetBoolean(ordinal);

    public override byte GetByte(int ordinal) => Inner.GetByte(ordinal);

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => Inner.GetBytes(ordinal, dataOffset, buffer, bufferOffset, length);

    public override char GetChar(int ordinal) => Inner.GetChar(ordinal);

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => Inner.GetChars(ordinal, dataOffset, buffer, bufferOffset, length);

    public override string GetDataTypeName(int ordinal) => Inner.GetDataTypeName(ordinal);

    public override DateTime GetDateTime(int ordinal) => Inner.GetDateTime(ordinal);

    public override decimal GetDecimal(int ordinal) => Inner.GetDecimal(ordinal);

    public override double GetDouble(int ordinal) => Inner.GetDouble(ordinal);

    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type GetFieldType(int ordinal) => Inner.GetFieldType(ordinal);

    public override float GetFloat(int ordinal) => Inner.GetFloat(ordinal);

    public override Guid GetGuid(int ordinal) => Inner.GetGuid(ordinal);

    public override short GetInt16(int ordinal) => Inner.GetInt16(ordinal);

    public override int GetInt32(int ordinal) => Inner.GetInt32(ordinal);

    public override long GetInt64(int ordinal) => Inner.GetInt64(ordinal);

    public override string GetName(int ordinal) => Inner.GetName(ordinal);

    public override int GetOrdinal(string name) => Inner.GetOrdinal(name);

    public override string GetString(int ordinal) => Inner.GetString(ordinal);

    public override object GetValue(int ordinal) => Inner.GetValue(ordinal);

    public override int GetValues(object[] values) => Inner.GetValues(values);

    public override bool IsDBNull(int ordinal) => Inner.IsDBNull(ordinal);

    public override Task<bool> IsDBNullAsync(int ordinal, CancellationToken cancellationToken) => Inner.IsDBNullAsync(ordinal, cancellationToken);

    public override T GetFieldValue<T>(int ordinal) => Inner.GetFieldValue<T>(ordinal);

    public override Task<T> GetFieldValueAsync<T>(int ordinal, CancellationToken cancellationToken) => Inner.GetFieldValueAsync<T>(ordinal, cancellationToken);

    public override Stream GetStream(int ordinal) => Inner.GetStream(ordinal);

    public override TextReader GetTextReader(int ordinal) => Inner.GetTextReader(ordinal);

    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type GetProviderSpecificFieldType(int ordinal) => Inner.GetProviderSpecificFieldType(ordinal);

    public override object GetProviderSpecificValue(int ordinal) => Inner.GetProviderSpecificValue(ordinal);

    public override int GetProviderSpecificValues(object[] values) => Inner.GetProviderSpecificValues(values);

    public override DataTable? GetSchemaTable() => Inner.GetSchemaTable();

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);
}
