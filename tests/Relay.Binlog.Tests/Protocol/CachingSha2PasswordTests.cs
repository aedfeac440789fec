using System.Buffers.Binary;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using Relay.Binlog.Protocol;

namespace Relay.Binlog.Tests.Protocol;

/// <summary>
/// MySQL 8's caching_sha2_password, which no server installable here speaks, played by a scripted server that
/// follows the MySQL documentation and checks every byte the client sends:
/// - handshake and response layouts: dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_v10.html,
///   ..._protocol_handshake_response.html, ..._protocol_ssl_request.html ("Connection Phase");
/// - the exchange (scramble formula, 0x01 0x03 / 0x01 0x04, 0x02 public key request, RSA OAEP of password XOR nonce):
///   dev.mysql.com/doc/dev/mysql-server/latest/page_caching_sha2_authentication_exchanges.html ("caching_sha2_password information");
/// - AuthMoreData (0x01) and AuthSwitchRequest (0xFE): ..._protocol_auth_more_data.html, ..._protocol_auth_switch_request.html.
/// </summary>
public class CachingSha2PasswordTests
{
    internal static readonly byte[] Nonce = Encoding.ASCII.GetBytes("0123456789ABCDEFGHIJ"); // 20 bytes, as the server sends

    private const uint ClientProtocol41 = 1 << 9, ClientSsl = 1 << 11, ClientSecureConnection = 1 << 15, ClientPluginAuth = 1 << 19,
        ClientPluginAuthLenenc = 1 << 21, ClientConnectWithDb = 1 << 3, ClientLongPassword = 1, ClientTransactions = 1 << 13;

    /// <summary>Protocol::HandshakeV10 field by field, as the documentation's table lists them.</summary>
    internal static byte[] Handshake(bool ssl, string plugin = "caching_sha2_password", string version = "8.0.36")
    {
        uint capabilities = ClientLongPassword | ClientProtocol41 | ClientTransactions | ClientSecureConnection | ClientPluginAuth |
            ClientPluginAuthLenenc | ClientConnectWithDb | (ssl ? ClientSsl : 0);
        var p = new List<byte> { 0x0A };                               // int<1> protocol version 10
        p.AddRange(Encoding.ASCII.GetBytes(version)); p.Add(0);        // string<NUL> server version
        p.AddRange([0x2A, 0x00, 0x00, 0x00]);                          // int<4> thread id 42
        p.AddRange(Nonce[..8]);                                        // string[8] auth-plugin-data-part-1
        p.Add(0);                                                      // filler
        p.AddRange([(byte)capabilities, (byte)(capabilities >> 8)]);   // capability_flags_1
        p.Add(255);                                                    // character_set utf8mb4_0900_ai_ci
        p.AddRange([0x02, 0x00]);                                      // status_flags SERVER_STATUS_AUTOCOMMIT
        p.AddRange([(byte)(capabilities >> 16), (byte)(capabilities >> 24)]); // capability_flags_2
        p.Add(21);                                                     // auth_plugin_data_len (20 + NUL)
        p.AddRange(new byte[10]);                                      // reserved
        p.AddRange(Nonce[8..]); p.Add(0);                              // auth-plugin-data-part-2: MAX(13, 21 - 8) bytes
        p.AddRange(Encoding.ASCII.GetBytes(plugin)); p.Add(0);         // auth_plugin_name
        return p.ToArray();
    }

    /// <summary>
    /// MySQL's sha2_password generate_sha2_scramble, step by step with the framework's SHA-256 (not the plugin's code):
    /// XOR(SHA256(password), SHA256(SHA256(SHA256(password)) ‖ nonce)), the outer hash over the double hash and the nonce.
    /// </summary>
    internal static byte[] ExpectedScramble(string password, byte[] nonce)
    {
        var digestStage1 = SHA256.HashData(Encoding.UTF8.GetBytes(password)); // SHA256(password)
        var digestStage2 = SHA256.HashData(digestStage1);                     // SHA256(SHA256(password)): what the server caches
        var scrambleStage1 = SHA256.HashData([.. digestStage2, .. nonce]);    // SHA256(stage2 ‖ nonce)
        var scramble = new byte[32];
        for (var i = 0; i < 32; i++) scramble[i] = (byte)(digestStage1[i] ^ scrambleStage1[i]);
        return scramble;
    }

    /// <summary>
    /// The scramble of <see cref="ScriptedSession.Password"/> ("s3cr\u00e9t-pw", UTF-8) with <see cref="Nonce"/>, computed
    /// outside .NET: with openssl (printf 's3cr\xc3\xa9t-pw' | openssl dgst -sha256 -binary, hashed again, then
    /// concatenated with the nonce and hashed, XORed with the first hash) and with Python's hashlib, both giving these bytes.
    /// </summary>
    internal static readonly byte[] IndependentScramble = Convert.FromHexString("8defbfea913f1001518f43cfa15e969893d3653008110c034585ad9502e84eaa");

    [Fact]
    public void The_scramble_is_MySQLs_two_hash_formula_and_matches_the_independently_computed_vector()
    {
        Assert.Equal(IndependentScramble, ExpectedScramble(ScriptedSession.Password, Nonce));
        Assert.Equal(IndependentScramble, CachingSha2PasswordPlugin.Scramble(ScriptedSession.Password, Nonce));
        Assert.Empty(CachingSha2PasswordPlugin.Scramble("", Nonce)); // an empty password sends an empty response
    }

    /// <summary>Protocol::HandshakeResponse41: checks the fixed part and returns the auth response.</summary>
    internal static byte[] ReadHandshakeResponse(byte[] payload, bool ssl, string expectedPlugin = "caching_sha2_password")
    {
        uint capabilities = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        Assert.NotEqual(0u, capabilities & ClientProtocol41);
        Assert.NotEqual(0u, capabilities & ClientPluginAuth);
        Assert.NotEqual(0u, capabilities & ClientPluginAuthLenenc);
        Assert.NotEqual(0u, capabilities & ClientSecureConnection);
        Assert.Equal(ssl, (capabilities & ClientSsl) != 0);
        Assert.Equal(0u, capabilities & ClientConnectWithDb); // no Database in the connection string
        Assert.Equal(new byte[23], payload[9..32]);             // filler
        int offset = 32;
        int nul = Array.IndexOf(payload, (byte)0, offset);
        Assert.Equal("repl", Encoding.UTF8.GetString(payload, offset, nul - offset));
        offset = nul + 1;
        int length = payload[offset++];                         // lenenc (< 251)
        var response = payload[offset..(offset + length)];
        offset += length;
        Assert.Equal(expectedPlugin + "\0", Encoding.ASCII.GetString(payload, offset, payload.Length - offset));
        return response;
    }

    [Fact]
    public async Task Fast_authentication_sends_the_documented_scramble_and_accepts_0x01_0x03()
    {
        await using var server = ScriptedServer.Start(async s =>
        {
            await s.SendAsync(Handshake(ssl: false));
            var response = ReadHandshakeResponse(await s.ReceiveAsync(), ssl: false);
            Assert.Equal(IndependentScramble, response);
            await s.SendAsync([0x01, 0x03]); // fast_auth_success
            await s.SendOkAsync();
            Assert.Equal([0x03, .. "SELECT 1"u8], await s.ReceiveCommandAsync());
            await s.SendSingleValueAsync("1", "1");
        });
        await using var connection = await ServerConnection.OpenAsync(ConnectionSettings.Parse(server.ConnectionString("SslMode=None")), CancellationToken.None);
        Assert.Equal(ServerFlavor.MySql, connection.Flavor);
        Assert.Equal("8.0.36", connection.ServerVersion);
        Assert.Equal("caching_sha2_password", connection.AuthenticationPluginName);
        Assert.Equal("1", (await connection.QueryRowAsync("SELECT 1", CancellationToken.None))![0]);
        await server.CompletedAsync();
    }

    [Fact]
    public async Task Full_authentication_over_TLS_sends_the_password_in_clear_after_0x01_0x04()
    {
        using var certificates = TestCertificates.Create();
        await using var server = ScriptedServer.Start(async s =>
        {
            await s.SendAsync(Handshake(ssl: true));
            var sslRequest = await s.ReceiveAsync();                   // Protocol::SSLRequest, sequence 1
            Assert.Equal(32, sslRequest.Length);
            Assert.NotEqual(0u, BinaryPrimitives.ReadUInt32LittleEndian(sslRequest) & ClientSsl);
            Assert.Equal(new byte[23], sslRequest[9..]);
            await s.UpgradeToTlsAsync(certificates.Server);
            var response = ReadHandshakeResponse(await s.ReceiveAsync(), ssl: true); // sequence 2, over TLS
            Assert.Equal(ExpectedScramble(ScriptedSession.Password, Nonce), response);
            await s.SendAsync([0x01, 0x04]);                           // perform_full_authentication
            Assert.Equal(Encoding.UTF8.GetBytes(ScriptedSession.Password + "\0"), await s.ReceiveAsync());
            await s.SendOkAsync();
        });
        var cs = server.ConnectionString($"SslMode=VerifyCA;SslCa={certificates.CaFile}");
        await using var connection = await ServerConnection.OpenAsync(ConnectionSettings.Parse(cs), CancellationToken.None);
        Assert.True(connection.IsTls);
        await server.CompletedAsync();
    }

    [Fact]
    public async Task Full_authentication_without_TLS_requests_the_RSA_key_and_sends_the_OAEP_encrypted_password_xor_nonce()
    {
        using var rsa = RSA.Create(2048);
        await using var server = ScriptedServer.Start(async s =>
        {
            await s.SendAsync(Handshake(ssl: false));
            ReadHandshakeResponse(await s.ReceiveAsync(), ssl: false);
            await s.SendAsync([0x01, 0x04]);
            Assert.Equal(new byte[] { 0x02 }, await s.ReceiveAsync());  // request_public_key
            await s.SendAsync([0x01, .. Encoding.ASCII.GetBytes(rsa.ExportSubjectPublicKeyInfoPem())]);
            var encrypted = await s.ReceiveAsync();
            Assert.Equal(256, encrypted.Length);
            Assert.Equal(PasswordXorNonce(), rsa.Decrypt(encrypted, RSAEncryptionPadding.OaepSHA1));
            await s.SendOkAsync();
        }, sessions: 2);
        var settings = ConnectionSettings.Parse(server.ConnectionString("SslMode=None;AllowPublicKeyRetrieval=true"));
        // Twice with the same settings: the first exchange must not have changed the stored password.
        for (int attempt = 0; attempt < 2; attempt++)
        {
            await using var connection = await ServerConnection.OpenAsync(settings, CancellationToken.None);
        }
        await server.CompletedAsync();
        Assert.Equal(ScriptedSession.Password, settings.Password);
    }

    [Fact]
    public async Task Full_authentication_with_ServerRSAPublicKeyFile_encrypts_without_asking_for_the_key()
    {
        using var rsa = RSA.Create(2048);
        var keyFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(keyFile, rsa.ExportRSAPublicKeyPem()); // "RSA PUBLIC KEY" (PKCS#1), as MySQL's public_key.pem may be
        try
        {
            await using var server = ScriptedServer.Start(async s =>
            {
                await s.SendAsync(Handshake(ssl: false));
                ReadHandshakeResponse(await s.ReceiveAsync(), ssl: false);
                await s.SendAsync([0x01, 0x04]);
                var encrypted = await s.ReceiveAsync();
                Assert.Equal(PasswordXorNonce(), rsa.Decrypt(encrypted, RSAEncryptionPadding.OaepSHA1));
                await s.SendOkAsync();
            });
            await using var connection = await ServerConnection.OpenAsync(
                ConnectionSettings.Parse(server.ConnectionString($"SslMode=None;ServerRSAPublicKeyFile={keyFile}")), CancellationToken.None);
            await server.CompletedAsync();
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [Fact]
    public async Task Full_authentication_on_a_plain_connection_without_a_key_source_fails_with_the_three_fixes()
    {
        await using var server = ScriptedServer.Start(async s =>
        {
            await s.SendAsync(Handshake(ssl: false));
            ReadHandshakeResponse(await s.ReceiveAsync(), ssl: false);
            await s.SendAsync([0x01, 0x04]);
        });
        var error = await Assert.ThrowsAsync<AuthenticationException>(() =>
            ServerConnection.OpenAsync(ConnectionSettings.Parse(server.ConnectionString("SslMode=None")), CancellationToken.None));
        Assert.Contains("SslMode=Required", error.Message);
        Assert.Contains("ServerRSAPublicKeyFile", error.Message);
        Assert.Contains("AllowPublicKeyRetrieval=true", error.Message);
        Assert.DoesNotContain(ScriptedSession.Password, error.ToString());
    }

    [Fact]
    public async Task An_AuthSwitchRequest_to_mysql_native_password_is_answered_with_the_native_scramble()
    {
        var switchNonce = Encoding.ASCII.GetBytes("abcdefghijklmnopqrst");
        await using var server = ScriptedServer.Start(async s =>
        {
            await s.SendAsync(Handshake(ssl: false));
            ReadHandshakeResponse(await s.ReceiveAsync(), ssl: false);
            // 0xFE, string[NUL] plugin name, string[EOF] plugin data (the scramble and its NUL).
            await s.SendAsync([0xFE, .. "mysql_native_password"u8, 0x00, .. switchNonce, 0x00]);
            // SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))) (Native Authentication page).
            var stage1 = SHA1.HashData(Encoding.UTF8.GetBytes(ScriptedSession.Password));
            var mask = SHA1.HashData([.. switchNonce, .. SHA1.HashData(stage1)]);
            Assert.Equal(stage1.Zip(mask, (a, b) => (byte)(a ^ b)).ToArray(), await s.ReceiveAsync());
            await s.SendOkAsync();
        });
        await using var connection = await ServerConnection.OpenAsync(ConnectionSettings.Parse(server.ConnectionString("SslMode=None")), CancellationToken.None);
        Assert.Equal("mysql_native_password", connection.AuthenticationPluginName);
        await server.CompletedAsync();
    }

    [Fact]
    public async Task A_refused_login_is_the_server_error_and_an_unknown_plugin_is_named()
    {
        await using (var server = ScriptedServer.Start(async s =>
        {
            await s.SendAsync(Handshake(ssl: false));
            ReadHandshakeResponse(await s.ReceiveAsync(), ssl: false);
            await s.SendErrorAsync(1045, "28000", "Access denied for user 'repl'@'localhost' (using password: YES)");
        }))
        {
            var error = await Assert.ThrowsAsync<MySqlServerException>(() =>
                ServerConnection.OpenAsync(ConnectionSettings.Parse(server.ConnectionString("SslMode=None")), CancellationToken.None));
            Assert.Equal(1045, error.ErrorCode);
            Assert.Equal("28000", error.SqlState);
        }
        await using (var server = ScriptedServer.Start(async s =>
        {
            await s.SendAsync(Handshake(ssl: false));
            ReadHandshakeResponse(await s.ReceiveAsync(), ssl: false);
            await s.SendAsync([0xFE, .. "authentication_kerberos_client"u8, 0x00, 0x01]);
        }))
        {
            var error = await Assert.ThrowsAsync<AuthenticationException>(() =>
                ServerConnection.OpenAsync(ConnectionSettings.Parse(server.ConnectionString("SslMode=None")), CancellationToken.None));
            Assert.Contains("authentication_kerberos_client", error.Message);
        }
    }

    private static byte[] PasswordXorNonce()
    {
        var plain = Encoding.UTF8.GetBytes(ScriptedSession.Password + "\0");
        for (int i = 0; i < plain.Length; i++) plain[i] ^= Nonce[i % Nonce.Length];
        return plain;
    }
}
