using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MySqlConnector;

namespace Relay.Binlog.Protocol;

/// <summary>
/// Decides whether the server's certificate is acceptable under an SslMode, as MySqlConnector does: Preferred and
/// Required encrypt without checking; VerifyCA checks the chain (against SslCa when given, else the system's
/// trusted roots); VerifyFull also checks that the certificate names the host connected to.
/// </summary>
internal static class TlsValidation
{
    /// <summary>Null if acceptable, else why not and what to change.</summary>
    public static string? Check(MySqlSslMode mode, X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors,
        X509Certificate2Collection? caCertificates, ConnectionSettings settings)
    {
        if (mode is not (MySqlSslMode.VerifyCA or MySqlSslMode.VerifyFull)) return null;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            return "the server sent no certificate.";

        if (caCertificates is not null)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(caCertificates);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (presentedChain is not null)
            {
                foreach (var element in presentedChain.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
            var serverCertificate = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            if (!chain.Build(serverCertificate))
            {
                var problems = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
                return $"SslMode={mode}: the server certificate ({serverCertificate.Subject}) is not signed by a CA in SslCa '{settings.SslCa}' ({problems}). " +
                       "Give the CA that issued the server's certificate in SslCa.";
            }
            errors &= ~SslPolicyErrors.RemoteCertificateChainErrors;
        }
        else if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return $"SslMode={mode}: the server certificate is not signed by a CA this machine trusts. " +
                   "Give the CA's certificate with SslCa=<pem file>, or use SslMode=Required to encrypt without verifying.";
        }

        if (mode == MySqlSslMode.VerifyFull && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"SslMode=VerifyFull: the server certificate is not issued for '{settings.Host}'. " +
                   "Connect with a name the certificate lists (subject alternative names), or use SslMode=VerifyCA.";
        }
        return null;
    }
}
