using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Roles;

/// <summary>U1: a custom role that opens part of the admin API, and nothing beyond it.</summary>
public abstract class SupportDeskRoleTests(ServerFixture fixture) : RolesTest(fixture)
{
    [Fact]
    public async Task A_support_desk_role_searches_reads_and_changes_users_of_its_app_only()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var customerEmail = NewEmail("customer");
        var customer = UserId(await SignUpAsync(app, customerEmail));
        var otherUser = UserId(await SignUpAsync(other));
        await DefineRoleAsync(app, "support", "admin:users.read", "admin:users.write");
        var desk = Access(await RoleHolderAsync(app, "support"));

        var found = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users?q={Uri.EscapeDataString(customerEmail)}", desk));
        var read = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{customer}", desk));
        var patched = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{customer}", new { disabled = true }, desk));

        Assert.Equal(customer, Str(Assert.Single(found), "id"));
        Assert.Equal(customerEmail, Str(read, "email"));
        Assert.True(Bool(patched, "disabled"));
        await AssertProblemAsync(await LoginAsync(app, customerEmail), HttpStatusCode.Forbidden, "user_disabled");
        await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/users/{customer}/sessions/revoke", new { }, desk));

        // Settings, audit, roles, keys and the other app are not the desk's.
        await AssertForbiddenAsync(await PatchAsync($"/v1/admin/apps/{app}", new { settings = new { signupEnabled = false } }, desk));
        await AssertForbiddenAsync(await GetAsync($"/v1/admin/apps/{app}", desk));
        await AssertForbiddenAsync(await GetAsync($"/v1/admin/apps/{app}/audit", desk));
        await AssertForbiddenAsync(await GetAsync($"/v1/admin/apps/{app}/roles", desk));
        await AssertForbiddenAsync(await AssignAsync(app, customer, ["support"], desk));
        await AssertForbiddenAsync(await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "mine" }, desk));
        await AssertForbiddenAsync(await GetAsync($"/v1/admin/apps/{other}/users", desk));
        await AssertForbiddenAsync(await GetAsync($"/v1/admin/apps/{other}/users/{otherUser}", desk));
        await AssertForbiddenAsync(await PatchAsync($"/v1/admin/apps/{other}/users/{otherUser}", new { disabled = true }, desk));
        await AssertForbiddenAsync(await PostAsync("/v1/admin/apps", new { name = "Desk's own app" }, desk));
        var listed = await OkJsonArrayAsync(await GetAsync("/v1/admin/apps", desk));
        Assert.Equal([app], listed.Select(a => Str(a, "id")));
        Assert.False(Bool(await OkJsonAsync(await GetAsync($"/v1/admin/apps/{other}/users/{otherUser}", await AdminTokenAsync())), "disabled"));
    }

    [Fact]
    public async Task A_support_desk_cannot_make_admins_nor_take_over_an_app_admin()
    {
        var app = await CreateAppAsync();
        var appAdmin = await AppAdminAsync(app);
        var adminId = UserId(appAdmin);
        var adminEmail = Str(appAdmin["user"], "email");
        await DefineRoleAsync(app, "support", "admin:users.read", "admin:users.write");
        await DefineRoleAsync(app, "keeper", "admin:apps.write", "admin:users.write");
        var keeper = UserId(await RoleHolderAsync(app, "keeper"));
        var desk = Access(await RoleHolderAsync(app, "support"));
        var customer = UserId(await SignUpAsync(app));

        await AssertForbiddenAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{customer}", new { role = "admin" }, desk));
        await AssertForbiddenAsync(await PostAsync($"/v1/admin/apps/{app}/users",
            new { email = NewEmail("made-admin"), password = GoodPassword, role = "admin" }, desk));
        // Resetting the app admin's password (or that of a holder of permissions the desk lacks) would hand the desk their account.
        await AssertForbiddenAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{adminId}", new { password = OtherPassword }, desk));
        await AssertForbiddenAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{keeper}", new { password = OtherPassword }, desk));
        await AssertForbiddenAsync(await DeleteAsync($"/v1/admin/apps/{app}/users/{adminId}", desk));
        // Nor end their sessions (one or all).
        var adminSession = Str(Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users/{adminId}/sessions", await AdminTokenAsync()))), "id");
        await AssertForbiddenAsync(await PostAsync($"/v1/admin/apps/{app}/users/{adminId}/sessions/revoke", new { }, desk));
        await AssertForbiddenAsync(await DeleteAsync($"/v1/admin/apps/{app}/users/{adminId}/sessions/{adminSession}", desk));
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Access(appAdmin)));

        await OkJsonAsync(await LoginAsync(app, adminEmail));
        var customerView = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{customer}", desk));
        Assert.Equal("user", Str(customerView, "role"));
        // The app admin does all of it.
        var promoted = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{customer}", new { role = "admin" }, Access(appAdmin)));
        Assert.Equal("admin", Str(promoted, "role"));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SupportDeskRoleTests_Sqlite(SqliteServer server) : SupportDeskRoleTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SupportDeskRoleTests_Postgres(PostgresServer server) : SupportDeskRoleTests(server);
