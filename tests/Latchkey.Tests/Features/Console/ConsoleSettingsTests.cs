using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Latchkey.Server.Features.Apps;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.AdminConsole;

public abstract class ConsoleSettingsTests(ServerFixture fixture) : ConsoleTest(fixture)
{
    [Fact]
    public async Task Every_setting_the_API_has_is_a_field_of_the_settings_form()
    {
        var app = await CreateAppAsync();
        using var browser = await SuperAdminAsync();

        var page = await browser.GetAsync($"/console/apps/{app}", Ct);

        var names = typeof(AppSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))
            .ToList();
        var api = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}", await AdminTokenAsync()));
        // The reflected list is the API's list: every setting the API answers, and no more.
        Assert.Equal(api["settings"]!.AsObject().Select(s => s.Key).Order(), names.Order());
        var form = page.Form();
        var missing = names.Where(n => !form.Names.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "Not on the settings form: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Every_field_of_the_settings_page_has_a_label()
    {
        var app = await CreateAppAsync();
        using var browser = await SuperAdminAsync();

        var page = await browser.GetAsync($"/console/apps/{app}", Ct);

        var labelled = Regex.Matches(page.Html, "<label for=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToHashSet();
        var controls = Regex.Matches(page.Html, "<(input|select|textarea)\\b([^>]*)>")
            .Select(m => m.Groups[2].Value)
            .Where(a => !a.Contains("type=\"hidden\""))
            .Select(a => Regex.Match(a, "id=\"([^\"]+)\"").Groups[1].Value)
            .ToList();
        Assert.NotEmpty(controls);
        Assert.All(controls, id => Assert.True(id.Length > 0 && labelled.Contains(id), $"The control '{id}' has no label."));
        Assert.Contains("<svg", page.Html);
        Assert.Contains($"/v1/apps/{app}</code>", page.Html);
    }

    [Fact]
    public async Task Saving_the_settings_form_changes_exactly_what_was_changed()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        using var browser = await SuperAdminAsync();
        var page = await browser.GetAsync($"/console/apps/{app}", Ct);

        var saved = await browser.SubmitAsync(page, null, f => f
            .Set("accessMode", "open")
            .Set("codeTimeoutSeconds", "300")
            .Set("methods", "password", "emailCode")
            .Set("ipRanges", "10.0.0.0/8\r\n192.0.2.10-192.0.2.20\r\n")
            .Set("idleLimitSeconds", "600")
            .Remove("usernamesEnabled").Set("usernamesEnabled", "true")
            .Set("name", "Renamed in the console"), Ct);

        Assert.Equal(HttpStatusCode.Redirect, saved.Status);
        Assert.Equal($"/console/apps/{app}?done=saved", saved.Location);
        var stored = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}", await AdminTokenAsync()));
        var settings = stored["settings"]!;
        Assert.Equal("Renamed in the console", Str(stored, "name"));
        Assert.Equal("open", Str(settings, "accessMode"));
        Assert.Equal("code", Str(settings, "signupFlow"));
        Assert.Equal(300, settings["codeTimeoutSeconds"]!.GetValue<int>());
        Assert.Equal(["password", "emailCode"], settings["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(["10.0.0.0/8", "192.0.2.10-192.0.2.20"], settings["ipRanges"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(600, settings["idleLimitSeconds"]!.GetValue<int>());
        Assert.True(settings["usernamesEnabled"]!.GetValue<bool>());
        Assert.Equal(900, settings["accessTokenLifetimeSeconds"]!.GetValue<int>());

        // The page shows what is stored, the custom timeout in its own field.
        var again = await browser.GetAsync(saved.Location!, Ct);
        Assert.Contains("The settings are saved.", again.Html);
        Assert.Equal("300", again.Form().Value("codeTimeoutSeconds"));
        var custom = await browser.SubmitAsync(again, null, f => f.Set("codeTimeoutSeconds", "custom").Set("codeTimeoutSecondsCustom", "45"), Ct);
        Assert.Equal(HttpStatusCode.Redirect, custom.Status);
        var shown = await browser.GetAsync($"/console/apps/{app}", Ct);
        Assert.Equal("custom", shown.Form().Value("codeTimeoutSeconds"));
        Assert.Equal("45", shown.Form().Value("codeTimeoutSecondsCustom"));
    }

    [Fact]
    public async Task A_bad_value_is_shown_next_to_its_field_and_nothing_is_stored()
    {
        var app = await CreateAppAsync();
        using var browser = await SuperAdminAsync();
        var page = await browser.GetAsync($"/console/apps/{app}", Ct);

        var refused = await browser.SubmitAsync(page, null, f => f
            .Set("codeMaxAttempts", "99")
            .Set("ipRanges", "not a network")
            .Set("accessMode", "inviteOnly"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        AssertReadable(refused);
        Assert.Equal("Error: codeMaxAttempts must be between 1 and 10.", refused.TextOf("f-codeMaxAttempts-error"));
        Assert.StartsWith("Error: ", refused.TextOf("f-ipRanges-error"));
        Assert.Contains("href=\"#f-codeMaxAttempts\"", refused.Html);
        Assert.Contains("aria-invalid=\"true\"", refused.Html);
        // The form keeps what was typed.
        Assert.Equal("99", refused.Form().Value("codeMaxAttempts"));
        Assert.Equal("inviteOnly", refused.Form().Value("accessMode"));
        var stored = (await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}", await AdminTokenAsync())))["settings"]!;
        Assert.Equal(5, stored["codeMaxAttempts"]!.GetValue<int>());
        Assert.Equal("open", Str(stored, "accessMode"));

        var notANumber = await browser.SubmitAsync(page, null, f => f.Set("pinMaxAttempts", "three"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, notANumber.Status);
        Assert.Equal("Error: Enter a whole number.", notANumber.TextOf("f-pinMaxAttempts-error"));
    }

    [Fact]
    public async Task Server_keys_are_created_with_their_secret_shown_once_and_revoked()
    {
        var app = await CreateAppAsync();
        using var browser = await SuperAdminAsync();
        var page = await browser.GetAsync($"/console/apps/{app}", Ct);

        var created = await browser.SubmitAsync(page, "CreateServerKey", f => f.Set("keyName", "shop backend"), Ct);

        Assert.Equal(HttpStatusCode.OK, created.Status);
        var id = created.TextOf("new-key-id")!;
        var secret = created.TextOf("new-key-secret")!;
        using var basic = new HttpRequestMessage(HttpMethod.Get, $"/v1/apps/{app}/invitations");
        basic.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{id}:{secret}")));
        Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(basic, Ct)).StatusCode);
        var later = await browser.GetAsync($"/console/apps/{app}", Ct);
        Assert.DoesNotContain(secret, later.Html);

        var revoked = await browser.SubmitAsync(later, "RevokeServerKey", null, Ct);
        Assert.Equal($"/console/apps/{app}?done=key-revoked#server-keys", revoked.Location);
        var keys = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/server-keys", await AdminTokenAsync()));
        Assert.NotNull(keys.Single()!["revokedAt"]?.GetValue<DateTime>());
    }

    [Fact]
    public async Task Rotating_the_signing_key_publishes_the_next_one()
    {
        var app = await CreateAppAsync();
        using var browser = await SuperAdminAsync();
        var page = await browser.GetAsync($"/console/apps/{app}", Ct);
        Assert.Single(Regex.Matches(page.Html, "<span class=\"badge good\">active</span>"));

        var rotated = await browser.SubmitAsync(page, "Rotate", null, Ct);

        Assert.Equal(HttpStatusCode.Redirect, rotated.Status);
        var keys = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/keys", await AdminTokenAsync()));
        Assert.Equal(2, keys.Count);
        Assert.Contains(keys, k => Str(k, "state") == "next");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ConsoleSettingsTests_Sqlite(SqliteServer server) : ConsoleSettingsTests(server);

[Collection(PostgresCollection.Name)]
public sealed class ConsoleSettingsTests_Postgres(PostgresServer server) : ConsoleSettingsTests(server);
