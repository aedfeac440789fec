namespace Relay.Bench.Limits;

/// <summary>What a limit measured: how many messages (or rows) it moved and how long that took from its start.</summary>
public sealed record LimitRun(string Name, long Messages, double Seconds, long Bytes = 0)
{
    public double MessagesPerSecond => Messages / Seconds;
}
