using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Relay.Telemetry;

namespace Relay.Health;

/// <summary>The JSON bodies of /healthz and /readyz: the status and, per source, its state, never a secret.</summary>
internal static class HealthResponses
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    public static Task WriteLiveness(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(report.Status == HealthStatus.Healthy ? "{\"status\":\"alive\"}\n" : "{\"status\":\"unhealthy\"}\n");
    }

    public static async Task WriteReadiness(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer, Indented))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status == HealthStatus.Healthy ? "ready" : "not ready");
            var entry = report.Entries.Values.FirstOrDefault();
            if (entry.Description is { } description) json.WriteString("description", description);
            json.WriteStartObject("sources");
            if (entry.Data?.TryGetValue(ReadinessCheck.SourcesKey, out var value) == true && value is IEnumerable<SourceStatusSnapshot> sources)
            {
                foreach (var s in sources) WriteSource(json, s);
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        await context.Response.Body.WriteAsync(buffer.ToArray());
    }

    private static void WriteSource(Utf8JsonWriter json, SourceStatusSnapshot s)
    {
        json.WriteStartObject(s.Name);
        json.WriteString("kind", s.Kind);
        json.WriteString("sink", s.Sink);
        json.WriteString("state", RelayTelemetry.StateName(s.State));
        json.WriteString("since", s.Since);
        json.WriteBoolean("active", s.Active);
        if (s.LastPublishAt is { } published) json.WriteString("lastPublishAt", published);
        if (s.LastError is { } error)
        {
            json.WriteString("lastError", error);
            if (s.LastErrorAt is { } at) json.WriteString("lastErrorAt", at);
        }
        if (s.Lag is { } lag)
        {
            json.WriteStartObject("lag");
            if (s.LagAt is { } sampled) json.WriteString("sampledAt", sampled);
            if (lag.LagSeconds is { } seconds) json.WriteNumber("seconds", Math.Round(seconds, 3));
            if (lag.LagBytes is { } bytes) json.WriteNumber("bytes", bytes);
            if (lag.RetainedBytes is { } retained) json.WriteNumber("retainedBytes", retained);
            if (lag.RetentionStatus is { } retention) json.WriteString("retentionStatus", retention);
            if (lag.PendingRows is { } pending) json.WriteNumber("pendingRows", pending);
            if (lag.OldestPendingSeconds is { } age) json.WriteNumber("oldestPendingSeconds", Math.Round(age, 3));
            if (lag.LeaseHeld is { } held) json.WriteBoolean("leaseHeld", held);
            json.WriteEndObject();
        }
        if (s.LagError is { } lagError) json.WriteString("lagError", lagError);
        json.WriteEndObject();
    }
}
