using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Relay.Binlog.Protocol;

/// <summary>
/// MySQL packet framing over a stream: a 3-byte payload length and a 1-byte sequence id before each payload.
/// A payload of 0xFFFFFF bytes or more travels as several packets, each full one followed by the next and the
/// last one shorter (empty if the payload is an exact multiple); reads join them and writes split them.
/// Reads go through one receive buffer, so a packet that fits in it is handed out as a slice without a copy;
/// a larger one is joined in a rented buffer. Either is valid only until the next read.
/// Not thread-safe: one reader, one writer at a time, in turn.
/// </summary>
internal sealed class PacketStream : IAsyncDisposable
{
    public const int MaxPayloadLength = 0xFFFFFF;
    private const int ReceiveBufferSize = 128 * 1024;

    private Stream _stream;
    private byte[] _receive;
    private int _start;
    private int _end;
    private byte[]? _joined;
    private byte _sequence;
    private CancellationTokenSource? _timer;
    private CancellationTokenRegistration _callerRegistration;
    private bool _broken;

    public PacketStream(Stream stream)
    {
        _stream = stream;
        _receive = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
    }

    /// <summary>How long one read or write may wait for the server before <see cref="TimeoutException"/>; infinite by default.</summary>
    public TimeSpan IoTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Appended to the <see cref="TimeoutException"/> message: what the silence means and what to do.</summary>
    public string? TimeoutHint { get; set; }

    /// <summary>The sequence id the next packet (read or written) carries.</summary>
    public byte SequenceId => _sequence;

    /// <summary>Bytes received but not yet handed out as packets.</summary>
    public int BufferedBytes => _end - _start;

    /// <summary>The stream packets travel over now (wrapped by TLS after SSLRequest).</summary>
    public Stream Stream => _stream;

    /// <summary>Every command starts a new sequence at 0.</summary>
    public void ResetSequence() => _sequence = 0;

    /// <summary>Continues over a TLS stream wrapping the current one (after SSLRequest).</summary>
    public void UpgradeStream(Stream secured)
    {
        if (BufferedBytes != 0)
            throw new WireProtocolException("The server sent data before the TLS handshake; refusing to mix plaintext into the TLS session.");
        _stream = secured;
    }

    public ValueTask<ReadOnlyMemory<byte>> ReadPacketAsync(CancellationToken cancellationToken)
    {
        if (_broken) throw new WireProtocolException("The connection broke on an earlier read or write; open a new one.");
        ReleaseJoined();
        int available = _end - _start;
        if (available >= 4)
        {
            int length = HeaderLength();
            if (length < MaxPayloadLength && available >= 4 + length)
            {
                try
                {
                    return new ValueTask<ReadOnlyMemory<byte>>(TakeBuffered(length));
                }
                catch
                {
                    _broken = true;
                    throw;
                }
            }
        }
        return ReadPacketSlowAsync(cancellationToken);
    }

    private async ValueTask<ReadOnlyMemory<byte>> ReadPacketSlowAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FillAsync(4, cancellationToken);
            int length = HeaderLength();
            if (length < MaxPayloadLength && 4 + length <= _receive.Length)
            {
                await FillAsync(4 + length, cancellationToken);
                return TakeBuffered(length);
            }

            // Too big for the receive buffer, or split into 16 MB packets: join the parts in one rented buffer.
            int total = 0;
            while (true)
            {
                CheckSequence(_receive[_start + 3], default);
                _start += 4;
                EnsureJoinedCapacity(total + length);
                int buffered = Math.Min(length, _end - _start);
                _receive.AsSpan(_start, buffered).CopyTo(_joined.AsSpan(total));
                _start += buffered;
                total += buffered;
                for (int rest = length - buffered; rest > 0;)
                {
                    int read = await ReadStreamAsync(_joined.AsMemory(total, rest), cancellationToken);
                    if (read == 0) throw Closed();
                    total += read;
                    rest -= read;
                }
                if (length < MaxPayloadLength) return _joined.AsMemory(0, total);
                await FillAsync(4, cancellationToken);
                length = HeaderLength();
            }
        }
        catch
        {
            _broken = true;
            throw;
        }
    }

    public async ValueTask WritePacketAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (_broken) throw new WireProtocolException("The connection broke on an earlier read or write; open a new one.");
        int packets = payload.Length / MaxPayloadLength + 1;
        int total = payload.Length + packets * 4;
        var frame = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            int written = 0;
            var source = payload.Span;
            for (int i = 0; i < packets; i++)
            {
                int length = Math.Min(MaxPayloadLength, source.Length);
                frame[written] = (byte)length;
                frame[written + 1] = (byte)(length >> 8);
                frame[written + 2] = (byte)(length >> 16);
                frame[written + 3] = _sequence++;
                source[..length].CopyTo(frame.AsSpan(written + 4));
                source = source[length..];
                written += 4 + length;
            }
            await WithTimeoutAsync(_stream.WriteAsync(frame.AsMemory(0, total), TimerToken(cancellationToken)), cancellationToken);
            await WithTimeoutAsync(_stream.FlushAsync(TimerToken(cancellationToken)), cancellationToken);
        }
        catch
        {
            _broken = true;
            throw;
        }
        finally
        {
            // The frame may have carried a scramble or a password.
            ArrayPool<byte>.Shared.Return(frame, clearArray: true);
            StopTimer();
        }
    }

    private int HeaderLength() => _receive[_start] | _receive[_start + 1] << 8 | _receive[_start + 2] << 16;

    private ReadOnlyMemory<byte> TakeBuffered(int length)
    {
        byte sequence = _receive[_start + 3];
        var payload = _receive.AsMemory(_start + 4, length);
        _start += 4 + length;
        CheckSequence(sequence, payload.Span);
        return payload;
    }

    private void CheckSequence(byte sequence, ReadOnlySpan<byte> payload)
    {
        // An ERR packet is worth reading even out of order: it says why the server gave up.
        if (sequence != _sequence && !(payload.Length > 0 && payload[0] == 0xFF))
            throw new WireProtocolException($"Packet out of order: expected sequence id {_sequence}, the server sent {sequence}.");
        _sequence = (byte)(sequence + 1);
    }

    private async ValueTask FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count) return;
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_receive.Length - _start < count)
        {
            Buffer.BlockCopy(_receive, _start, _receive, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        while (_end - _start < count)
        {
            int read = await ReadStreamAsync(_receive.AsMemory(_end), cancellationToken);
            if (read == 0) throw Closed();
            _end += read;
        }
    }

    private async ValueTask<int> ReadStreamAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (IoTimeout == Timeout.InfiniteTimeSpan) return await _stream.ReadAsync(buffer, cancellationToken);
        try
        {
            return await WithTimeoutAsync(_stream.ReadAsync(buffer, TimerToken(cancellationToken)), cancellationToken);
        }
        finally
        {
            StopTimer();
        }
    }

    private CancellationToken TimerToken(CancellationToken cancellationToken)
    {
        if (IoTimeout == Timeout.InfiniteTimeSpan) return cancellationToken;
        if (_timer is null || !_timer.TryReset())
        {
            _timer?.Dispose();
            _timer = new CancellationTokenSource();
        }
        // A write takes a token twice (write, flush): the first registration must not outlive the timer it cancels.
        _callerRegistration.Dispose();
        if (cancellationToken.CanBeCanceled)
        {
            // A write and its flush each take a timer token: the registration before must go, or it outlives the timer
            // it cancels, and cancelling the caller's token later throws ObjectDisposedException into the caller.
            _callerRegistration.Dispose();
            var timer = _timer;
            _callerRegistration = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timer);
        }
        _timer.CancelAfter(IoTimeout);
        return _timer.Token;
    }

    private void StopTimer()
    {
        _callerRegistration.Dispose();
        _callerRegistration = default;
        _timer?.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    private async ValueTask<T> WithTimeoutAsync<T>(ValueTask<T> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _timer is { IsCancellationRequested: true })
        {
            throw TimedOut();
        }
    }

    private async ValueTask WithTimeoutAsync(ValueTask operation, CancellationToken cancellationToken)
    {
        try
        {
            await operation;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _timer is { IsCancellationRequested: true })
        {
            throw TimedOut();
        }
    }

    private async ValueTask WithTimeoutAsync(Task operation, CancellationToken cancellationToken) =>
        await WithTimeoutAsync(new ValueTask(operation), cancellationToken);

    private TimeoutException TimedOut() => new(string.Create(CultureInfo.InvariantCulture,
        $"The server sent nothing for {IoTimeout.TotalSeconds:0.###} s.{(TimeoutHint is null ? "" : " " + TimeoutHint)}"));

    private static WireProtocolException Closed() =>
        new("The server closed the connection (it was stopped, restarted or killed this session); reconnect.");

    [MemberNotNull(nameof(_joined))]
    private void EnsureJoinedCapacity(int count)
    {
        if (_joined is not null && _joined.Length >= count) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(count, _joined is null ? 0 : _joined.Length * 2));
        if (_joined is not null)
        {
            _joined.AsSpan().CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_joined);
        }
        _joined = bigger;
    }

    // A joined packet is handed out until the next read; then its (possibly huge) buffer goes back to the pool.
    private void ReleaseJoined()
    {
        if (_joined is null) return;
        ArrayPool<byte>.Shared.Return(_joined);
        _joined = null;
    }

    public async ValueTask DisposeAsync()
    {
        _broken = true;
        try
        {
            await _stream.DisposeAsync();
        }
        catch (IOException)
        {
            // Closing a connection the server already dropped.
        }
        _callerRegistration.Dispose();
        _timer?.Dispose();
        ReleaseJoined();
        var receive = Interlocked.Exchange(ref _receive, Array.Empty<byte>());
        if (receive.Length > 0) ArrayPool<byte>.Shared.Return(receive);
    }
}
