using System.Text;
using Relay.Routing;

namespace Relay.Tests.Routing;

/// <summary>
/// A source may keep text values as the UTF-8 bytes it read (the WAL reader does): the row still answers with strings,
/// and the router publishes exactly what it publishes for the same row held as strings.
/// </summary>
public class Utf8ValuesTests
{
    private static readonly string[] Names = ["id", "aggregatetype", "aggregateid", "type", "payload", "traceparent", "tenant", "blob"];
    private static readonly OutboxColumns AsStrings = new(Names);
    // Every column but "blob" (a binary column, whose byte[] stays binary) holds UTF-8 text.
    private static readonly OutboxColumns AsUtf8 = new(Names, [true, true, true, true, true, true, true, false]);

    private static readonly object?[] Values =
    [
        "6f1c4d5e-0000-4000-8000-000000000001", "commande", "Zoë-42", "Created", "{\"total\":10,\"note\":\"naïve ☕\"}",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null, new byte[] { 0, 1, 255 },
    ];

    private static OutboxRow Utf8Row(object?[] values) =>
        new(AsUtf8, values.Select((v, i) => v is string s && i < 7 ? Encoding.UTF8.GetBytes(s) : v).ToArray());

    [Fact]
    public void A_row_holding_UTF8_text_answers_with_the_strings()
    {
        var row = Utf8Row(Values);

        Assert.Equal("Zoë-42", row["aggregateid"]);
        Assert.Equal("{\"total\":10,\"note\":\"naïve ☕\"}", row.ValueAt(4));
        Assert.Null(row["tenant"]);
        Assert.Equal(new byte[] { 0, 1, 255 }, row["blob"]);
        Assert.True(row.TryGetUtf8(2, out var key));
        Assert.Equal(Encoding.UTF8.GetBytes("Zoë-42"), key);
        Assert.False(row.TryGetUtf8(7, out _)); // binary, not text
        Assert.False(row.TryGetUtf8(6, out _)); // SQL NULL
        Assert.False(new OutboxRow(AsStrings, Values).TryGetUtf8(2, out _));
    }

    [Theory]
    [InlineData("outbox.event.{aggregatetype}")]
    [InlineData("{source}.{type}.{aggregatetype}")]
    public void The_router_publishes_the_same_message_for_UTF8_and_string_values(string template)
    {
        var options = new OutboxTableOptions { TopicTemplate = template, HeaderColumns = { ["x-blob"] = "blob" } };
        // Twice each, so the second row of each kind comes from the topic cache.
        var fromStrings = new OutboxRouter(options, "src");
        var fromUtf8 = new OutboxRouter(options, "src");
        for (var round = 0; round < 2; round++)
        {
            var expected = fromStrings.Route(new OutboxRow(AsStrings, Values));
            var actual = fromUtf8.Route(Utf8Row(Values));

            Assert.False(actual.IsDeadLetter);
            Assert.Equal(expected.Topic, actual.Topic);
            Assert.Equal(expected.Key, actual.Key);
            Assert.Equal(expected.Value, actual.Value);
            Assert.Equal(expected.EventId, actual.EventId);
            Assert.Equal(expected.Headers.Select(h => (h.Key, Encoding.UTF8.GetString(h.Value))), actual.Headers.Select(h => (h.Key, Encoding.UTF8.GetString(h.Value))));
        }
    }

    [Fact]
    public void A_UTF8_row_that_cannot_be_routed_is_a_dead_letter_with_its_event_id()
    {
        var values = (object?[])Values.Clone();
        values[2] = null; // no sharding key
        var m = new OutboxRouter(new OutboxTableOptions(), "src").Route(Utf8Row(values));

        Assert.True(m.IsDeadLetter);
        Assert.Equal("6f1c4d5e-0000-4000-8000-000000000001", m.EventId);
        Assert.Contains(m.DeadLetterReasons, r => r.Contains("aggregateid", StringComparison.Ordinal));
    }

    [Fact]
    public void UTF8_flags_must_match_the_columns()
    {
        Assert.Throws<ArgumentException>(() => new OutboxColumns(["a", "b"], [true]));
    }
}
