using System.Diagnostics;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// A partition of one relay process from some loopback ports, as a network failure looks: packets vanish (DROP, not
/// REJECT) in both directions, so neither the relay nor the server hears anything, and nothing is closed. It matches
/// only connections opened by <see cref="Uid"/> (a throwaway uid the relay runs as, see <see cref="RelayProcess.Start"/>):
/// the relay's first packet to a cut port marks its connection (CONNMARK), and every packet of a marked connection is
/// dropped, the server's replies included. Needs root and iptables (scripts/test-servers.sh installs it); it fails,
/// never skips, without them. Dispose heals: the rules go, and the marked connections flow again.
/// </summary>
public sealed class NetworkCut : IDisposable
{
    private readonly List<string[]> _rules = new();

    private NetworkCut(int uid, int mark)
    {
        Uid = uid;
        Mark = mark;
    }

    /// <summary>The uid a relay must run as to be affected; unique to this cut.</summary>
    public int Uid { get; }

    private int Mark { get; }

    public bool IsCut => _rules.Count > 0;

    /// <summary>A cut for a new throwaway uid, not yet cutting anything.</summary>
    public static NetworkCut ForNewUid()
    {
        var uid = 61000 + Random.Shared.Next(0, 3000);
        return new NetworkCut(uid, 0x5e000000 | uid);
    }

    /// <summary>Cuts the uid's connections to <paramref name="ports"/> (those open already, at their next packet, and new ones).</summary>
    public void Cut(params int[] ports)
    {
        var mark = $"0x{Mark:x}";
        // The drop goes in first, then the marking in front of it: a packet is marked and dropped in one pass.
        Add(["OUTPUT", "-o", "lo", "-m", "connmark", "--mark", mark, "-j", "DROP"]);
        foreach (var port in ports)
            Add(["OUTPUT", "-o", "lo", "-p", "tcp", "--dport", port.ToString(), "-m", "owner", "--uid-owner", Uid.ToString(), "-j", "CONNMARK", "--set-mark", mark]);
    }

    /// <summary>Removes every rule: the connections (and the server's retransmissions) get through again.</summary>
    public void Heal()
    {
        for (var i = _rules.Count - 1; i >= 0; i--) Iptables(["-D", .. _rules[i]], mustWork: false);
        _rules.Clear();
    }

    private void Add(string[] rule)
    {
        Iptables(["-I", rule[0], "1", .. rule[1..]], mustWork: true);
        _rules.Add(rule);
    }

    private static void Iptables(string[] args, bool mustWork)
    {
        var info = new ProcessStartInfo("iptables") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-w"); // other tests may change rules at the same time
        foreach (var arg in args) info.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("Network-cut tests need iptables and root: apt-get install -y iptables (scripts/test-servers.sh does).", e);
        }
        using (process)
        {
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (mustWork && process.ExitCode != 0)
                throw new InvalidOperationException($"iptables {string.Join(' ', args)} failed ({process.ExitCode}): {error} (network-cut tests need root)");
        }
    }

    public void Dispose() => Heal();
}
