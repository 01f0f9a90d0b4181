using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;
using B64 = System.Buffers.Text.Base64Url;

namespace Latchkey.Tests.Features.Apps;

public abstract class AdminAppTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task A_super_admin_creates_an_app_with_the_default_settings()
    {
        var admin = await AdminTokenAsync();
        var id = NewAppId();

        var response = await PostAsync("/v1/admin/apps", new { id, name = "Default app" }, admin);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.EndsWith($"/v1/admin/apps/{id}", response.Headers.Location?.OriginalString);
        var created = await OkJsonAsync(response);
        Assert.Equal(id, Str(created, "id"));
        Assert.Equal("Default app", Str(created, "name"));
        var settings = created["settings"]!;
        // The contract's defaults (docs/api.md "App settings").
        Assert.Equal("registered", Str(settings, "accessMode"));
        Assert.Equal("code", Str(settings, "signupFlow"));
        Assert.True(settings["signupEnabled"]!.GetValue<bool>());
        Assert.False(settings["anonymousEnabled"]!.GetValue<bool>());
        Assert.False(settings["usernamesEnabled"]!.GetValue<bool>());
        Assert.False(settings["invitationsEnabled"]!.GetValue<bool>());
        Assert.Equal(60, settings["codeTimeoutSeconds"]!.GetValue<int>());
        Assert.Equal(5, settings["codeMaxAttempts"]!.GetValue<int>());
        Assert.Equal("code", Str(settings, "passwordRecovery"));
        Assert.Equal(["password"], settings["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(900, settings["accessTokenLifetimeSeconds"]!.GetValue<int>());
        Assert.Equal(2_592_000, settings["refreshTokenLifetimeSeconds"]!.GetValue<int>());
        Assert.Equal(10, settings["refreshReuseIntervalSeconds"]!.GetValue<int>());

        var config = await OkJsonAsync(await GetAsync($"/v1/apps/{id}/config"));
        Assert.Equal("registered", Str(config, "accessMode"));
    }

    [Fact]
    public async Task A_super_admin_lists_and_reads_apps()
    {
        var admin = await AdminTokenAsync();
        var id = NewAppId();
        var created = await OkJsonAsync(await PostAsync("/v1/admin/apps",
            new { id, name = "Listed app", settings = new { accessTokenLifetimeSeconds = 1200 } }, admin));

        var list = await OkJsonArrayAsync(await GetAsync("/v1/admin/apps", admin));
        var read = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{id}", admin));

        var listed = Assert.Single(list, a => Str(a, "id") == id)!;
        Assert.Equal("Listed app", Str(listed, "name"));
        Assert.Contains(list, a => Str(a, "id") == "console");
        Assert.Equal(created["settings"]!.ToJsonString(), read["settings"]!.ToJsonString());
        Assert.Equal(1200, read["settings"]!["accessTokenLifetimeSeconds"]!.GetValue<int>());
        Assert.Equal("Listed app", Str(read, "name"));
    }

    [Fact]
    public async Task Patching_an_app_changes_only_the_settings_sent_and_its_name()
    {
        var admin = await AdminTokenAsync();
        var id = await CreateAppAsync();
        var before = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{id}", admin));

        var patched = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{id}",
            new { settings = new { accessTokenLifetimeSeconds = 600, refreshReuseIntervalSeconds = 30 } }, admin));

        var expected = before["settings"]!.DeepClone().AsObject();
        expected["accessTokenLifetimeSeconds"] = 600;
        expected["refreshReuseIntervalSeconds"] = 30;
        Assert.Equal(expected.ToJsonString(), patched["settings"]!.ToJsonString());
        Assert.Equal(Str(before, "name"), Str(patched, "name"));

        var renamed = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{id}", new { name = "Renamed app" }, admin));
        Assert.Equal("Renamed app", Str(renamed, "name"));
        Assert.Equal(expected.ToJsonString(), renamed["settings"]!.ToJsonString());

        var read = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{id}", admin));
        Assert.Equal("Renamed app", Str(read, "name"));
        Assert.Equal(expected.ToJsonString(), read["settings"]!.ToJsonString());
        var disabled = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{id}", new { settings = new { signupEnabled = false } }, admin));
        Assert.False(disabled["settings"]!["signupEnabled"]!.GetValue<bool>());
        await AssertProblemAsync(await PostAsync($"/v1/apps/{id}/signup", new { email = NewEmail(), password = GoodPassword }),
            HttpStatusCode.Forbidden, "signup_disabled");
    }

    [Fact]
    public async Task Deleting_an_app_removes_it_and_its_users_can_no_longer_sign_in()
    {
        var admin = await AdminTokenAsync();
        var id = await CreateAppAsync();
        var email = NewEmail("gone");
        var tokens = await SignUpAsync(id, email);

        var response = await DeleteAsync($"/v1/admin/apps/{id}", admin);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await AssertProblemAsync(await GetAsync($"/v1/apps/{id}/config"), HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{id}", admin), HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{id}/login", new { handle = email, password = GoodPassword }),
            HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{id}/token", new { refresh_token = Str(tokens, "refresh_token") }),
            HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{id}/me", Str(tokens, "access_token")), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.DoesNotContain(await OkJsonArrayAsync(await GetAsync("/v1/admin/apps", admin)), a => Str(a, "id") == id);
        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{id}", admin), HttpStatusCode.NotFound, "app_not_found");
    }

    [Fact]
    public async Task A_recreated_app_with_the_same_id_does_not_know_the_old_users()
    {
        var admin = await AdminTokenAsync();
        var id = await CreateAppAsync();
        var email = NewEmail("old");
        await SignUpAsync(id, email);
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{id}", admin)).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await PostAsync("/v1/admin/apps", new { id, name = "Again" }, admin)).StatusCode);

        await AssertProblemAsync(await PostAsync($"/v1/apps/{id}/login", new { handle = email, password = GoodPassword }),
            HttpStatusCode.Unauthorized, "invalid_credentials");
        await SignUpAsync(id, email);
    }

    [Fact]
    public async Task An_app_created_without_an_id_gets_a_slug_of_its_name()
    {
        var admin = await AdminTokenAsync();

        var created = await OkJsonAsync(await PostAsync("/v1/admin/apps", new { name = "My Shiny App!" }, admin));

        var id = Str(created, "id");
        Assert.Matches("^my-shiny-app-[a-z0-9]{6}$", id);
        Assert.Equal("My Shiny App!", Str(created, "name"));
        await OkJsonAsync(await GetAsync($"/v1/apps/{id}/config"));
        var other = await OkJsonAsync(await PostAsync("/v1/admin/apps", new { name = "My Shiny App!" }, admin));
        Assert.NotEqual(id, Str(other, "id"));
    }

    [Fact]
    public async Task Creating_an_app_with_an_id_in_use_is_a_conflict()
    {
        var admin = await AdminTokenAsync();
        var id = await CreateAppAsync();

        var again = await PostAsync("/v1/admin/apps", new { id, name = "Usurper" }, admin);

        await AssertProblemAsync(again, HttpStatusCode.Conflict, "app_exists");
        Assert.NotEqual("Usurper", Str(await OkJsonAsync(await GetAsync($"/v1/admin/apps/{id}", admin)), "name"));
        await AssertProblemAsync(await PostAsync("/v1/admin/apps", new { id = "console", name = "Second console" }, admin),
            HttpStatusCode.Conflict, "app_exists");
    }

    [Theory]
    [InlineData("Has Spaces")]
    [InlineData("UPPER")]
    [InlineData("under_score")]
    [InlineData("-leading")]
    [InlineData("trailing-")]
    public async Task An_app_id_that_is_not_a_lower_case_slug_is_refused(string id)
    {
        var admin = await AdminTokenAsync();

        var response = await PostAsync("/v1/admin/apps", new { id, name = "Bad id" }, admin);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "id");
    }

    [Fact]
    public async Task An_app_id_longer_than_63_characters_or_a_missing_name_is_refused()
    {
        var admin = await AdminTokenAsync();

        await AssertProblemAsync(await PostAsync("/v1/admin/apps", new { id = new string('a', 64), name = "Long id" }, admin),
            HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblemAsync(await PostAsync("/v1/admin/apps", new { id = NewAppId() }, admin),
            HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblemAsync(await PostAsync("/v1/admin/apps", new { id = NewAppId(), name = "   " }, admin),
            HttpStatusCode.BadRequest, "invalid_request");
    }

    public static TheoryData<string, string> InvalidSettings => new()
    {
        { """{ "colour": "blue" }""", "colour" },
        { """{ "accessMode": "wide-open" }""", "accessMode" },
        { """{ "signupFlow": "sms-pigeon" }""", "signupFlow" },
        { """{ "accessMode": "registered", "signupFlow": "none" }""", "signupFlow" },
        { """{ "accessMode": "registered", "anonymousEnabled": true }""", "anonymousEnabled" },
        { """{ "accessMode": "inviteOnly", "anonymousEnabled": true }""", "anonymousEnabled" },
        { """{ "codeTimeoutSeconds": 5 }""", "codeTimeoutSeconds" },
        { """{ "codeMaxAttempts": 0 }""", "codeMaxAttempts" },
        { """{ "passwordRecovery": "carrier" }""", "passwordRecovery" },
        { """{ "emailFrom": "not an address" }""", "emailFrom" },
        { """{ "methods": [] }""", "methods" },
        { """{ "methods": ["password", "password"] }""", "methods" },
        { """{ "methods": ["carrierPigeon"] }""", "methods" },
        { """{ "accessTokenLifetimeSeconds": 10 }""", "accessTokenLifetimeSeconds" },
        { """{ "accessTokenLifetimeSeconds": 86401 }""", "accessTokenLifetimeSeconds" },
        { """{ "accessTokenLifetimeSeconds": 3600, "refreshTokenLifetimeSeconds": 1800 }""", "refreshTokenLifetimeSeconds" },
        { """{ "refreshTokenLifetimeSeconds": 31536001 }""", "refreshTokenLifetimeSeconds" },
        { """{ "refreshReuseIntervalSeconds": -1 }""", "refreshReuseIntervalSeconds" },
        { """{ "refreshReuseIntervalSeconds": 301 }""", "refreshReuseIntervalSeconds" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task Invalid_settings_are_refused_by_name_and_the_app_is_unchanged(string settings, string name)
    {
        var admin = await AdminTokenAsync();
        var id = await CreateAppAsync();
        var before = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{id}", admin));

        var response = await PatchRawAsync($$"""/v1/admin/apps/{{id}}""", $$"""{ "name": "Changed", "settings": {{settings}} }""", admin);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "settings." + name);
        var after = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{id}", admin));
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task An_app_with_invalid_settings_is_not_created(string settings, string name)
    {
        var admin = await AdminTokenAsync();
        var id = NewAppId();

        var response = await PostRawAsync("/v1/admin/apps", $$"""{ "id": "{{id}}", "name": "Never", "settings": {{settings}} }""", admin);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "settings." + name);
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{id}", admin), HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{id}/config"), HttpStatusCode.NotFound, "app_not_found");
    }

    [Theory]
    [InlineData("""{ "accessTokenLifetimeSeconds": "abc" }""", "accessTokenLifetimeSeconds")]
    [InlineData("""{ "signupEnabled": "yes" }""", "signupEnabled")]
    [InlineData("""{ "methods": "password" }""", "methods")]
    public async Task A_setting_of_the_wrong_type_is_refused_by_its_settings_name(string settings, string name)
    {
        var admin = await AdminTokenAsync();
        var id = await CreateAppAsync();

        var response = await PatchRawAsync($"/v1/admin/apps/{id}", $$"""{ "settings": {{settings}} }""", admin);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "settings." + name);
    }

    [Theory]
    [InlineData("""{ "accessTokenLifetimeSeconds": "abc" }""")]
    [InlineData("""{ "accessTokenLifetimeSeconds": 90.5 }""")]
    [InlineData("""{ "signupEnabled": "yes" }""")]
    [InlineData("""{ "methods": "password" }""")]
    [InlineData("""{ "accessMode": null }""")]
    public async Task A_setting_of_the_wrong_type_is_refused_and_the_app_is_unchanged(string settings)
    {
        var admin = await AdminTokenAsync();
        var id = await CreateAppAsync();
        var before = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{id}", admin));

        var response = await PatchRawAsync($"/v1/admin/apps/{id}", $$"""{ "settings": {{settings}} }""", admin);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.True(problem["errors"] is JsonObject { Count: > 0 }, $"Expected errors per field: {problem.ToJsonString()}");
        var after = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{id}", admin));
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    [Fact]
    public async Task Token_lifetimes_set_on_the_app_are_what_sign_in_answers()
    {
        var admin = await AdminTokenAsync();
        var id = await CreateAppAsync(new { accessTokenLifetimeSeconds = 120, refreshTokenLifetimeSeconds = 3600 });

        var tokens = await SignUpAsync(id);

        Assert.Equal(120, tokens["expires_in"]!.GetValue<int>());
        Assert.Equal(3600, tokens["refresh_expires_in"]!.GetValue<int>());
        var claims = Payload(Str(tokens, "access_token"));
        Assert.Equal(120, claims["exp"]!.GetValue<long>() - claims["iat"]!.GetValue<long>());

        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{id}",
            new { settings = new { accessTokenLifetimeSeconds = 300, refreshTokenLifetimeSeconds = 7200 } }, admin));
        var later = await SignUpAsync(id);
        Assert.Equal(300, later["expires_in"]!.GetValue<int>());
        Assert.Equal(7200, later["refresh_expires_in"]!.GetValue<int>());
        var laterClaims = Payload(Str(later, "access_token"));
        Assert.Equal(300, laterClaims["exp"]!.GetValue<long>() - laterClaims["iat"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_normal_users_token_may_not_use_the_admin_api()
    {
        var app = await CreateAppAsync();
        var user = Str(await SignUpAsync(app), "access_token");

        await AssertProblemAsync(await GetAsync("/v1/admin/apps", user), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}", user), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/users", user), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await PostAsync("/v1/admin/apps", new { id = NewAppId(), name = "Mine now" }, user),
            HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}", new { settings = new { signupEnabled = false } }, user),
            HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{app}", user), HttpStatusCode.Forbidden, "forbidden");
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config"));
        Assert.True((await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}", await AdminTokenAsync())))["settings"]!["signupEnabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_admin_api_without_a_token_is_unauthorized()
    {
        var app = await CreateAppAsync();

        await AssertProblemAsync(await GetAsync("/v1/admin/apps"), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}"), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await PostAsync("/v1/admin/apps", new { id = NewAppId(), name = "Anonymous" }), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{app}"), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/users"), HttpStatusCode.Unauthorized, "unauthorized");
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config"));
    }

    [Fact]
    public async Task The_console_app_cannot_be_deleted_or_opened_for_sign_up()
    {
        var admin = await AdminTokenAsync();

        await AssertProblemAsync(await DeleteAsync("/v1/admin/apps/console", admin), HttpStatusCode.Forbidden, "forbidden");
        var problem = await AssertProblemAsync(await PatchAsync("/v1/admin/apps/console", new { settings = new { signupEnabled = true } }, admin),
            HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "settings.signupEnabled");

        var console = await OkJsonAsync(await GetAsync("/v1/admin/apps/console", admin));
        Assert.False(console["settings"]!["signupEnabled"]!.GetValue<bool>());
        Assert.False((await OkJsonAsync(await GetAsync("/v1/apps/console/config")))["signupEnabled"]!.GetValue<bool>());
        await AssertProblemAsync(await PostAsync("/v1/apps/console/signup", new { email = NewEmail("operator"), password = GoodPassword }),
            HttpStatusCode.Forbidden, "signup_disabled");
        await OkJsonAsync(await PostAsync("/v1/apps/console/login",
            new { handle = LatchkeyFactory.AdminEmail, password = LatchkeyFactory.AdminPassword }));
    }

    [Fact]
    public async Task An_admin_finds_a_user_by_email_and_reads_it()
    {
        var admin = await AdminTokenAsync();
        var app = await CreateAppAsync();
        var email = NewEmail("findme");
        var user = await SignUpAsync(app, email);
        await SignUpAsync(app);
        var userId = Str(user["user"], "id");

        var found = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users?q={Uri.EscapeDataString(email.ToUpperInvariant())}", admin));

        var only = Assert.Single(found)!;
        Assert.Equal(userId, Str(only, "id"));
        Assert.Equal(email, Str(only, "email"));
        Assert.Equal("user", Str(only, "role"));
        Assert.False(only["disabled"]!.GetValue<bool>());
        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users?q={Uri.EscapeDataString(NewEmail("nobody"))}", admin)));
        Assert.Equal(2, (await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", admin))).Count);

        var read = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}", admin));
        Assert.Equal(email, Str(read, "email"));
        Assert.Equal(userId, Str(read, "id"));
    }

    [Fact]
    public async Task An_admin_cannot_read_another_apps_user_through_this_app()
    {
        var admin = await AdminTokenAsync();
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var email = NewEmail("elsewhere");
        var otherUser = Str((await SignUpAsync(other, email))["user"], "id");

        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/users/{otherUser}", admin), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/users/{otherUser}/sessions/revoke", new { }, admin),
            HttpStatusCode.NotFound, "not_found");
        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users?q={Uri.EscapeDataString(email)}", admin)));
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/users/{Guid.NewGuid()}", admin), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Revoking_a_users_sessions_ends_their_refresh_and_access_tokens()
    {
        var admin = await AdminTokenAsync();
        var app = await CreateAppAsync();
        var email = NewEmail("revoked");
        var first = await SignUpAsync(app, email);
        var second = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
        var bystander = await SignUpAsync(app);
        var userId = Str(first["user"], "id");

        var revoked = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/users/{userId}/sessions/revoke", new { }, admin));

        Assert.Equal(2, revoked["revoked"]!.GetValue<int>());
        foreach (var tokens in new[] { first, second })
        {
            await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }),
                HttpStatusCode.Unauthorized, "session_revoked");
            await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Str(tokens, "access_token")),
                HttpStatusCode.Unauthorized, "session_revoked");
        }
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(bystander, "access_token")));
        var again = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/users/{userId}/sessions/revoke", new { }, admin));
        Assert.Equal(0, again["revoked"]!.GetValue<int>());
        // Signing in again starts a new session.
        var fresh = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(fresh, "access_token")));
    }

    private static string NewAppId() => "t-" + Guid.NewGuid().ToString("N")[..10];

    private Task<HttpResponseMessage> PatchRawAsync(string path, string json, string bearer) =>
        SendAsync(HttpMethod.Patch, path, new StringContent(json, Encoding.UTF8, "application/json"), bearer);

    private static void AssertErrorFor(JsonObject problem, string field) =>
        Assert.True(problem["errors"]?[field] is JsonArray { Count: > 0 }, $"Expected errors[\"{field}\"]: {problem.ToJsonString()}");

    private static JsonObject Payload(string jwt) => JsonNode.Parse(B64.DecodeFromChars(jwt.Split('.')[1]))!.AsObject();
}

[Collection(SqliteCollection.Name)]
public sealed class AdminAppTests_Sqlite(SqliteServer server) : AdminAppTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AdminAppTests_Postgres(PostgresServer server) : AdminAppTests(server);
