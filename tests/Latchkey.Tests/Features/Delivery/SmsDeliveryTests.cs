using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Web;
using Latchkey.Server.Features.Delivery;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Delivery;

/// <summary>SMS through Twilio's API and through a signed webhook, both played by a local HTTP server.</summary>
public abstract class SmsDeliveryTests(ServerFixture fixture) : DeliveryTest(fixture)
{
    private const string WebhookSecret = "a webhook secret of some length";

    private static Dictionary<string, string?> TwilioSettings(Uri baseUrl)
    {
        var settings = SmtpSettings();
        settings["Latchkey:Delivery:Sms:Provider"] = "twilio";
        settings["Latchkey:Delivery:Sms:Twilio:AccountSid"] = "AC0123456789abcdef";
        settings["Latchkey:Delivery:Sms:Twilio:AuthToken"] = "twilio-auth-token";
        settings["Latchkey:Delivery:Sms:Twilio:From"] = "+15005550006";
        settings["Latchkey:Delivery:Sms:Twilio:BaseUrl"] = baseUrl.ToString();
        return settings;
    }

    private static Dictionary<string, string?> WebhookSettings(Uri baseUrl)
    {
        var settings = SmtpSettings();
        settings["Latchkey:Delivery:Sms:Provider"] = "webhook";
        settings["Latchkey:Delivery:Sms:Webhook:Url"] = new Uri(baseUrl, "/sms").ToString();
        settings["Latchkey:Delivery:Sms:Webhook:Secret"] = WebhookSecret;
        return settings;
    }

    [Fact]
    public async Task Twilio_gets_a_form_post_with_basic_auth_to_the_messages_resource()
    {
        await using var twilio = await RecordingHttpServer.StartAsync((request, _) =>
            HttpUtility.ParseQueryString(request.BodyText)["To"] == "+15005550001"
                ? new RecordingHttpServer.Answer(400, """{"code":21211,"message":"The 'To' number +15005550001 is not a valid phone number.","status":400}""")
                : new RecordingHttpServer.Answer(201, """{"sid":"SM0123","status":"queued"}"""));
        var app = await CreateAppAsync();
        var node = Node(TwilioSettings(twilio.BaseAddress));
        var expires = Factory.Clock.GetUtcNow().UtcDateTime.AddMinutes(2);

        var id = await QueueAsync(node, app, new OutgoingMessage(Channels.Sms, "+15558675309", MessageKinds.LoginCode, Code: "731904", ExpiresAt: expires));

        var row = await WaitForRowAsync(id, m => m.Status == MessageStatus.Sent);
        Assert.Equal("twilio", row.Provider);
        Assert.Null(row.ContentSealed);
        var request = Assert.Single(twilio.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/2010-04-01/Accounts/AC0123456789abcdef/Messages.json", request.Path);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("AC0123456789abcdef:twilio-auth-token")), request.Headers["Authorization"]);
        Assert.StartsWith("application/x-www-form-urlencoded", request.Headers["Content-Type"]);
        var form = HttpUtility.ParseQueryString(request.BodyText);
        Assert.Equal("+15558675309", form["To"]);
        Assert.Equal("+15005550006", form["From"]);
        Assert.Equal($"731904 is your Test app {app} sign-in code. It expires in 2 minutes.", form["Body"]);

        // Twilio's 400 (a bad number) will not change on a retry: the message fails at once.
        var refused = await QueueAsync(node, app, new OutgoingMessage(Channels.Sms, "+15005550001", MessageKinds.LoginCode, Code: "555000"));
        var failed = await WaitForRowAsync(refused, m => m.Status == MessageStatus.Failed);
        Assert.Equal(1, failed.Attempts);
        Assert.Equal("Twilio answered 400 (error 21211).", failed.LastError);
        Assert.Null(failed.ContentSealed);
    }

    [Fact]
    public async Task A_failing_webhook_is_retried_after_the_backoff_and_its_signature_verifies()
    {
        await using var webhook = await RecordingHttpServer.StartAsync((_, n) => new RecordingHttpServer.Answer(n == 1 ? 503 : 204));
        var app = await CreateAppAsync();
        var logs = new CapturedLogs();
        var node = Node(WebhookSettings(webhook.BaseAddress), logs);

        var id = await QueueAsync(node, app, new OutgoingMessage(Channels.Sms, "+447700900123", MessageKinds.VerifyCode, "en-GB", "604218",
            ExpiresAt: Factory.Clock.GetUtcNow().UtcDateTime.AddMinutes(15)));

        var failedOnce = await WaitForRowAsync(id, m => m.Attempts == 1 && m.LastError is not null && m.LockedUntil == null);
        Assert.Equal(MessageStatus.Pending, failedOnce.Status);
        Assert.Equal("The SMS webhook answered 503.", failedOnce.LastError);
        AssertSameInstant(Factory.Clock.GetUtcNow().UtcDateTime.AddSeconds(5), failedOnce.NextAttemptAt);

        // Not before the backoff has passed (the worker polls every second on real time).
        await Task.Delay(1500, Ct);
        Assert.Single(webhook.Requests);
        Factory.Clock.Advance(TimeSpan.FromSeconds(6));

        var sent = await WaitForRowAsync(id, m => m.Status == MessageStatus.Sent);
        Assert.Equal(2, sent.Attempts);
        Assert.Equal("webhook", sent.Provider);
        Assert.Null(sent.ContentSealed);
        Assert.Null(sent.LastError);

        Assert.Equal(2, webhook.Requests.Count);
        foreach (var request in webhook.Requests)
        {
            Assert.Equal("/sms", request.Path);
            Assert.StartsWith("application/json", request.Headers["Content-Type"]);
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), request.Body));
            Assert.Equal(expected, request.Headers["X-Latchkey-Signature"]);
            var body = JsonNode.Parse(request.Body)!;
            Assert.Equal(id.ToString(), Str(body, "id"));
            Assert.Equal(app, Str(body, "appId"));
            Assert.Equal("+447700900123", Str(body, "to"));
            Assert.Equal($"604218 is your Test app {app} verification code. It expires in 15 minutes.", Str(body, "body"));
        }

        Assert.Contains("503", logs.Text);
        Assert.DoesNotContain("604218", logs.Text);
        Assert.DoesNotContain("+447700900123", logs.Text);
    }

    [Fact]
    public async Task Two_nodes_send_each_message_once()
    {
        await using var webhook = await RecordingHttpServer.StartAsync((_, _) => new RecordingHttpServer.Answer(200, Delay: TimeSpan.FromMilliseconds(40)));
        var app = await CreateAppAsync();
        var logsA = new CapturedLogs();
        var logsB = new CapturedLogs();
        var nodeA = Node(WebhookSettings(webhook.BaseAddress), logsA);
        var nodeB = Node(WebhookSettings(webhook.BaseAddress), logsB);
        // Both nodes (and their workers) run before the first message is queued.
        _ = nodeA.Services;
        _ = nodeB.Services;

        var ids = new List<Guid>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add(await QueueAsync(i % 2 == 0 ? nodeA : nodeB, app,
                new OutgoingMessage(Channels.Sms, $"+1555010{i:D4}", MessageKinds.LoginCode, Code: $"{i:D6}")));
        }
        foreach (var id in ids)
        {
            Assert.Equal(1, (await WaitForRowAsync(id, m => m.Status == MessageStatus.Sent)).Attempts);
        }

        var sentIds = webhook.Requests.Select(r => Str(JsonNode.Parse(r.Body), "id")).ToList();
        Assert.Equal(ids.Select(i => i.ToString()).Order(), sentIds.Order());
        // Both workers took part: the race was real, and the database decided it.
        var sentByA = ids.Count(id => logsA.Text.Contains($"Sent message {id}", StringComparison.Ordinal));
        var sentByB = ids.Count(id => logsB.Text.Contains($"Sent message {id}", StringComparison.Ordinal));
        Assert.Equal(ids.Count, sentByA + sentByB);
        Assert.True(sentByA > 0 && sentByB > 0, $"node A sent {sentByA}, node B {sentByB}");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SmsDeliveryTests_Sqlite(SqliteServer server) : SmsDeliveryTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SmsDeliveryTests_Postgres(PostgresServer server) : SmsDeliveryTests(server);
