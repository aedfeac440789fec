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

    /// <summary>
    /// At least once: every committed row present, and per aggregate the first deliveries of its versions are 1..n in
    /// order (a batch published again after a crash repeats what came before it, it never jumps ahead). Returns how many
    /// deliveries were duplicates, each carrying its event id; at most <paramref name="maxDuplicates"/>.
    /// </summary>
    public static int AssertAtLeastOnceInOrder(IReadOnlyList<DeliveredMessage> delivered, IReadOnlyDictionary<int, int> committedVersions, int maxDuplicates)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var first = delivered.Where(m => seen.Add(m.EventId)).ToList();
        var duplicates = delivered.Count - first.Count;
        Assert.True(duplicates <= maxDuplicates, $"{duplicates} duplicates, more than the batches in flight at the kills can explain ({maxDuplicates})");
        foreach (var group in delivered.GroupBy(m => m.EventId).Where(g => g.Count() > 1))
            Assert.True(group.Select(m => (m.Aggregate, m.Version, m.Key)).Distinct().Count() == 1, $"Event id {group.Key} was delivered with different contents");
        AssertExactlyOnceInOrder(first, committedVersions);
        return duplicates;
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
