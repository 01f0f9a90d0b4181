using System.Net;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Roles;

/// <summary>U1: defining custom roles, giving them to users, and the rules both keep.</summary>
public abstract class RoleDefinitionTests(ServerFixture fixture) : RolesTest(fixture)
{
    [Fact]
    public async Task An_app_admin_creates_replaces_lists_and_deletes_a_role()
    {
        var app = await CreateAppAsync();
        var admin = Access(await AppAdminAsync(app));

        var created = await PutAsync($"/v1/admin/apps/{app}/roles/support", new { description = "Help desk", permissions = new[] { "admin:users.read", "tickets:read", "tickets:read" } }, admin);
        var createdBody = await OkJsonAsync(created);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.EndsWith($"/v1/admin/apps/{app}/roles/support", created.Headers.Location?.OriginalString);
        Assert.Equal("support", Str(createdBody, "name"));
        Assert.Equal("Help desk", Str(createdBody, "description"));
        Assert.Equal(["admin:users.read", "tickets:read"], Strings(createdBody["permissions"]));
        Assert.Equal(0, createdBody["users"]!.GetValue<int>());

        var customer = UserId(await SignUpAsync(app));
        await OkJsonAsync(await AssignAsync(app, customer, ["support"], admin));
        var replaced = await PutAsync($"/v1/admin/apps/{app}/roles/support", new { permissions = new[] { "admin:users.write" } }, admin);
        var replacedBody = await OkJsonAsync(replaced);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Null(replacedBody["description"]);
        Assert.Equal(["admin:users.write"], Strings(replacedBody["permissions"]));
        Assert.Equal(1, replacedBody["users"]!.GetValue<int>());
        Assert.Equal(Str(createdBody, "createdAt"), Str(replacedBody, "createdAt"));

        await DefineRoleAsync(app, "billing", "invoices:read");
        var listed = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/roles", admin));
        Assert.Equal(["billing", "support"], listed.Select(r => Str(r, "name")));
        Assert.Equal([0, 1], listed.Select(r => r!["users"]!.GetValue<int>()));
        var read = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/roles/support", admin));
        Assert.Equal(replacedBody.ToJsonString(), read.ToJsonString());
        // Another app's roles are its own.
        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{await CreateAppAsync()}/roles", await AdminTokenAsync())));

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/roles/support", admin)).StatusCode);
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/roles/support", admin), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{app}/roles/support", admin), HttpStatusCode.NotFound, "not_found");
        Assert.Empty(Strings((await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{customer}", admin)))["roles"]));
    }

    [Theory]
    [InlineData("Support")]
    [InlineData("1st-line")]
    [InlineData("_desk")]
    [InlineData("help%20desk")]
    [InlineData("desk%0A")]
    [InlineData("admin")]
    [InlineData("user")]
    [InlineData("superadmin")]
    [InlineData("a1234567890123456789012345678901234567890123456789012345678901234")]
    public async Task A_role_name_must_be_a_lower_case_slug_and_not_a_built_in_role(string name)
    {
        var app = await CreateAppAsync();

        var response = await PutAsync($"/v1/admin/apps/{app}/roles/{name}", new { permissions = new[] { "orders:read" } }, await AdminTokenAsync());

        AssertErrorFor(await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request"), "name");
    }

    [Fact]
    public async Task Permissions_must_be_well_formed_known_admin_permissions_and_at_most_a_hundred()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        var path = $"/v1/admin/apps/{app}/roles/desk";

        foreach (var body in new object[]
                 {
                     new { },
                     new { permissions = new[] { "Orders:Read" } },
                     new { permissions = new[] { "" } },
                     new { permissions = new[] { "orders read" } },
                     new { permissions = new[] { "admin:everything" } },
                     new { permissions = new[] { "admin:*" } },
                     new { permissions = new[] { "orders:" + new string('x', 128) } },
                     new { permissions = Enumerable.Range(0, 101).Select(i => $"p{i}").ToArray() },
                 })
        {
            AssertErrorFor(await AssertProblemAsync(await PutAsync(path, body, admin), HttpStatusCode.BadRequest, "invalid_request"), "permissions");
        }
        await AssertProblemAsync(await GetAsync(path, admin), HttpStatusCode.NotFound, "not_found");

        var longest = Enumerable.Range(0, 100).Select(i => $"p{i}:{new string('x', 120)}").ToArray();
        Assert.Equal(100, Strings((await DefineRoleAsync(app, "desk", longest))["permissions"]).Length);
        Assert.Empty(Strings((await DefineRoleAsync(app, "nothing"))["permissions"]));
    }

    [Fact]
    public async Task Assigning_an_unknown_role_or_to_an_unknown_user_is_refused()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        await DefineRoleAsync(app, "known", "orders:read");
        await DefineRoleAsync(other, "foreign", "orders:read");
        var admin = await AdminTokenAsync();
        var user = UserId(await SignUpAsync(app));
        var otherUser = UserId(await SignUpAsync(other));

        AssertErrorFor(await AssertProblemAsync(await AssignAsync(app, user, ["known", "unknown"]), HttpStatusCode.BadRequest, "invalid_request"), "roles");
        AssertErrorFor(await AssertProblemAsync(await AssignAsync(app, user, ["foreign"]), HttpStatusCode.BadRequest, "invalid_request"), "roles");
        AssertErrorFor(await AssertProblemAsync(await PutAsync($"/v1/admin/apps/{app}/users/{user}/roles", new { }, admin),
            HttpStatusCode.BadRequest, "invalid_request"), "roles");
        AssertErrorFor(await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{user}", new { roles = new[] { "unknown" } }, admin),
            HttpStatusCode.BadRequest, "invalid_request"), "roles");
        await AssertProblemAsync(await AssignAsync(app, otherUser, ["known"]), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await AssignAsync(app, Guid.NewGuid().ToString(), ["known"]), HttpStatusCode.NotFound, "not_found");
        Assert.Empty(Strings((await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{user}", admin)))["roles"]));

        // The user PATCH takes roles too.
        var patched = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{user}", new { roles = new[] { "known", "known" } }, admin));
        Assert.Equal(["known"], Strings(patched["roles"]));
    }

    [Fact]
    public async Task A_caller_hands_out_only_the_admin_permissions_they_hold()
    {
        var app = await CreateAppAsync();
        await DefineRoleAsync(app, "lead", "admin:roles", "admin:users.read");
        await DefineRoleAsync(app, "settings", "admin:apps.write");
        var lead = Access(await RoleHolderAsync(app, "lead"));
        var customer = UserId(await SignUpAsync(app));
        var settingsHolder = UserId(await RoleHolderAsync(app, "settings"));

        // What the lead holds they may pass on, with any of the app's own permissions.
        var desk = await PutAsync($"/v1/admin/apps/{app}/roles/desk", new { permissions = new[] { "admin:users.read", "tickets:write" } }, lead);
        Assert.Equal(HttpStatusCode.Created, desk.StatusCode);
        Assert.Equal(["desk"], Strings((await OkJsonAsync(await AssignAsync(app, customer, ["desk"], lead)))["roles"]));

        // Not what they lack: not in a new role, not into an existing one, not by giving, taking or deleting a role that has it.
        await AssertForbiddenAsync(await PutAsync($"/v1/admin/apps/{app}/roles/keys", new { permissions = new[] { "admin:apps.write" } }, lead));
        await AssertForbiddenAsync(await PutAsync($"/v1/admin/apps/{app}/roles/desk", new { permissions = new[] { "admin:users.read", "admin:users.write" } }, lead));
        await AssertForbiddenAsync(await PutAsync($"/v1/admin/apps/{app}/roles/settings", new { permissions = new[] { "tickets:read" } }, lead));
        await AssertForbiddenAsync(await AssignAsync(app, customer, ["desk", "settings"], lead));
        await AssertForbiddenAsync(await AssignAsync(app, settingsHolder, [], lead));
        await AssertForbiddenAsync(await DeleteAsync($"/v1/admin/apps/{app}/roles/settings", lead));
        await AssertForbiddenAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{customer}", new { role = "admin" }, lead));

        var admin = await AdminTokenAsync();
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/roles/keys", admin), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(["admin:users.read", "tickets:write"], Strings((await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/roles/desk", admin)))["permissions"]));
        Assert.Equal(["admin:apps.write"], Strings((await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/roles/settings", admin)))["permissions"]));
        Assert.Equal(["desk"], Strings((await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{customer}", admin)))["roles"]));
        Assert.Equal(["settings"], Strings((await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{settingsHolder}", admin)))["roles"]));
    }

    [Fact]
    public async Task Role_changes_are_audited_without_personal_data()
    {
        var app = await CreateAppAsync();
        var adminTokens = await AppAdminAsync(app);
        var admin = Access(adminTokens);
        var email = NewEmail("audited");
        var customer = UserId(await SignUpAsync(app, email));

        await OkJsonAsync(await PutAsync($"/v1/admin/apps/{app}/roles/desk", new { permissions = new[] { "admin:users.read", "tickets:read" } }, admin));
        await OkJsonAsync(await AssignAsync(app, customer, ["desk"], admin));
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/roles/desk", admin)).StatusCode);

        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var records = await db.AuditRecords.AsNoTracking()
            .Where(r => r.AppId == app && (r.Action == "role.save" || r.Action == "user.roles" || r.Action == "role.delete"))
            .OrderBy(r => r.Id).ToListAsync(Ct);
        Assert.Equal(["role.save", "user.roles", "role.delete"], records.Select(r => r.Action));
        Assert.All(records, r => Assert.Equal(Guid.Parse(UserId(adminTokens)), r.ActorUserId));
        Assert.Equal("desk: admin:users.read,tickets:read", records[0].Detail);
        Assert.Equal(Guid.Parse(customer), records[1].TargetUserId);
        Assert.Equal("desk", records[1].Detail);
        Assert.Equal("desk", records[2].Detail);
        Assert.All(records, r => Assert.DoesNotContain(email, r.Detail ?? "", StringComparison.OrdinalIgnoreCase));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class RoleDefinitionTests_Sqlite(SqliteServer server) : RoleDefinitionTests(server);

[Collection(PostgresCollection.Name)]
public sealed class RoleDefinitionTests_Postgres(PostgresServer server) : RoleDefinitionTests(server);
