using System.Text.Json;

namespace Relay.Tests.Crash;

/// <summary>What a sink reader saw: the event id header and the (aggregate, version) of the payload, in the order read.</summary>
public sealed record DeliveredMessage(string Stream, string EventId, string Key, int Aggregate, int Version)
{
    public static DeliveredMessage Parse(string stream, string eventId, string key, string payload)
    {
        using var doc = JsonDocument.Parse(payload);
        return new DeliveredMessage(stream, eventId, key,
            doc.RootElement.GetProperty("aggregate").GetInt32(),
            doc.RootElement.GetProperty("version").GetInt32());
    }

    /// <summary>Every committed row exactly once, and per aggregate the versions 1..n in order.</summary>
    public static void AssertExactlyOnceInOrder(IReadOnlyList<DeliveredMessage> delivered, IReadOnlyDictionary<int, int> committedVersions)
    {
        var expected = committedVersions.Values.Sum();
        var duplicates = delivered.GroupBy(m => m.EventId).Where(g => g.Count() > 1).Select(g => g.Key).Take(5).ToList();
        Assert.True(duplicates.Count == 0, $"Duplicated event ids (first five): {string.Join(", ", duplicates)}");
        Assert.Equal(expected, delivered.Count);

        foreach (var group in delivered.GroupBy(m => m.Aggregate))
        {
            Assert.All(group, m => Assert.Equal(group.Key.ToString(), m.Key)); // the sharding key is the aggregate id
            var versions = group.Select(m => m.Version).ToList();
            for (var i = 0; i < versions.Count; i++)
            {
                if (versions[i] != i + 1)
                    Assert.Fail($"Aggregate {group.Key}: expected version {i + 1} at position {i}, saw {versions[i]} (sequence starts {string.Join(",", versions.Take(12))})");
            }
            Assert.Equal(committedVersions[group.Key], versions.Count);
        }
        Assert.Equal(committedVersions.Count, delivered.Select(m => m.Aggregate).Distinct().Count());
    }
}
