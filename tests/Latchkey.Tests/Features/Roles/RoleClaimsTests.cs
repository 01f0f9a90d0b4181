using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Roles;

/// <summary>U1: custom roles and their permissions as access-token claims and in introspection.</summary>
public abstract class RoleClaimsTests(ServerFixture fixture) : RolesTest(fixture)
{
    [Fact]
    public async Task Assigned_roles_and_their_permissions_are_in_the_next_access_token_and_go_when_removed()
    {
        var app = await CreateAppAsync();
        await DefineRoleAsync(app, "editor", "orders:write", "orders:read", "admin:users.read");
        await DefineRoleAsync(app, "viewer", "orders:read");
        var email = NewEmail("editor");
        var signedUp = await SignUpAsync(app, email);
        var userId = UserId(signedUp);
        Assert.Null(Payload(Access(signedUp))["roles"]);
        Assert.Null(Payload(Access(signedUp))["permissions"]);

        var assigned = await OkJsonAsync(await AssignAsync(app, userId, ["viewer", "editor"]));
        var tokens = await LoginOkAsync(app, email);

        Assert.Equal(["editor", "viewer"], Strings(assigned["roles"]));
        var claims = Payload(Access(tokens));
        Assert.Equal(["editor", "viewer"], Strings(claims["roles"]));
        Assert.Equal(["admin:users.read", "orders:read", "orders:write"], Strings(claims["permissions"]));
        Assert.Equal("user", Str(claims, "role"));
        Assert.Equal("free", Str(claims, "plan"));
        var refreshed = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(tokens) }));
        Assert.Equal(["editor", "viewer"], Strings(Payload(Access(refreshed))["roles"]));
        var view = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}", Access(tokens)));
        Assert.Equal(["editor", "viewer"], Strings(view["roles"]));
        // The user list shows each user's own roles (the one who has none: an empty list).
        var roleless = UserId(await SignUpAsync(app));
        var listed = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", await AdminTokenAsync()));
        Assert.Equal(["editor", "viewer"], Strings(listed.Single(u => Str(u, "id") == userId)!["roles"]));
        Assert.Empty(Strings(listed.Single(u => Str(u, "id") == roleless)!["roles"]));

        await OkJsonAsync(await AssignAsync(app, userId, ["viewer"]));

        // The admin API reads roles from the database: the old token (which still says editor) is refused at once.
        Assert.Equal(["editor", "viewer"], Strings(Payload(Access(refreshed))["roles"]));
        await AssertForbiddenAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}", Access(refreshed)));
        var after = Payload(Access(await LoginOkAsync(app, email)));
        Assert.Equal(["viewer"], Strings(after["roles"]));
        Assert.Equal(["orders:read"], Strings(after["permissions"]));

        await OkJsonAsync(await AssignAsync(app, userId, []));

        var none = Payload(Access(await LoginOkAsync(app, email)));
        Assert.Null(none["roles"]);
        Assert.Null(none["permissions"]);
        Assert.Equal("user", Str(none, "role"));
    }

    [Fact]
    public async Task A_deleted_role_leaves_its_holders_at_once()
    {
        var app = await CreateAppAsync();
        await DefineRoleAsync(app, "auditor", "admin:users.read", "reports:read");
        var tokens = await RoleHolderAsync(app, "auditor");
        var userId = UserId(tokens);
        await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", Access(tokens)));
        var admin = await AdminTokenAsync();
        Assert.Equal(1, (await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/roles/auditor", admin)))["users"]!.GetValue<int>());

        var deleted = await DeleteAsync($"/v1/admin/apps/{app}/roles/auditor", admin);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await AssertForbiddenAsync(await GetAsync($"/v1/admin/apps/{app}/users", Access(tokens)));
        var view = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}", admin));
        Assert.Empty(Strings(view["roles"]));
        var next = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(tokens) }));
        Assert.Null(Payload(Access(next))["roles"]);
        // A role of the same name made again is a new role: nobody holds it.
        Assert.Equal(0, (await DefineRoleAsync(app, "auditor", "reports:read"))["users"]!.GetValue<int>());
        Assert.Null(Payload(Access(await LoginOkAsync(app, Str(view, "email"))))["roles"]);
    }

    [Fact]
    public async Task Introspection_answers_the_users_roles_and_permissions_as_they_are_now()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        var key = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "backend" }, admin));
        await DefineRoleAsync(app, "buyer", "orders:write");
        var tokens = await RoleHolderAsync(app, "buyer");

        var access = await IntrospectAsync(app, key, Access(tokens));
        var refresh = await IntrospectAsync(app, key, Refresh(tokens));

        foreach (var answer in new[] { access, refresh })
        {
            Assert.True(answer["active"]!.GetValue<bool>());
            Assert.Equal(["buyer"], Strings(answer["roles"]));
            Assert.Equal(["orders:write"], Strings(answer["permissions"]));
            Assert.Equal("user", Str(answer, "role"));
        }
        await OkJsonAsync(await AssignAsync(app, UserId(tokens), []));
        var now = await IntrospectAsync(app, key, Access(tokens));
        Assert.True(now["active"]!.GetValue<bool>());
        Assert.Null(now["roles"]);
        Assert.Null(now["permissions"]);
    }

    private async Task<JsonObject> IntrospectAsync(string app, JsonObject key, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/oauth/introspect")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("token", token)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Str(key, "id")}:{Str(key, "secret")}")));
        return await OkJsonAsync(await Client.SendAsync(request, Ct));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class RoleClaimsTests_Sqlite(SqliteServer server) : RoleClaimsTests(server);

[Collection(PostgresCollection.Name)]
public sealed class RoleClaimsTests_Postgres(PostgresServer server) : RoleClaimsTests(server);
