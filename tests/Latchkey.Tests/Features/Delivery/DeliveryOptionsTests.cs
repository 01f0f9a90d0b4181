using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Delivery;

/// <summary>A delivery configuration that cannot work stops the server at start, saying what to set.</summary>
public abstract class DeliveryOptionsTests(ServerFixture fixture) : DeliveryTest(fixture)
{
    [Theory]
    [InlineData("Latchkey:Delivery:Smtp:Host", "", "LATCHKEY_SMTP_HOST")]
    [InlineData("Latchkey:Delivery:Mode", "carrier-pigeon", "LATCHKEY_DELIVERY must be one of")]
    [InlineData("Latchkey:Delivery:Smtp:Security", "ssl3", "LATCHKEY_SMTP_SECURITY")]
    [InlineData("Latchkey:Delivery:Sms:Provider", "twilio", "LATCHKEY_TWILIO_ACCOUNT_SID")]
    [InlineData("Latchkey:Delivery:Sms:Provider", "webhook", "LATCHKEY_SMS_WEBHOOK_URL")]
    [InlineData("Latchkey:Delivery:Sms:Provider", "pager", "LATCHKEY_SMS must be one of")]
    public void A_bad_delivery_setting_stops_the_start_with_a_clear_message(string key, string value, string expected)
    {
        var settings = SmtpSettings();
        settings[key] = value;
        var node = Node(settings);

        var error = Record.Exception(() => node.Services);

        Assert.NotNull(error);
        Assert.Contains(expected, error.ToString());
    }
}

[Collection(SqliteCollection.Name)]
public sealed class DeliveryOptionsTests_Sqlite(SqliteServer server) : DeliveryOptionsTests(server);

[Collection(PostgresCollection.Name)]
public sealed class DeliveryOptionsTests_Postgres(PostgresServer server) : DeliveryOptionsTests(server);
