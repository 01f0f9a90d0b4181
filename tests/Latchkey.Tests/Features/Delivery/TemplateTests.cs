using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Delivery;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Delivery;

/// <summary>Per-app templates by kind and language, on the outbox server of the collection.</summary>
public abstract class TemplateTests(ServerFixture fixture) : DeliveryTest(fixture)
{
    [Fact]
    public async Task Built_in_english_templates_name_the_app_the_code_and_the_expiry()
    {
        var app = await CreateAppAsync();
        var token = await PatchAppAsync(app, new { name = "Tom & Jerry <Inc>" });
        var now = Factory.Clock.GetUtcNow().UtcDateTime;
        var email = NewEmail("builtin");

        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Email, email, MessageKinds.LoginCode, Code: "482913", ExpiresAt: now.AddMinutes(10)));
        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Sms, "+15550100001", MessageKinds.RecoveryLink,
            Link: "https://example.com/reset?t=a&b=<c>", ExpiresAt: now.AddHours(1)));

        var mail = Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/outbox?to={Uri.EscapeDataString(email)}", token)))!;
        Assert.Equal("Your Tom & Jerry <Inc> sign-in code", Str(mail, "subject"));
        Assert.Contains("482913", Str(mail, "body"));
        Assert.Contains("10 minutes", Str(mail, "body"));
        Assert.Contains("Tom & Jerry <Inc>", Str(mail, "body"));
        Assert.Contains("482913", Str(mail, "html"));
        Assert.Contains("Tom &amp; Jerry &lt;Inc&gt;", Str(mail, "html"));
        Assert.DoesNotContain("<Inc>", Str(mail, "html"));

        var sms = Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/outbox?to=%2B15550100001", token)))!;
        Assert.Equal("sms", Str(sms, "channel"));
        Assert.Null(sms["subject"]);
        Assert.Null(sms["html"]);
        Assert.Equal("Reset your Tom & Jerry <Inc> password: https://example.com/reset?t=a&b=<c> (expires in 1 hour)", Str(sms, "body"));
    }

    [Fact]
    public void Every_kind_has_a_built_in_template_that_uses_only_known_placeholders()
    {
        foreach (var kind in MessageKinds.All)
        {
            var template = BuiltInTemplates.For(kind);
            Assert.Contains("{{appName}}", template.Subject + template.Text);
            Assert.NotNull(template.Html);
            Assert.NotNull(template.Sms);
            Assert.Empty(TemplateText.Unknown(template.Subject + template.Text + template.Html + template.Sms));
        }
        Assert.Equal(["de-at", "de", "en"], TemplateCatalog.LanguageChain("de_AT"));
        Assert.Equal(["en"], TemplateCatalog.LanguageChain(null));
        Assert.Equal(["zh-hant-tw", "zh-hant", "zh", "en"], TemplateCatalog.LanguageChain("zh-Hant-TW"));
    }

    [Fact]
    public async Task An_apps_template_in_the_device_language_is_used_and_english_otherwise()
    {
        var app = await CreateAppAsync();
        var token = await AdminTokenAsync();
        var put = await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/templates/loginCode/de", JsonContent.Create(new
        {
            subject = "Dein Anmeldecode für {{appName}}",
            text = "Dein Code lautet {{ code }}. Er gilt {{expiresInMinutes}} Minuten.",
            html = "<p>Code: <b>{{code}}</b> für {{appName}}</p>",
            sms = "{{code}} ist dein Code",
        }), token);
        var saved = await OkJsonAsync(put);
        Assert.Equal("de", Str(saved, "language"));
        Assert.Equal("loginCode", Str(saved, "kind"));

        var listed = Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/templates", token)))!;
        Assert.Equal("Dein Anmeldecode für {{appName}}", Str(listed, "subject"));

        var now = Factory.Clock.GetUtcNow().UtcDateTime;
        var german = NewEmail("de");
        var french = NewEmail("fr");
        var plain = NewEmail("none");
        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Email, german, MessageKinds.LoginCode, "de-DE", "111222", ExpiresAt: now.AddMinutes(5)));
        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Email, french, MessageKinds.LoginCode, "fr-FR", "333444", ExpiresAt: now.AddMinutes(5)));
        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Email, plain, MessageKinds.LoginCode, null, "555666", ExpiresAt: now.AddMinutes(5)));
        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Sms, "+4915550100", MessageKinds.LoginCode, "de", "777888"));

        var de = await OneAsync(app, german, token);
        Assert.StartsWith("Dein Anmeldecode für Test app", Str(de, "subject"));
        Assert.Equal("Dein Code lautet 111222. Er gilt 5 Minuten.", Str(de, "body"));
        Assert.StartsWith("<p>Code: <b>111222</b> für Test app", Str(de, "html"));
        Assert.StartsWith("Your Test app", Str(await OneAsync(app, french, token), "subject"));
        Assert.StartsWith("Your Test app", Str(await OneAsync(app, plain, token), "subject"));
        Assert.Equal("777888 ist dein Code", Str(await OneAsync(app, "+4915550100", token), "body"));

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/templates/loginCode/DE", token)).StatusCode);
        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{app}/templates/loginCode/de", token), HttpStatusCode.NotFound, "not_found");
        var after = NewEmail("after");
        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Email, after, MessageKinds.LoginCode, "de-DE", "999000"));
        Assert.StartsWith("Your Test app", Str(await OneAsync(app, after, token), "subject"));
    }

    [Fact]
    public async Task An_english_app_template_replaces_the_built_in_one_for_every_language_without_its_own()
    {
        var app = await CreateAppAsync();
        var token = await AdminTokenAsync();
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/templates/welcome/en",
            JsonContent.Create(new { subject = "Hi from {{appName}}", text = "Glad you are here." }), token));
        var email = NewEmail("welcome");

        await QueueAsync(Factory, app, new OutgoingMessage(Channels.Email, email, MessageKinds.Welcome, "pt-BR"));

        var mail = await OneAsync(app, email, token);
        Assert.StartsWith("Hi from Test app", Str(mail, "subject"));
        Assert.Equal("Glad you are here.", Str(mail, "body"));
        Assert.Contains("<p>Glad you are here.</p>", Str(mail, "html"));
    }

    [Fact]
    public async Task Bad_template_input_is_refused_with_errors_per_field()
    {
        var app = await CreateAppAsync();
        var token = await AdminTokenAsync();

        var badRoute = await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/templates/bogusKind/not_a-language-tag-at-all",
            JsonContent.Create(new { subject = "Hi {{who}}", text = "{{code}} {{password}}", html = "<p>{{ secret }}</p>", sms = "{{code}}" }), token);
        var errors = (await AssertProblemAsync(badRoute, HttpStatusCode.BadRequest, "invalid_request"))["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("kind"));
        Assert.True(errors.ContainsKey("language"));
        Assert.Contains("{{who}}", errors["subject"]![0]!.GetValue<string>());
        Assert.Contains("{{password}}", errors["text"]![0]!.GetValue<string>());
        Assert.Contains("{{secret}}", errors["html"]![0]!.GetValue<string>());
        Assert.False(errors.ContainsKey("sms"));

        var tooLong = await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/templates/loginCode/en",
            JsonContent.Create(new { subject = new string('s', 201), text = "", sms = new string('x', 641) }), token);
        var lengthErrors = (await AssertProblemAsync(tooLong, HttpStatusCode.BadRequest, "invalid_request"))["errors"]!.AsObject();
        Assert.True(lengthErrors.ContainsKey("subject"));
        Assert.True(lengthErrors.ContainsKey("text"));
        Assert.True(lengthErrors.ContainsKey("sms"));

        var twoLines = await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/templates/loginCode/en",
            JsonContent.Create(new { subject = "Code\r\nBcc: all@example.com", text = "{{code}}" }), token);
        Assert.True((await AssertProblemAsync(twoLines, HttpStatusCode.BadRequest, "invalid_request"))["errors"]!.AsObject().ContainsKey("subject"));

        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/templates", token)));
    }

    [Fact]
    public async Task Templates_need_an_admin_of_the_app()
    {
        var app = await CreateAppAsync();
        var user = await SignUpAsync(app);

        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/templates"), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/templates", Str(user, "access_token")), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await GetAsync("/v1/admin/apps/no-such-app/templates", await AdminTokenAsync()), HttpStatusCode.NotFound, "app_not_found");
    }

    private async Task<JsonNode> OneAsync(string app, string to, string token) =>
        Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/outbox?to={Uri.EscapeDataString(to)}", token)))!;
}

[Collection(SqliteCollection.Name)]
public sealed class TemplateTests_Sqlite(SqliteServer server) : TemplateTests(server);

[Collection(PostgresCollection.Name)]
public sealed class TemplateTests_Postgres(PostgresServer server) : TemplateTests(server);
