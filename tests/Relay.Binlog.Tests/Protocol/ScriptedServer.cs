using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Relay.Binlog.Tests.Protocol;

/// <summary>
/// A fake server on a loopback socket that plays a scripted exchange, for what no server here can show (MySQL 8's
/// caching_sha2_password, COM_BINLOG_DUMP_GTID). Its framing is written separately from the client's, so a framing
/// bug cannot cancel itself out. The script asserts what the client sends.
/// </summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _session;

    private ScriptedServer(TcpListener listener, Func<ScriptedSession, Task> script, int sessions)
    {
        _listener = listener;
        _session = Task.Run(async () =>
        {
            for (int i = 0; i < sessions; i++)
            {
                using var socket = await _listener.AcceptSocketAsync();
                await using var session = new ScriptedSession(new NetworkStream(socket, ownsSocket: false));
                await script(session);
            }
        });
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Plays <paramref name="script"/> for each of the next <paramref name="sessions"/> connections, one after the other.</summary>
    public static ScriptedServer Start(Func<ScriptedSession, Task> script, int sessions = 1)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new ScriptedServer(listener, script, sessions);
    }

    public string ConnectionString(string extra = "") =>
        $"Server=127.0.0.1;Port={Port};User ID=repl;Password={ScriptedSession.Password};ConnectionTimeout=10;{extra}";

    /// <summary>Waits for the script; its assertion failures surface here.</summary>
    public async Task CompletedAsync() => await _session.WaitAsync(TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try { await _session.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { /* reported by CompletedAsync */ }
    }
}

internal sealed class ScriptedSession(Stream stream) : IAsyncDisposable
{
    public const string Password = "s3cr\u00e9t-pw";

    private Stream _stream = stream;

    public byte Sequence { get; set; }

    public async Task SendAsync(byte[] payload)
    {
        var frame = new byte[payload.Length + 4];
        frame[0] = (byte)payload.Length;
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)(payload.Length >> 16);
        frame[3] = Sequence++;
        payload.CopyTo(frame, 4);
        await _stream.WriteAsync(frame);
        await _stream.FlushAsync();
    }

    public async Task<byte[]> ReceiveAsync()
    {
        var header = new byte[4];
        await _stream.ReadExactlyAsync(header);
        int length = header[0] | header[1] << 8 | header[2] << 16;
        Assert.Equal(Sequence, header[3]);
        Sequence++;
        var payload = new byte[length];
        await _stream.ReadExactlyAsync(payload);
        return payload;
    }

    /// <summary>Reads a command packet: a new sequence starts at 0.</summary>
    public Task<byte[]> ReceiveCommandAsync()
    {
        Sequence = 0;
        return ReceiveAsync();
    }

    public async Task UpgradeToTlsAsync(X509Certificate2 certificate)
    {
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsServerAsync(certificate);
        _stream = ssl;
    }

    public Task SendOkAsync() => SendAsync([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]);

    public Task SendErrorAsync(int code, string state, string message) =>
        SendAsync([0xFF, (byte)code, (byte)(code >> 8), (byte)'#', .. Encoding.ASCII.GetBytes(state), .. Encoding.UTF8.GetBytes(message)]);

    /// <summary>A one-column, one-row text result set (column definition 41, EOF, row, EOF).</summary>
    public async Task SendSingleValueAsync(string column, string value)
    {
        await SendAsync([0x01]);
        var definition = new List<byte>();
        foreach (var text in new[] { "def", "", "", "", column, "" })
        {
            definition.Add((byte)Encoding.UTF8.GetByteCount(text));
            definition.AddRange(Encoding.UTF8.GetBytes(text));
        }
        definition.AddRange([0x0C, 0x21, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFD, 0x00, 0x00, 0x1F, 0x00, 0x00]);
        await SendAsync(definition.ToArray());
        await SendAsync([0xFE, 0x00, 0x00, 0x02, 0x00]);
        await SendAsync([(byte)Encoding.UTF8.GetByteCount(value), .. Encoding.UTF8.GetBytes(value)]);
        await SendAsync([0xFE, 0x00, 0x00, 0x02, 0x00]);
    }

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync();
}
