using System.Text;

namespace Relay.Binlog.Protocol;

/// <summary>
/// Protocol::AuthSwitchRequest (0xFE, plugin name, plugin data): the server wants the response from another
/// plugin, with a fresh scramble. A bare 0xFE is the pre-4.1 OldAuthSwitchRequest, which is refused.
/// </summary>
internal sealed class AuthSwitchRequest
{
    public const byte Header = 0xFE;

    private AuthSwitchRequest(string pluginName, byte[] pluginData)
    {
        PluginName = pluginName;
        PluginData = pluginData;
    }

    public string PluginName { get; }

    /// <summary>The new scramble, without the trailing NUL mysql_native_password and caching_sha2_password append.</summary>
    public byte[] PluginData { get; }

    public static AuthSwitchRequest Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new SpanReader(payload, SpanErrors.WireProtocol);
        if (reader.ReadByte() != Header) throw new WireProtocolException("Expected an AuthSwitchRequest packet.");
        if (reader.IsAtEnd)
            throw new WireProtocolException("The server asked for the pre-4.1 password hashing (old_passwords), which is insecure and not supported; set a current password hash for the user.");
        string plugin = reader.ReadNullTerminatedString();
        var data = reader.ReadToEnd();
        if (data.Length > 0 && data[^1] == 0) data = data[..^1];
        return new AuthSwitchRequest(plugin, data.ToArray());
    }

    public override string ToString() => $"AuthSwitchRequest({PluginName})";
}
