using MySqlConnector.Authentication;

namespace Relay.Binlog.Protocol;

/// <summary>
/// Teaches MySqlConnector MariaDB's ed25519 logins, with the same implementation the binlog client uses, so a
/// relay user IDENTIFIED VIA ed25519 works for plain SQL connections too. Call before opening one; idempotent.
/// </summary>
public static class MySqlAuthentication
{
    private static readonly object Gate = new();
    private static bool _registered;

    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            try
            {
                AuthenticationPlugins.Register(new MySqlConnectorEd25519Plugin());
            }
            catch (ArgumentException)
            {
                // Another component (e.g. MySqlConnector.Authentication.Ed25519) registered client_ed25519 already; keep it.
            }
            _registered = true;
        }
    }
}
