using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using Relay.Sources.MySql.Binlog;
using Relay.Sources.MySql.Polling;
using Relay.Tests.Deploy;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sources.MySql.Binlog;
using Relay.Tests.Sources.Polling;

namespace Relay.Tests.Sources.MySql;

/// <summary>
/// The checks of `validate --connect` and the script of `setup` for the MySQL kinds, against the real MariaDB: each
/// problem named with its fix, never an exception, never a password; the script the README's DDL.
/// </summary>
public sealed partial class MySqlSourceSetupTests
{
    [Fact]
    public async Task A_polling_user_without_DELETE_is_told_the_grant()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await using var user = await LimitedUser.CreateAsync(db, $"GRANT SELECT ON {db.Name}.outbox TO {{0}}");
        var problems = await PollingSetup(user.ConnectionString).CheckAsync(default);
        var problem = Assert.Single(problems, p => !p.IsWarning);
        Assert.Contains("lacks DELETE", problem.Problem);
        Assert.Contains($"GRANT SELECT, DELETE ON `{db.Name}`.`outbox` TO '{user.Name}'@'%'", problem.Problem);

        await db.ExecuteAsync($"GRANT DELETE ON {db.Name}.outbox TO '{user.Name}'@'%'");
        Assert.Empty(await PollingSetup(user.ConnectionString).CheckAsync(default));
    }

    [Fact]
    public async Task Setup_adds_the_order_index_an_existing_outbox_lacks()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("""
            CREATE TABLE outbox (id CHAR(36) NOT NULL PRIMARY KEY DEFAULT (UUID()), aggregatetype VARCHAR(255) NOT NULL,
              aggregateid VARCHAR(255) NOT NULL, type VARCHAR(255) NOT NULL, payload JSON, seq BIGINT NOT NULL)
            """);
        var setup = PollingSetup(db.ConnectionString);
        var unindexed = Assert.Single(await setup.CheckAsync(default));
        Assert.True(unindexed.IsWarning);
        Assert.Contains("no index", unindexed.Problem);

        Assert.Null(await setup.ApplyAsync(default));
        Assert.Empty(await setup.CheckAsync(default));
        Assert.Null(await setup.ApplyAsync(default)); // the index is there now: nothing to do
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{db.Name}' AND TABLE_NAME = 'outbox' AND COLUMN_NAME = 'seq'"));
    }

    [Fact]
    public async Task A_binlog_user_without_replication_rights_is_told_the_grants()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await using var user = await LimitedUser.CreateAsync(db, $"GRANT SELECT ON {db.Name}.outbox TO {{0}}");
        var problems = await BinlogSetup(user.ConnectionString).CheckAsync(default);
        Assert.All(problems, p => Assert.False(p.IsWarning));
        Assert.Contains(problems, p => p.Problem.Contains("may not read where the binlog stands") && p.Fix.Contains("BINLOG MONITOR"));
        Assert.Contains(problems, p => p.Problem.Contains("lacks REPLICATION SLAVE") && p.Fix.Contains($"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '{user.Name}'@'%'"));

        await db.ExecuteAsync($"GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '{user.Name}'@'%'");
        Assert.Empty(await BinlogSetup(user.ConnectionString).CheckAsync(default));

        await db.ExecuteAsync($"REVOKE SELECT ON {db.Name}.outbox FROM '{user.Name}'@'%'; GRANT INSERT ON {db.Name}.outbox TO '{user.Name}'@'%'");
        var select = Assert.Single(await BinlogSetup(user.ConnectionString).CheckAsync(default));
        Assert.Contains("lacks SELECT", select.Problem);
        Assert.Contains($"GRANT SELECT ON `{db.Name}`.`outbox`", select.Fix);
    }

    [Fact]
    public async Task Replication_rights_through_a_default_role_count_and_the_binlog_streams_with_them()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await using var user = await LimitedUser.CreateAsync(db, $"GRANT SELECT ON {db.Name}.outbox TO {{0}}");
        var role = "relay_repl_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE ROLE {role}; GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO {role}; GRANT {role} TO '{user.Name}'@'%'");
        try
        {
            // Granted but not enabled at login: the relay's sessions would not have it.
            Assert.Contains(await BinlogSetup(user.ConnectionString).CheckAsync(default), p => p.Problem.Contains("lacks REPLICATION SLAVE"));

            await db.ExecuteAsync($"SET DEFAULT ROLE {role} FOR '{user.Name}'@'%'");
            Assert.Empty(await BinlogSetup(user.ConnectionString).CheckAsync(default));

            // The right the check saw is the one the binlog dump needs: a row committed now streams to this user.
            await using var reader = await BinlogTestKit.StartAsync(user.ConnectionString);
            await BinlogTestKit.InsertAsync(db, 1, aggregateId: "role");
            var batch = await reader.NextAsync();
            Assert.Equal("role1", BinlogTestKit.Text(Assert.Single(batch.Rows), "aggregateid"));
        }
        finally
        {
            await db.ExecuteAsync($"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task Binlog_settings_that_lose_rows_are_errors_and_missing_row_metadata_a_warning_each_with_its_fix()
    {
        await using var server = await MariaDbInstance.StartAsync("--binlog-format=STATEMENT", "--binlog-row-metadata=MINIMAL");
        var cs = await BinlogTestKit.PrepareAsync(server);
        var problems = await BinlogSetup(cs).CheckAsync(default);
        var format = Assert.Single(problems, p => !p.IsWarning);
        Assert.Contains("logs in STATEMENT format", format.Problem);
        Assert.Contains("binlog_format = ROW", format.Fix);
        var metadata = Assert.Single(problems, p => p.IsWarning);
        Assert.Contains("binlog_row_metadata is MINIMAL", metadata.Problem);
        Assert.Contains("binlog_row_metadata = FULL", metadata.Fix);

        // The fix named works (for new sessions), and the checks pass.
        await server.ExecuteAsync("SET GLOBAL binlog_format = 'ROW'; SET GLOBAL binlog_row_metadata = 'FULL'");
        Assert.Empty(await BinlogSetup(cs).CheckAsync(default));
    }

    [Fact]
    public async Task A_replica_registered_with_the_source_s_server_id_is_a_clash_naming_the_key()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var serverId = Random.Shared.Next(10_000, 1_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var other = BinlogTestKit.Create(db.ConnectionString, new Dictionary<string, string?> { ["ServerId"] = serverId }, name: "other-" + db.Name);
        await other.AcquireAsync(default);
        await using var reading = new SourceReader(other, null);
        await reading.NextIdleAsync(_ => true); // registered and dumping

        var problems = await BinlogSetup(db.ConnectionString, new Dictionary<string, string?> { ["ServerId"] = serverId }).CheckAsync(default);
        var clash = Assert.Single(problems);
        Assert.Contains($"registered with server id {serverId}", clash.Problem);
        Assert.Contains("Relay:Sources:orders:ServerId", clash.Fix);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_problem_without_the_password()
    {
        const string password = "s3cret-Pa55word";
        var cs = $"Server=127.0.0.1;Port=1;User ID=relay;Password={password};Database=shop;ConnectionTimeout=3";
        foreach (var setup in new[] { PollingSetup(cs), BinlogSetup(cs) })
        {
            var problem = Assert.Single(await setup.CheckAsync(default));
            Assert.Contains("Cannot connect to the database of source 'orders'", problem.Problem);
            Assert.Contains("ConnectionString", problem.Fix);
            Assert.DoesNotContain(password, problem.Problem + problem.Fix);
            Assert.Equal(problem, await setup.ApplyAsync(default));
        }
    }

    [Fact]
    public void The_script_creates_the_outbox_of_the_README()
    {
        var readme = File.ReadAllText(Repo.Path("README.md"));
        var ddl = MySqlOutboxDdl().Match(readme[readme.IndexOf("On MySQL 8 or MariaDB", StringComparison.Ordinal)..]);
        Assert.True(ddl.Success, "The README's MySQL outbox DDL was not found.");
        var documented = Columns(ddl.Groups["columns"].Value);

        var polling = PollingSetup("Server=db;User ID=relay;Database=shop").Script();
        var table = polling[0].Sql;
        Assert.StartsWith("CREATE TABLE IF NOT EXISTS `shop`.`outbox` (", table);
        Assert.EndsWith(") ENGINE=InnoDB", table);
        Assert.Equal(documented, Columns(table[(table.IndexOf('(') + 1)..table.LastIndexOf(')')].Replace("`", "")));
        Assert.Contains("-- GRANT SELECT, DELETE ON `shop`.`outbox` TO 'relay'@'%';", polling[^1].Sql);

        // Log tailing needs no order column: the same table without the README's "polling only" line.
        var binlog = BinlogSetup("Server=db;User ID=relay;Database=shop").Script();
        var binlogTable = binlog[0].Sql;
        Assert.Equal(documented.Where(c => !c.StartsWith("seq ", StringComparison.Ordinal)),
            Columns(binlogTable[(binlogTable.IndexOf('(') + 1)..binlogTable.LastIndexOf(')')].Replace("`", "")));
        Assert.Contains("-- GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'relay'@'%';", binlog[^1].Sql);
    }

    /// <summary>The column lines of a CREATE TABLE body, comments dropped, spaces folded.</summary>
    private static List<string> Columns(string body) =>
        body.Split('\n')
            .Select(line => Regex.Replace(line.Split("--")[0], @"\s+", " ").Trim().TrimEnd(','))
            .Where(line => line.Length > 0)
            .ToList();

    [GeneratedRegex(@"```sql\s*CREATE TABLE outbox \((?<columns>.*?)\n\) ENGINE=InnoDB;", RegexOptions.Singleline)]
    private static partial Regex MySqlOutboxDdl();

    private static ISourceSetup PollingSetup(string connectionString)
    {
        var context = PollingHarness.Context(connectionString, kind: MySqlPollingSourceFactory.KindName);
        return context.Services.GetRequiredService<MySqlPollingSourceFactory>().CreateSetup(context)!;
    }

    private static ISourceSetup BinlogSetup(string connectionString, IDictionary<string, string?>? settings = null)
    {
        var context = BinlogTestKit.Context(connectionString, settings, name: "orders");
        return context.Services.GetRequiredService<MySqlBinlogSourceFactory>().CreateSetup(context)!;
    }

    /// <summary>A user of the test server with only the rights a test grants it, dropped afterwards.</summary>
    private sealed class LimitedUser(MySqlDatabase db, string name, string password) : IAsyncDisposable
    {
        public string Name => name;

        public string ConnectionString => new MySqlConnectionStringBuilder(db.ConnectionString) { UserID = name, Password = password }.ConnectionString;

        /// <summary>A user with <paramref name="grant"/>, where {0} stands for the account.</summary>
        public static async Task<LimitedUser> CreateAsync(MySqlDatabase db, string grant)
        {
            var name = "rt_" + Guid.NewGuid().ToString("N")[..12];
            var password = "pw-" + Guid.NewGuid().ToString("N");
            await db.ExecuteAsync($"CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'; " + string.Format(System.Globalization.CultureInfo.InvariantCulture, grant, $"'{name}'@'%'"));
            return new LimitedUser(db, name, password);
        }

        public async ValueTask DisposeAsync()
        {
            MySqlConnection.ClearAllPools();
            await db.ExecuteAsync($"DROP USER IF EXISTS '{name}'@'%'");
        }
    }
}
