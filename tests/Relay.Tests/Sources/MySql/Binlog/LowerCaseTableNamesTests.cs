using Relay.Sources.MySql.Polling;
using Relay.Tests.Sources.Polling;
using static Relay.Tests.Sources.MySql.Binlog.BinlogTestKit;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>
/// lower_case_table_names=1 on a private MariaDB (set when the data directory is created, as the server requires): the
/// server stores and logs shop.outbox for a table created as Shop.Outbox, and a source configured with Shop.Outbox
/// must find its rows. (lower_case_table_names=2 is refused on a case-sensitive file system such as Linux's: the server
/// falls back to 0, so it cannot be tested here; Relay compares names case-insensitively for 2 as well.)
/// </summary>
public sealed class LowerCaseTableNamesTests
{
    [Fact]
    public async Task A_source_configured_as_Shop_Outbox_publishes_the_rows_of_shop_outbox_by_binlog_and_by_polling()
    {
        await using var server = await MariaDbInstance.StartAsync(initSettings: ["--lower-case-table-names=1"]);
        Assert.Equal("1", Convert.ToString(await server.ScalarAsync("SELECT @@lower_case_table_names"), System.Globalization.CultureInfo.InvariantCulture));
        var cs = await PrepareAsync(server, "Shop");
        Assert.Equal("outbox", await server.ScalarAsync("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop'"));
        var settings = new Dictionary<string, string?> { ["Outbox:Table"] = "Shop.Outbox" };

        await using (var reader = await StartAsync(cs, settings, name: "schema-lctn"))
        {
            await InsertAsync(cs, 2, "a");
            var batch = await reader.NextAsync();
            Assert.Equal(
            [
                """seq=1 aggregatetype=order aggregateid=a1 type=Created payload={"n": 1} traceparent=NULL""",
                """seq=2 aggregatetype=order aggregateid=a2 type=Created payload={"n": 2} traceparent=NULL""",
            ], batch.Rows.Select(BinlogSchemaChangeTests.Describe));
            await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
        }

        var (source, polling) = await PollingHarness.StartAsync(cs, settings, kind: MySqlPollingSourceFactory.KindName);
        await using (source)
        await using (polling)
        {
            var batch = await polling.NextAsync();
            Assert.Equal(["a1", "a2"], batch.Rows.Select(r => Text(r, "aggregateid")));
        }
    }
}
