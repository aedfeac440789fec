using System.Net;
using System.Net.Sockets;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// Forwards a loopback port to a server; <see cref="Cut"/> closes every forwarded connection at once, as a network
/// cut seen by both ends would, without touching the server or other clients.
/// </summary>
public sealed class TcpCutProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _sockets = new();
    private readonly CancellationTokenSource _stop = new();

    public TcpCutProxy(string host, int port)
    {
        _listener.Start();
        _ = AcceptAsync(host, port);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync(string host, int port)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            var server = new TcpClient();
            await server.ConnectAsync(host, port);
            lock (_sockets) _sockets.AddRange([client, server]);
            _ = PumpAsync(client.GetStream(), server.GetStream());
            _ = PumpAsync(server.GetStream(), client.GetStream());
        }
    }

    private async Task PumpAsync(Stream from, Stream to)
    {
        try { await from.CopyToAsync(to, _stop.Token); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException) { }
    }

    /// <summary>Closes every connection made through the proxy so far; new ones are still forwarded.</summary>
    public void Cut()
    {
        lock (_sockets)
        {
            foreach (var socket in _sockets) socket.Client.Close(0);
            _sockets.Clear();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
    }
}
