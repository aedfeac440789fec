using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>The text form MySQL values decode to (the normal form every Relay source writes).</summary>
public sealed class MySqlValueTextTests
{
    [Fact]
    public void Integers_and_floating_point()
    {
        Assert.Equal("-7", MySqlValueText.Integer(-7));
        Assert.Equal("18446744073709551615", MySqlValueText.Integer(ulong.MaxValue));
        Assert.Equal("0.1", MySqlValueText.Double(0.1));
        Assert.Equal("1E+20", MySqlValueText.Double(1e20));
        // FLOAT through the float value: 3.14159f widened to double would print 3.141590118408203.
        Assert.Equal("3.14159", MySqlValueText.Float(3.14159f));
    }

    [Theory]
    [InlineData(false, "001250", 2, "12.50")]
    [InlineData(true, "0001", 3, "-0.001")]
    [InlineData(true, "0000", 2, "0.00")]
    [InlineData(false, "12345", 5, "0.12345")]
    [InlineData(false, "000", 0, "0")]
    [InlineData(true, "0042", 0, "-42")]
    public void Decimals_keep_their_scale(bool negative, string digits, int scale, string expected)
    {
        Assert.Equal(expected, MySqlValueText.Decimal(negative, digits, scale));
    }

    [Fact]
    public void Dates_and_times()
    {
        Assert.Equal("2024-02-29", MySqlValueText.Date(2024, 2, 29));
        Assert.Equal("0000-00-00", MySqlValueText.Date(0, 0, 0));
        Assert.Equal("2024-02-29T13:14:15", MySqlValueText.DateTime(2024, 2, 29, 13, 14, 15, 0, utc: false));
        Assert.Equal("2024-02-29T13:14:15.12Z", MySqlValueText.DateTime(2024, 2, 29, 13, 14, 15, 120000, utc: true));
        Assert.Equal("0000-00-00T00:00:00", MySqlValueText.DateTime(0, 0, 0, 0, 0, 0, 0, utc: false));
        Assert.Equal("1970-01-01T00:00:01.000001Z", MySqlValueText.Timestamp(1, 1));
        Assert.Equal("-838:59:59", MySqlValueText.Time(true, 838, 59, 59, 0));
        Assert.Equal("01:02:03.4", MySqlValueText.Time(false, 1, 2, 3, 400000));
        Assert.Equal("-00:00:00.001", MySqlValueText.Time(true, 0, 0, 0, 1000));
        Assert.Equal("00:00:00", MySqlValueText.Time(true, 0, 0, 0, 0));
        Assert.Equal("2024", MySqlValueText.Year(2024));
        Assert.Equal("0000", MySqlValueText.Year(0));
    }
}
