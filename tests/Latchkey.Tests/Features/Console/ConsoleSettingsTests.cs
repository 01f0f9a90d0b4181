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
    private static HtmlForm Section(ConsolePage page, string section) => page.Form("Save", "section=" + section);

    private static readonly string[] Sections = ["app", "access", "authenticate", "lifetimes", "extra", "second-factor", "plans"];

    [Fact]
    public async Task Every_setting_the_API_has_is_a_field_of_exactly_one_section()
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
        var fields = Sections.SelectMany(s => Section(page, s).Names.Distinct().Where(n => n != "__RequestVerificationToken").Select(n => (Section: s, Name: n))).ToList();
        var missing = names.Where(n => fields.All(f => f.Name != n)).ToList();
        Assert.True(missing.Count == 0, "In no section of the settings page: " + string.Join(", ", missing));
        var twice = fields.GroupBy(f => f.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, "In more than one section: " + string.Join(", ", twice));
        Assert.Equal(["name"], fields.Where(f => f.Section == "app").Select(f => f.Name));
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
    public async Task Saving_a_section_changes_exactly_what_was_changed_in_it()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        using var browser = await SuperAdminAsync();
        var page = await browser.GetAsync($"/console/apps/{app}", Ct);

        var access = await browser.SubmitAsync(page, "Save", f => f.Set("accessMode", "open").Set("usernamesEnabled", "true"), Ct, "section=access");
        Assert.Equal(HttpStatusCode.Redirect, access.Status);
        Assert.Equal($"/console/apps/{app}?done=saved&section=access#access", access.Location);
        var signIn = await browser.SubmitAsync(page, "Save", f => f.Set("codeTimeoutSeconds", "300").Set("methods", "password", "emailCode"), Ct, "section=authenticate");
        Assert.Equal(HttpStatusCode.Redirect, signIn.Status);
        var extra = await browser.SubmitAsync(page, "Save", f => f.Set("ipRanges", "10.0.0.0/8\r\n192.0.2.10-192.0.2.20\r\n").Set("idleLimitSeconds", "600"), Ct, "section=extra");
        Assert.Equal(HttpStatusCode.Redirect, extra.Status);
        var name = await browser.SubmitAsync(page, "Save", f => f.Set("name", "Renamed in the console"), Ct, "section=app");
        Assert.Equal(HttpStatusCode.Redirect, name.Status);

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

        // The page shows what is stored, and the saved section says so.
        var again = await browser.GetAsync(access.Location!, Ct);
        Assert.Equal("Saved.", again.TextOf("saved-access"));
        Assert.Null(again.TextOf("saved-extra"));
        Assert.Equal("300", Section(again, "authenticate").Value("codeTimeoutSeconds"));
        Assert.Equal("open", Section(again, "access").Value("accessMode"));
        var unchanged = await browser.SubmitAsync(again, "Save", null, Ct, "section=plans");
        Assert.Equal($"/console/apps/{app}?done=unchanged&section=plans#plans", unchanged.Location);
    }

    [Fact]
    public async Task Saving_one_section_leaves_the_other_sections_as_stored()
    {
        var app = await CreateAppAsync();
        using var browser = await SuperAdminAsync();
        var stale = await browser.GetAsync($"/console/apps/{app}", Ct);
        // Meanwhile another admin changes settings of other sections through the API.
        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}",
            new { settings = new { accessTokenLifetimeSeconds = 1200, ipRanges = new[] { "10.0.0.0/8" }, mfaPolicy = "required" } }, await AdminTokenAsync()));

        // The stale page's access section is saved, with a forged field of another section added.
        var saved = await browser.SubmitAsync(stale, "Save", f => f.Set("invitationsEnabled", "true").Set("accessTokenLifetimeSeconds", "60"), Ct, "section=access");

        Assert.Equal(HttpStatusCode.Redirect, saved.Status);
        var settings = (await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}", await AdminTokenAsync())))["settings"]!;
        Assert.True(settings["invitationsEnabled"]!.GetValue<bool>());
        Assert.Equal(1200, settings["accessTokenLifetimeSeconds"]!.GetValue<int>());
        Assert.Equal(["10.0.0.0/8"], settings["ipRanges"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("required", Str(settings, "mfaPolicy"));
        var shown = await browser.GetAsync($"/console/apps/{app}", Ct);
        Assert.Equal("1200", Section(shown, "lifetimes").Value("accessTokenLifetimeSeconds"));
        Assert.Equal("required", Section(shown, "second-factor").Value("mfaPolicy"));
        // The audit trail records the one setting that changed.
        var trail = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/audit?action=app.update&limit=1", await AdminTokenAsync()));
        Assert.Equal("invitationsEnabled", trail.Single()!["detail"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_bad_value_is_shown_next_to_its_field_in_its_section_and_nothing_is_stored()
    {
        var app = await CreateAppAsync();
        using var browser = await SuperAdminAsync();
        var page = await browser.GetAsync($"/console/apps/{app}", Ct);

        var refused = await browser.SubmitAsync(page, "Save", f => f
            .Set("codeMaxAttempts", "99")
            .Set("linkTimeoutSeconds", "120"), Ct, "section=authenticate");

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        AssertReadable(refused);
        Assert.Equal("Error: codeMaxAttempts must be between 1 and 10.", refused.TextOf("f-codeMaxAttempts-error"));
        Assert.Contains("href=\"#f-codeMaxAttempts\"", refused.Html);
        Assert.Contains("aria-invalid=\"true\"", refused.Html);
        // The problem shows in the section it is about, before the next section.
        var summary = refused.Html.IndexOf("class=\"error-summary\"", StringComparison.Ordinal);
        Assert.InRange(summary, refused.Html.IndexOf("id=\"authenticate\"", StringComparison.Ordinal), refused.Html.IndexOf("id=\"lifetimes\"", StringComparison.Ordinal));
        // The section keeps what was typed; the others show what is stored.
        Assert.Equal("99", Section(refused, "authenticate").Value("codeMaxAttempts"));
        Assert.Equal("120", Section(refused, "authenticate").Value("linkTimeoutSeconds"));
        Assert.Equal("open", Section(refused, "access").Value("accessMode"));
        var stored = (await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}", await AdminTokenAsync())))["settings"]!;
        Assert.Equal(5, stored["codeMaxAttempts"]!.GetValue<int>());
        Assert.Equal(3600, stored["linkTimeoutSeconds"]!.GetValue<int>());

        // A rule across two settings of one section: both can be fixed where the problem shows.
        var contradiction = await browser.SubmitAsync(page, "Save", f => f.Set("accessMode", "registered").Set("signupFlow", "none"), Ct, "section=access");
        Assert.Equal(HttpStatusCode.BadRequest, contradiction.Status);
        Assert.StartsWith("Error: A registered app verifies", contradiction.TextOf("f-signupFlow-error"));

        var notANumber = await browser.SubmitAsync(page, "Save", f => f.Set("pinMaxAttempts", "three"), Ct, "section=extra");
        Assert.Equal(HttpStatusCode.BadRequest, notANumber.Status);
        Assert.Equal("Error: Enter a whole number.", notANumber.TextOf("f-pinMaxAttempts-error"));

        var noName = await browser.SubmitAsync(page, "Save", f => f.Set("name", " "), Ct, "section=app");
        Assert.Equal(HttpStatusCode.BadRequest, noName.Status);
        Assert.Equal("Error: Enter the app's name.", noName.TextOf("f-name-error"));

        var unknown = await browser.PostAsync($"/console/apps/{app}?handler=Save&section=nowhere", Section(page, "plans").Fields, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        AssertReadable(unknown);
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
