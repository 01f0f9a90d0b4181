using System.Text.RegularExpressions;
using Latchkey.Server.Features.Delivery;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Delivery;

/// <summary>LATCHKEY_DELIVERY=smtp against a real SMTP server (npm smtp-server) on 127.0.0.1.</summary>
public abstract class SmtpDeliveryTests(ServerFixture fixture, SmtpSink sink) : DeliveryTest(fixture), IClassFixture<SmtpSink>
{
    private Dictionary<string, string?> SinkSettings()
    {
        var settings = SmtpSettings(sink.SmtpPort);
        settings["Latchkey:Delivery:Smtp:Username"] = "latchkey";
        settings["Latchkey:Delivery:Smtp:Password"] = "sink password";
        return settings;
    }

    [Fact]
    public async Task A_code_reaches_the_smtp_server_in_text_and_html_and_leaves_no_content_behind()
    {
        var app = await CreateAppAsync();
        var logs = new CapturedLogs();
        var node = Node(SinkSettings(), logs);
        var email = NewEmail("smtp");
        var expires = Factory.Clock.GetUtcNow().UtcDateTime.AddMinutes(10);

        var id = await QueueAsync(node, app, new OutgoingMessage(Channels.Email, email, MessageKinds.LoginCode, "en-US", "390217", ExpiresAt: expires));

        var mail = await sink.WaitForAsync(email, Ct);
        Assert.StartsWith("Your Test app", Str(mail, "subject"));
        Assert.Contains("390217", Str(mail, "text"));
        Assert.Contains("390217", Str(mail, "html"));
        Assert.Contains("10 minutes", Str(mail, "text"));
        Assert.Equal("multipart/alternative", Str(mail, "contentType"));
        Assert.Equal("no-reply@latchkey.test", Str(mail, "from"));
        Assert.Equal("latchkey", Str(mail, "user"));

        var row = await WaitForRowAsync(id, m => m.Status == MessageStatus.Sent);
        Assert.Equal("smtp", row.Provider);
        Assert.Equal(1, row.Attempts);
        Assert.Null(row.ContentSealed);
        Assert.Null(row.LastError);
        AssertSameInstant(Factory.Clock.GetUtcNow().UtcDateTime, row.SentAt);

        Assert.Contains(id.ToString(), logs.Text);
        Assert.DoesNotContain("390217", logs.Text);
        Assert.DoesNotContain(email, logs.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_sign_in_code_asked_for_over_http_arrives_by_smtp_and_signs_in()
    {
        var app = await CreateAppAsync(new { methods = new[] { "password", "emailCode" } });
        var node = Node(SinkSettings());
        var client = node.CreateClient();
        var email = NewEmail("http");

        var sent = await OkJsonAsync(await client.PostAsJsonAsync($"/v1/apps/{app}/login/code",
            new { email, device = new { language = new { code = "en" } } }, Ct));

        var mail = await sink.WaitForAsync(email, Ct);
        var code = Regex.Match(Str(mail, "text"), @"^\s+(\d{6})\s*$", RegexOptions.Multiline).Groups[1].Value;
        Assert.Matches("^[0-9]{6}$", code);
        Assert.Contains(code, Str(mail, "html"));
        var tokens = await OkJsonAsync(await client.PostAsJsonAsync($"/v1/apps/{app}/login/code/verify",
            new { challengeId = Str(sent, "challengeId"), code }, Ct));
        Assert.Equal(email, Str(tokens["user"], "email"));
    }

    [Fact]
    public async Task Each_app_sends_from_its_own_address_or_the_deployments()
    {
        var branded = await CreateAppAsync();
        await PatchAppAsync(branded, new { settings = new { emailFrom = "Acme Support <hello@acme.test>" } });
        var plain = await CreateAppAsync();
        var node = Node(SinkSettings());
        var toBranded = NewEmail("branded");
        var toPlain = NewEmail("plain");

        await QueueAsync(node, branded, new OutgoingMessage(Channels.Email, toBranded, MessageKinds.Welcome));
        await QueueAsync(node, plain, new OutgoingMessage(Channels.Email, toPlain, MessageKinds.Welcome));

        var fromBranded = await sink.WaitForAsync(toBranded, Ct);
        Assert.Equal("hello@acme.test", Str(fromBranded, "from"));
        Assert.Equal("Acme Support", Str(fromBranded, "fromName"));
        Assert.Equal("hello@acme.test", Str(fromBranded["envelope"], "from"));
        Assert.Equal("no-reply@latchkey.test", Str(await sink.WaitForAsync(toPlain, Ct), "from"));
    }

    [Fact]
    public async Task An_app_template_in_the_device_language_is_what_the_mail_says()
    {
        var app = await CreateAppAsync();
        var token = await AdminTokenAsync();
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/templates/recoveryCode/de", JsonContent.Create(new
        {
            subject = "Passwort für {{appName}} zurücksetzen",
            text = "Dein Code: {{code}}",
            html = "<p>Dein Code: <strong>{{code}}</strong></p>",
        }), token));
        var node = Node(SinkSettings());
        var german = NewEmail("de");
        var english = NewEmail("en");

        await QueueAsync(node, app, new OutgoingMessage(Channels.Email, german, MessageKinds.RecoveryCode, "de-DE", "246810"));
        await QueueAsync(node, app, new OutgoingMessage(Channels.Email, english, MessageKinds.RecoveryCode, "es-ES", "135791"));

        var de = await sink.WaitForAsync(german, Ct);
        Assert.StartsWith("Passwort für Test app", Str(de, "subject"));
        Assert.Equal("Dein Code: 246810", Str(de, "text").Trim());
        Assert.Contains("<strong>246810</strong>", Str(de, "html"));
        var en = await sink.WaitForAsync(english, Ct);
        Assert.StartsWith("Reset your Test app", Str(en, "subject"));
        Assert.Contains("135791", Str(en, "text"));
    }

    [Fact]
    public async Task A_refused_connection_is_retried_with_backoff_without_recording_the_message()
    {
        var app = await CreateAppAsync();
        // Port 9 (discard) has no SMTP server on the test machine.
        var node = Node(SmtpSettings(9));
        var email = NewEmail("unreachable");

        var id = await QueueAsync(node, app, new OutgoingMessage(Channels.Email, email, MessageKinds.SignupCode, Code: "864209"));

        var row = await WaitForRowAsync(id, m => m.LastError is not null);
        Assert.Equal(MessageStatus.Pending, row.Status);
        Assert.Equal(1, row.Attempts);
        AssertSameInstant(Factory.Clock.GetUtcNow().UtcDateTime.AddSeconds(5), row.NextAttemptAt);
        Assert.DoesNotContain("864209", row.LastError);
        Assert.DoesNotContain(email, row.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(row.ContentSealed);

        // Fail it for good so that it does not linger for the next test's nodes.
        for (var attempt = 2; attempt <= 8; attempt++)
        {
            Factory.Clock.Advance(TimeSpan.FromHours(2));
            row = await WaitForRowAsync(id, m => m.Attempts == attempt && m.LockedUntil == null);
        }
        Assert.Equal(MessageStatus.Failed, row.Status);
        Assert.Null(row.ContentSealed);
        Assert.Null(row.SentAt);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SmtpDeliveryTests_Sqlite(SqliteServer server, SmtpSink sink) : SmtpDeliveryTests(server, sink);

[Collection(PostgresCollection.Name)]
public sealed class SmtpDeliveryTests_Postgres(PostgresServer server, SmtpSink sink) : SmtpDeliveryTests(server, sink);
