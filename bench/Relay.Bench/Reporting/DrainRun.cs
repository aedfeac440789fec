namespace Relay.Bench.Reporting;

/// <summary>One drain of a filled outbox by the relay process, measured from outside.</summary>
public sealed record DrainRun(
    string Workload,
    string Sink,
    long Messages,
    int PayloadBytes,
    double Seconds,
    double SteadySeconds,
    long PeakRssBytes,
    double CpuSeconds,
    string Build)
{
    /// <summary>Mean messages per sink commit, from the relay's own metrics.</summary>
    public double MeanBatch { get; init; } = double.NaN;

    /// <summary>Mean time of one publish (route, sink commit), from the relay's own metrics.</summary>
    public double MeanCommitMilliseconds { get; init; } = double.NaN;

    /// <summary>From the process start to the last message visible, start-up included, as a restarted relay pays it.</summary>
    public double MessagesPerSecond => Messages / Seconds;

    /// <summary>From the first message visible to the last.</summary>
    public double SteadyMessagesPerSecond => Messages / SteadySeconds;

    public double PayloadMegabytesPerSecond => Messages * (double)PayloadBytes / Seconds / 1e6;

    public double CpuSecondsPerMillion => CpuSeconds / Messages * 1e6;

    public double PeakRssMegabytes => PeakRssBytes / 1048576.0;
}
