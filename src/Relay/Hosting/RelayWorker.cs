using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relay.Health;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Telemetry;

namespace Relay.Hosting;

/// <summary>
/// Runs one pipeline per enabled source until shutdown, and samples each source's lag. A source whose
/// pipeline fails for good (<see cref="RelayFatalException"/>) is marked failed while the others keep
/// running; when every enabled source has failed the host stops with exit code 1.
/// </summary>
internal sealed class RelayWorker(
    IConfiguration configuration,
    IEnumerable<IOutboxSourceFactory> sourceFactories,
    IEnumerable<IOutboxSinkFactory> sinkFactories,
    IServiceProvider services,
    RelayTelemetry telemetry,
    SourceStates states,
    SecretScrubber scrubber,
    RelayHostSettings settings,
    ILoggerFactory loggerFactory,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<RelayWorker>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var errors = new List<string>();
        var plan = RelayPlan.Build(configuration, sourceFactories, sinkFactories, services, errors);
        if (errors.Count > 0) throw new RelayFatalException(string.Join(Environment.NewLine, errors));

        var runs = new List<Task>();
        foreach (var p in plan)
        {
            var status = states.Register(p.Source.Name, p.Options.Kind!, p.Sink.Name);
            var logger = loggerFactory.CreateLogger($"Relay.Pipeline.{p.Source.Name}");
            var pipeline = new SourcePipeline(
                p.Source.Name,
                () => p.SourceFactory.Create(p.Source),
                () => p.SinkFactory.Create(p.Sink, p.Source.Name),
                new OutboxRouter(p.Options.Outbox, p.Source.Name),
                p.Options.MaxBatchRows,
                telemetry,
                logger,
                status,
                scrubber)
            {
                MessagingSystem = p.SinkFactory.Kind.ToLowerInvariant(),
            };
            runs.Add(RunAsync(pipeline, stoppingToken));

            var sampler = new LagSampler(status, () => p.SourceFactory.CreateLagProbe(p.Source), settings.LagInterval, telemetry, scrubber, logger);
            runs.Add(sampler.RunAsync(stoppingToken));
        }

        _logger.LogInformation("Relay starting {Count} source(s): {Sources}", plan.Count, string.Join(", ", plan.Select(p => $"{p.Source.Name} ({p.Options.Kind} → {p.Sink.Name}, {p.SinkFactory.Delivery(p.Sink)})")));
        await Task.WhenAll(runs);
    }

    private async Task RunAsync(SourcePipeline pipeline, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await pipeline.RunAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // A RelayFatalException, or anything the pipeline's retry did not handle: this source is down for good.
            states.Register(pipeline.SourceName, "", "").Failed(scrubber.Describe(e));
            if (states.AllFailed)
            {
                _logger.LogCritical("Source {Source} cannot run: {Problem}. Every source has failed; stopping with exit code 1.", pipeline.SourceName, scrubber.Scrub(e.Message).TrimEnd('.'));
                Environment.ExitCode = ExitCodes.Failure;
                lifetime.StopApplication();
            }
            else
            {
                _logger.LogCritical("Source {Source} cannot run and is marked failed (the other sources keep running; restart the relay after fixing it): {Problem}",
                    pipeline.SourceName, scrubber.Scrub(e.Message).TrimEnd('.'));
            }
        }
    }
}
