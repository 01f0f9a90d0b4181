using System.Net;
using Latchkey.Server.Features.Delivery;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Delivery;

/// <summary>The outbox API: what an outbox server "sent", and nothing on a server that delivers for real.</summary>
public abstract class OutboxTests(ServerFixture fixture) : DeliveryTest(fixture)
{
    [Fact]
    public async Task The_outbox_lists_an_apps_messages_newest_first_and_filters_by_recipient()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var token = await AdminTokenAsync();
        var ada = NewEmail("ada");
        var expires = Factory.Clock.GetUtcNow().UtcDateTime.AddMinutes(1);

        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Email, ada, MessageKinds.SignupCode, Code: "100001", ExpiresAt: expires));
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Sms, "+15550100002", MessageKinds.LoginCode, Code: "100002", ExpiresAt: expires));
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        // The same person, typed differently: the filter normalises emails.
        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Email, "  " + ada.ToUpperInvariant(), MessageKinds.VerifyLink,
            Link: "https://example.com/verify?t=abc", ExpiresAt: expires));
        await QueueAsync(Factory, other, new OutgoingMessage(Channels.Email, ada, MessageKinds.Welcome));

        var all = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/outbox", token));
        Assert.Equal(["verifyLink", "loginCode", "signupCode"], all.Select(m => Str(m, "kind")));
        var first = all[2]!.AsObject();
        foreach (var field in new[] { "id", "to", "channel", "kind", "subject", "body", "html", "code", "link", "status", "sentAt", "createdAt" })
        {
            Assert.True(first.ContainsKey(field), $"outbox item has no {field}");
        }
        Assert.Equal(ada, Str(first, "to"));
        Assert.Equal("email", Str(first, "channel"));
        Assert.Equal("100001", Str(first, "code"));
        Assert.Equal("sent", Str(first, "status"));
        Assert.NotNull(first["sentAt"]);

        var toAda = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/outbox?to={Uri.EscapeDataString(" " + ada.ToUpperInvariant())}", token));
        Assert.Equal(["verifyLink", "signupCode"], toAda.Select(m => Str(m, "kind")));
        Assert.Equal("https://example.com/verify?t=abc", Str(toAda[0], "link"));
        Assert.Contains("https://example.com/verify?t=abc", Str(toAda[0], "body"));

        var toPhone = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/outbox?to=%2B15550100002", token));
        Assert.Equal("100002", Str(Assert.Single(toPhone), "code"));
        Assert.Equal("100002", Str(Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/outbox?to=+15550100002", token))), "code"));
        Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/outbox?limit=1", token)));
        Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{other}/outbox", token)));
    }

    [Fact]
    public async Task A_sign_in_code_sent_over_http_is_in_the_outbox_when_the_request_returns()
    {
        var app = await CreateAppAsync(new { methods = new[] { "password", "emailCode" } });
        var token = await AdminTokenAsync();
        var email = NewEmail("outbox");

        var sent = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code", new { email }));

        var message = Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/outbox?to={Uri.EscapeDataString(email)}", token)))!;
        Assert.Equal("loginCode", Str(message, "kind"));
        var code = Str(message, "code");
        Assert.Matches("^[0-9]{6}$", code);
        Assert.Contains(code, Str(message, "body"));
        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code/verify", new { challengeId = Str(sent, "challengeId"), code }));
        Assert.Equal(email, Str(tokens["user"], "email"));
    }

    [Fact]
    public async Task A_server_that_delivers_for_real_has_no_outbox()
    {
        var app = await CreateAppAsync();
        var token = await AdminTokenAsync();
        var node = Node(SmtpSettings());
        var client = node.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/admin/apps/{app}/outbox");
        request.Headers.Authorization = new("Bearer", token);
        var body = await AssertProblemAsync(await client.SendAsync(request, Ct), HttpStatusCode.NotFound, "not_found");
        Assert.Contains("outbox", Str(body, "detail"));
    }

    [Fact]
    public async Task Only_admins_read_an_apps_outbox()
    {
        var app = await CreateAppAsync();
        var user = await SignUpAsync(app);

        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/outbox", Str(user, "access_token")), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/outbox"), HttpStatusCode.Unauthorized, "unauthorized");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OutboxTests_Sqlite(SqliteServer server) : OutboxTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OutboxTests_Postgres(PostgresServer server) : OutboxTests(server);
