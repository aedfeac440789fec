using System.Globalization;
using Relay.Bench.Infrastructure;
using Relay.Bench.Reporting;
using Relay.Bench.Scenarios;
using StackExchange.Redis;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

BenchSettings settings;
try { settings = BenchSettings.Parse(args); }
catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }

var loadBefore = MachineInfo.LoadAverage();
ProgressLog.Step($"Relay bench, {settings.Mode} mode; load average {loadBefore}");
if (MachineInfo.LoadAverage1() > 1.5)
    ProgressLog.Step("  The machine is busy (load > 1.5): other work distorts timings. The ratios to the limits, measured in the same run, are what to read.");

using var kafka = KafkaBroker.Start(settings.KafkaBootstrap);
await using var redis = await ConnectionMultiplexer.ConnectAsync(settings.Redis);
var postgres = await PostgresOutbox.OpenAsync(settings.Postgres);
var mySql = await MySqlOutbox.OpenAsync(settings.MySql);
var context = new BenchContext(settings, postgres, mySql, kafka, redis);
ProgressLog.Step($"Kafka: {(kafka.IsMock ? "librdkafka mock cluster, 3 brokers in the bench process" : kafka.BootstrapServers)}; " +
                 $"builds: {string.Join(", ", context.Builds.Select(b => b.Name))}");

var started = DateTime.UtcNow;
if (settings.Runs("catchup")) await new CatchUpScenario(context).RunAsync();
if (settings.Runs("latency")) await new LatencyScenario(context).RunAsync();
if (settings.Runs("fixedrate")) await new FixedRateScenario(context).RunAsync();
if (settings.Runs("footprint")) await new FootprintScenario(context).RunAsync();
if (settings.Runs("growth") && settings.Mode != BenchMode.Quick) await new GrowthScenario(context).RunAsync();
var loadAfter = MachineInfo.LoadAverage();

Directory.CreateDirectory(settings.ResultsDirectory);
var header = $"""
    # Relay benchmark results

    - Taken {started:yyyy-MM-dd HH:mm} UTC in {(DateTime.UtcNow - started).TotalMinutes:N0} min, `{settings.Mode.ToString().ToLowerInvariant()}` mode (`scripts/bench.sh{(settings.Mode == BenchMode.Quick ? " --quick" : settings.Mode == BenchMode.Full ? " --full" : "")}`).
    - Machine: {MachineInfo.Cpu()}, {Environment.ProcessorCount} cores, {MachineInfo.MemoryGigabytes()}; {MachineInfo.Command("uname", "-sr")}; .NET {Environment.Version}.
    - Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}. The relay, the servers and the bench share these cores.
    - Servers: {MachineInfo.Command("psql", "--version")}, {MachineInfo.Command("mariadbd", "--version")}, {MachineInfo.Command("redis-server", "--version")}; Kafka: {(kafka.IsMock ? "librdkafka's mock cluster (3 brokers, in the bench process)" : "cluster at " + kafka.BootstrapServers)}.
    {(settings.Mode == BenchMode.Quick ? "- Quick mode: drains of " + settings.CatchUpRows.ToString("N0") + " rows, so the relay's start-up (a second or two before its first message) weighs heavily on msg/s and the ratios: read the *steady* column, and the standard run for the goals.\n" : "")}- Relay: {MachineInfo.Command("git", "log", "-1", "--format=%h %s")}; run as its users run it (the built Relay.dll, configured by environment variables), measured from outside (/proc/&lt;pid&gt;/status VmHWM, /proc/&lt;pid&gt;/stat).

    """;
var prefix = settings.Mode == BenchMode.Quick ? "quick-" : "";
var markdown = new MarkdownReport(context.Results, settings, header).Render();
var charts = Charts.Draw(context.Results, settings.ResultsDirectory, prefix);
markdown += string.Join("\n", charts.Select(c => $"![{c}]({c})")) + "\n";
// The fixed-rate runs also have a file of their own; a run of only them writes only that one.
var fixedRateOnly = context.Results.FixedRates.Count > 0 && context.Results.Drains.Count == 0 && context.Results.Latencies.Count == 0 && context.Results.Footprints.Count == 0;
var name = settings.Mode == BenchMode.Quick ? "quick.md" : "results.md";
var file = Path.Combine(settings.ResultsDirectory, name);
if (!fixedRateOnly) await File.WriteAllTextAsync(file, markdown);
if (context.Results.FixedRates.Count > 0)
{
    var fixedCharts = Charts.DrawFixedRate(context.Results, settings.ResultsDirectory, prefix);
    var fixedMarkdown = new MarkdownReport(context.Results, settings, header).RenderFixedRate() + string.Join("\n", fixedCharts.Select(c => $"![{c}]({c})")) + "\n";
    var fixedFile = Path.Combine(settings.ResultsDirectory, prefix + "fixedrate.md");
    await File.WriteAllTextAsync(fixedFile, fixedMarkdown);
    ProgressLog.Step($"Wrote {fixedFile} and {string.Join(", ", fixedCharts)}");
    if (fixedRateOnly) markdown = fixedMarkdown;
}
if (!fixedRateOnly) ProgressLog.Step($"Wrote {file} and {string.Join(", ", charts)}; load average now {loadAfter}");
Console.WriteLine();
Console.WriteLine(markdown);
return context.Results.Failures.Count == 0 ? 0 : 1;
