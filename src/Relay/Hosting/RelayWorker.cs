using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Telemetry;

namespace Relay.Hosting;

/// <summary>Runs one pipeline per configured source until shutdown; a fatal error stops the host with exit code 1.</summary>
internal sealed class RelayWorker(
    IConfiguration configuration,
    IEnumerable<IOutboxSourceFactory> sourceFactories,
    IEnumerable<IOutboxSinkFactory> sinkFactories,
    IServiceProvider services,
    RelayTelemetry telemetry,
    ILoggerFactory loggerFactory,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<RelayWorker>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var errors = new List<string>();
        var plan = RelayPlan.Build(configuration, sourceFactories, sinkFactories, services, errors);
        if (errors.Count > 0) throw new RelayFatalException(string.Join(Environment.NewLine, errors));

        var pipelines = plan.Select(p => new SourcePipeline(
            p.Source.Name,
            () => p.SourceFactory.Create(p.Source),
            () => p.SinkFactory.Create(p.Sink, p.Source.Name),
            new OutboxRouter(p.Options.Outbox, p.Source.Name),
            p.Options.MaxBatchRows,
            telemetry,
            loggerFactory.CreateLogger($"Relay.Pipeline.{p.Source.Name}"))).ToList();

        _logger.LogInformation("Relay starting {Count} source(s): {Sources}", pipelines.Count, string.Join(", ", plan.Select(p => $"{p.Source.Name} ({p.Options.Kind} → {p.Sink.Name})")));
        await Task.WhenAll(pipelines.Select(p => RunAsync(p, stoppingToken)));
    }

    private async Task RunAsync(SourcePipeline pipeline, CancellationToken stoppingToken)
    {
        try
        {
            await pipeline.RunAsync(stoppingToken);
        }
        catch (RelayFatalException e)
        {
            _logger.LogCritical("Source {Source} cannot run: {Problem}", pipeline.SourceName, e.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }
}
