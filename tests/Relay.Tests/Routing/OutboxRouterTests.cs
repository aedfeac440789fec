using System.Text;
using Relay.Routing;

namespace Relay.Tests.Routing;

public class OutboxRouterTests
{
    private static readonly OutboxColumns Columns = new(["id", "aggregatetype", "aggregateid", "type", "payload", "traceparent", "tenant"]);

    private static OutboxRow Row(string? aggregateType = "order", string? aggregateId = "42", object? payload = null, string? traceparent = null, string? tenant = null)
        => new(Columns, ["6f1c4d5e-0000-4000-8000-000000000001", aggregateType, aggregateId, "OrderCreated", payload ?? "{\"total\":10}", traceparent, tenant]);

    private static string Header(OutboxMessage m, string name) =>
        Encoding.UTF8.GetString(m.Headers.Single(h => h.Key == name).Value);

    [Fact]
    public void Routes_by_aggregate_type_with_aggregate_id_as_key_and_id_type_headers()
    {
        var router = new OutboxRouter(new OutboxTableOptions(), "orders-db");
        var m = router.Route(Row());

        Assert.Equal("outbox.event.order", m.Topic);
        Assert.Equal("42", Encoding.UTF8.GetString(m.Key!));
        Assert.Equal("{\"total\":10}", Encoding.UTF8.GetString(m.Value!));
        Assert.Equal("6f1c4d5e-0000-4000-8000-000000000001", Header(m, "id"));
        Assert.Equal("OrderCreated", Header(m, "type"));
        Assert.Equal("6f1c4d5e-0000-4000-8000-000000000001", m.EventId);
        Assert.DoesNotContain(m.Headers, h => h.Key == "traceparent");
        Assert.False(m.IsDeadLetter);
    }

    [Fact]
    public void Carries_traceparent_and_mapped_header_columns_when_present()
    {
        var options = new OutboxTableOptions { HeaderColumns = { ["x-tenant"] = "tenant" } };
        var router = new OutboxRouter(options, "s");
        const string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        var m = router.Route(Row(traceparent: tp, tenant: "acme"));

        Assert.Equal(tp, Header(m, "traceparent"));
        Assert.Equal("acme", Header(m, "x-tenant"));
    }

    [Fact]
    public void Binary_payload_is_passed_through_unchanged()
    {
        var router = new OutboxRouter(new OutboxTableOptions(), "s");
        var bytes = new byte[] { 0, 1, 2, 255 };
        Assert.Equal(bytes, router.Route(Row(payload: bytes)).Value);
    }

    [Fact]
    public void Topic_template_can_use_any_column_and_the_source_name()
    {
        var router = new OutboxRouter(new OutboxTableOptions { TopicTemplate = "{source}.{tenant}.{type}" }, "billing");
        Assert.Equal("billing.acme.OrderCreated", router.Route(Row(tenant: "acme")).Topic);
    }

    [Theory]
    [InlineData(null, "42", "aggregatetype")]
    [InlineData("order line", "42", "not a valid topic name")]
    [InlineData("order", null, "sharding key")]
    public void Unroutable_rows_go_to_the_dead_letter_topic_with_the_reason(string? type, string? id, string reasonFragment)
    {
        var router = new OutboxRouter(new OutboxTableOptions(), "orders-db");
        var m = router.Route(Row(aggregateType: type, aggregateId: id));

        Assert.Equal("relay.deadletter", m.Topic);
        Assert.True(m.IsDeadLetter);
        Assert.Single(m.DeadLetterReasons);
        Assert.Contains(reasonFragment, Header(m, OutboxRouter.ErrorHeader));
        Assert.Equal("orders-db", Header(m, OutboxRouter.SourceHeader));
        Assert.Equal("{\"total\":10}", Encoding.UTF8.GetString(m.Value!)); // nothing of the row is lost
    }

    [Fact]
    public void Oversized_payload_goes_to_the_dead_letter_topic_without_the_payload()
    {
        var router = new OutboxRouter(new OutboxTableOptions { MaxPayloadBytes = 8 }, "s");
        var m = router.Route(Row(payload: "{\"far\":\"too long\"}"));

        Assert.Equal("relay.deadletter", m.Topic);
        Assert.Null(m.Value);
        Assert.Contains("MaxPayloadBytes", Header(m, OutboxRouter.ErrorHeader));
        Assert.Equal("6f1c4d5e-0000-4000-8000-000000000001", Header(m, "id"));
    }

    [Fact]
    public void A_routed_row_whose_topic_is_named_like_the_dead_letter_topic_is_not_a_dead_letter()
    {
        var router = new OutboxRouter(new OutboxTableOptions { TopicTemplate = "relay.{aggregatetype}" }, "s");
        var m = router.Route(Row(aggregateType: "deadletter"));

        Assert.Equal("relay.deadletter", m.Topic);
        Assert.False(m.IsDeadLetter);
        Assert.Empty(m.DeadLetterReasons);
        Assert.DoesNotContain(m.Headers, h => h.Key == OutboxRouter.ErrorHeader);
    }

    [Fact]
    public void Every_reason_is_kept_when_a_row_has_several_problems()
    {
        var router = new OutboxRouter(new OutboxTableOptions { MaxPayloadBytes = 8 }, "s");
        var m = router.Route(Row(aggregateType: "order line", aggregateId: null, payload: "{\"far\":\"too long\"}"));

        Assert.True(m.IsDeadLetter);
        Assert.Equal(3, m.DeadLetterReasons.Count);
        var header = Header(m, OutboxRouter.ErrorHeader);
        Assert.Contains("sharding key", header);
        Assert.Contains("not a valid topic name", header);
        Assert.Contains("MaxPayloadBytes", header);
        Assert.Null(m.Value);
    }

    [Fact]
    public void Topics_and_dead_letters_stay_right_when_the_router_has_seen_the_values_before()
    {
        var router = new OutboxRouter(new OutboxTableOptions(), "s");
        for (var pass = 0; pass < 2; pass++)
        {
            Assert.Equal("outbox.event.order", router.Route(Row(aggregateType: "order")).Topic);
            Assert.Equal("outbox.event.invoice", router.Route(Row(aggregateType: "invoice")).Topic);
            var bad = router.Route(Row(aggregateType: "order line"));
            Assert.True(bad.IsDeadLetter);
            Assert.Contains("not a valid topic name", Header(bad, OutboxRouter.ErrorHeader));
            Assert.True(router.Route(Row(aggregateType: "order", aggregateId: null)).IsDeadLetter);
        }
    }

    [Fact]
    public void Rows_of_another_shape_are_read_by_their_own_column_names()
    {
        var options = new OutboxTableOptions { HeaderColumns = { ["x-tenant"] = "tenant" } };
        var router = new OutboxRouter(options, "s");
        Assert.Equal("acme", Header(router.Route(Row(tenant: "acme")), "x-tenant"));

        // A schema change: the same columns in another order.
        var reordered = new OutboxColumns(["tenant", "payload", "type", "aggregateid", "aggregatetype", "id", "traceparent"]);
        var m = router.Route(new OutboxRow(reordered, ["acme", "{}", "Shipped", "7", "parcel", "6f1c4d5e-0000-4000-8000-000000000002", null]));
        Assert.False(m.IsDeadLetter);
        Assert.Equal("outbox.event.parcel", m.Topic);
        Assert.Equal("7", Encoding.UTF8.GetString(m.Key!));
        Assert.Equal("{}", Encoding.UTF8.GetString(m.Value!));
        Assert.Equal("Shipped", Header(m, "type"));
        Assert.Equal("6f1c4d5e-0000-4000-8000-000000000002", Header(m, "id"));
        Assert.Equal("acme", Header(m, "x-tenant"));
    }

    [Fact]
    public void A_row_whose_shape_lost_mapped_columns_is_a_dead_letter_naming_each_and_later_rows_of_a_whole_shape_route_again()
    {
        var router = new OutboxRouter(new OutboxTableOptions { HeaderColumns = { ["x-tenant"] = "tenant" } }, "s");
        Assert.False(router.Route(Row(tenant: "acme")).IsDeadLetter);

        // type renamed to kind, tenant and traceparent dropped: nothing of them may vanish silently.
        var renamed = new OutboxColumns(["id", "aggregatetype", "aggregateid", "kind", "payload"]);
        var m = router.Route(new OutboxRow(renamed, ["6f1c4d5e-0000-4000-8000-000000000003", "order", "9", "Shipped", "{}"]));
        Assert.True(m.IsDeadLetter);
        Assert.Equal("relay.deadletter", m.Topic);
        Assert.Equal("9", Encoding.UTF8.GetString(m.Key!));
        Assert.Equal("{}", Encoding.UTF8.GetString(m.Value!));
        Assert.Equal("6f1c4d5e-0000-4000-8000-000000000003", Header(m, "id"));
        Assert.Equal(
            "the row has no column type (Outbox:TypeColumn): it was renamed or dropped; rename it back, or set Outbox:TypeColumn to its new name and restart; " +
            "the row has no column traceparent (Outbox:TraceParentColumn): it was renamed or dropped; rename it back, or set Outbox:TraceParentColumn to its new name and restart; " +
            "the row has no column tenant (Outbox:HeaderColumns:x-tenant): it was renamed or dropped; rename it back, or set Outbox:HeaderColumns:x-tenant to its new name and restart",
            Header(m, OutboxRouter.ErrorHeader));
        Assert.Equal("s", Header(m, OutboxRouter.SourceHeader));

        Assert.False(router.Route(Row(tenant: "acme")).IsDeadLetter);
    }

    [Fact]
    public void A_table_without_the_default_traceparent_column_routes_its_rows()
    {
        var columns = new OutboxColumns(["id", "aggregatetype", "aggregateid", "type", "payload"]);
        var m = new OutboxRouter(new OutboxTableOptions(), "s").Route(new OutboxRow(columns, ["6f1c4d5e-0000-4000-8000-000000000004", "order", "1", "T", "{}"]));
        Assert.False(m.IsDeadLetter);
        Assert.DoesNotContain(m.Headers, h => h.Key == "traceparent");
    }

    [Theory]
    [InlineData("outbox.{", "not closed")]
    [InlineData("outbox.}x", "no matching")]
    [InlineData("a.{}", "names no column")]
    public void Validation_names_the_key_and_the_problem(string template, string fragment)
    {
        var errors = OutboxRouter.Validate(new OutboxTableOptions { TopicTemplate = template }, "Relay:Sources:orders").ToList();
        var error = Assert.Single(errors);
        Assert.Contains("Relay:Sources:orders:Outbox:TopicTemplate", error);
        Assert.Contains(fragment, error);
    }

    [Fact]
    public void Default_mapping_is_valid()
    {
        Assert.Empty(OutboxRouter.Validate(new OutboxTableOptions(), "Relay:Sources:x"));
    }
}
