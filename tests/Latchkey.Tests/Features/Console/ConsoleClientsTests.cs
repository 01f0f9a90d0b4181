using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.AdminConsole;

/// <summary>X1: an app's OpenID Connect clients are registered, shown, given new secrets and deleted in the console.</summary>
public abstract class ConsoleClientsTests(ServerFixture fixture) : ConsoleTest(fixture)
{
    [Fact]
    public async Task A_native_app_and_a_server_are_registered_in_the_console_and_the_secret_is_shown_once()
    {
        var app = await CreateAppAsync();
        using var browser = await SuperAdminAsync();
        var page = await browser.GetAsync($"/console/apps/{app}/clients", Ct);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("No clients yet.", page.Html);

        var native = await browser.SubmitAsync(page, "Create", f => f.Set("name", "iOS app").Set("type", "public")
            .Set("redirectUris", "com.example.app:/callback\nhttp://127.0.0.1/callback").Set("clientId", "ios"), Ct);
        Assert.Equal($"/console/apps/{app}/clients?done=created", native.Location);

        var server = await browser.SubmitAsync(page, "Create", f => f.Set("name", "Orders service").Set("type", "confidential")
            .Set("redirectUris", "https://orders.example.com/cb").Set("scopes", "openid orders:read").Set("clientId", "orders"), Ct);
        Assert.Equal(HttpStatusCode.OK, server.Status);
        var secret = server.TextOf("new-client-secret");
        Assert.False(string.IsNullOrEmpty(secret));

        var listed = await browser.GetAsync($"/console/apps/{app}/clients", Ct);
        Assert.Contains("com.example.app:/callback", listed.Html);
        Assert.Contains("openid orders:read", listed.Html);
        Assert.DoesNotContain(secret!, listed.Html);
        var api = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/clients", await AdminTokenAsync()));
        Assert.Equal(["ios", "orders"], api.Select(c => Str(c, "clientId")).Order(StringComparer.Ordinal));

        var rotated = await browser.SubmitAsync(listed, "Secret", null, Ct, containing: "clientId=orders");
        Assert.Equal(HttpStatusCode.OK, rotated.Status);
        Assert.NotEqual(secret, rotated.TextOf("new-client-secret"));
        Assert.Contains("the old one no longer works", rotated.Html);

        var confirm = await browser.GetAsync($"/console/apps/{app}/clients?delete=ios", Ct);
        var deleted = await browser.SubmitAsync(confirm, "Delete", null, Ct);
        Assert.Equal($"/console/apps/{app}/clients?done=deleted", deleted.Location);
        Assert.Equal(["orders"], (await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/clients", await AdminTokenAsync()))).Select(c => Str(c, "clientId")));
    }

    [Fact]
    public async Task A_bad_registration_is_explained_next_to_its_field_and_nothing_is_registered()
    {
        var app = await CreateAppAsync();
        using var browser = await SuperAdminAsync();
        var page = await browser.GetAsync($"/console/apps/{app}/clients", Ct);
        var refused = await browser.SubmitAsync(page, "Create", f => f.Set("name", "App").Set("type", "public")
            .Set("redirectUris", "http://app.example.com/callback"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        AssertReadable(refused);
        Assert.Contains("plain http is only for a loopback address", refused.Html);
        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/clients", await AdminTokenAsync())));
    }

    [Fact]
    public async Task A_role_that_may_only_read_the_app_sees_its_clients_but_registers_none()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/clients", new { clientId = "ios", name = "iOS", type = "public", redirectUris = new[] { "com.example:/cb" } }, admin));
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/roles/viewer",
            System.Net.Http.Json.JsonContent.Create(new { permissions = new[] { "admin:apps.read" } }), admin));
        var (email, id) = await CreateUserAsync(app);
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/users/{id}/roles",
            System.Net.Http.Json.JsonContent.Create(new { roles = new[] { "viewer" } }), admin));
        using var browser = Browser();
        await SignedInAsync(browser, app, email, GoodPassword);

        var page = await browser.GetAsync($"/console/apps/{app}/clients", Ct);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("<code>ios</code>", page.Html);
        Assert.DoesNotContain("Register a client", page.Html);
        var create = await browser.PostAsync($"/console/apps/{app}/clients?handler=Create",
            page.FormTo("/console/logout").Set("name", "Sneaky").Set("type", "public").Set("redirectUris", "com.sneaky:/cb").Fields, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, create.Status);
        Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/clients", admin)));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ConsoleClientsTests_Sqlite(SqliteServer server) : ConsoleClientsTests(server);

[Collection(PostgresCollection.Name)]
public sealed class ConsoleClientsTests_Postgres(PostgresServer server) : ConsoleClientsTests(server);
