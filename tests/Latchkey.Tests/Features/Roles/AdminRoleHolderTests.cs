using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Roles;

/// <summary>U1: a user whose custom roles grant admin permissions counts as an admin beyond the admin API too.</summary>
public abstract class AdminRoleHolderTests(ServerFixture fixture) : RolesTest(fixture)
{
    [Fact]
    public async Task Required_for_admins_holds_a_custom_role_with_admin_permissions_to_a_second_factor()
    {
        var app = await CreateAppAsync(new { mfaPolicy = "requiredForAdmins" });
        await DefineRoleAsync(app, "support", "admin:users.read", "tickets:read");
        await DefineRoleAsync(app, "customer", "tickets:read");

        var support = await RoleHolderAsync(app, "support");
        var customer = await RoleHolderAsync(app, "customer");

        Assert.True(Bool(support, "mfaEnrollmentRequired"));
        Assert.Null(customer["mfaEnrollmentRequired"]);
        Assert.True(Bool(await MfaOverviewAsync(app, Access(support)), "enrollmentRequired"));
        Assert.False(Bool(await MfaOverviewAsync(app, Access(customer)), "enrollmentRequired"));
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/users", Access(support)), HttpStatusCode.Forbidden, "mfa_enrollment_required");
        // Under the optional policy the same role opens the admin API without a factor.
        await PatchSettingsAsync(app, new { mfaPolicy = "optional" });
        await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", Access(support)));
    }

    [Fact]
    public async Task A_holder_of_admin_invitations_invites_even_when_users_may_not_and_sees_all_invitations()
    {
        var app = await CreateAppAsync(new { invitationsEnabled = false });
        await DefineRoleAsync(app, "recruiter", "admin:invitations");
        await DefineRoleAsync(app, "reader", "admin:users.read");
        var recruiter = Access(await RoleHolderAsync(app, "recruiter"));
        var reader = Access(await RoleHolderAsync(app, "reader"));
        var member = Access(await SignUpAsync(app));
        var byAdmin = await CreatedJsonAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = NewEmail("by-admin") }, await AdminTokenAsync()));

        var invited = await PostAsync($"/v1/apps/{app}/invitations", new { handle = NewEmail("invitee") }, recruiter);

        Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
        await AssertForbiddenAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = NewEmail("not-by-member") }, member));
        await AssertForbiddenAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = NewEmail("not-by-reader") }, reader));
        var listed = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/invitations", recruiter));
        Assert.Contains(listed, i => Str(i, "id") == Str(byAdmin, "id"));
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/apps/{app}/invitations/{Str(byAdmin, "id")}", recruiter)).StatusCode);
        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/invitations", reader)));
    }

    private async Task<System.Text.Json.Nodes.JsonObject> MfaOverviewAsync(string app, string access) =>
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me/mfa", access));
}

[Collection(SqliteCollection.Name)]
public sealed class AdminRoleHolderTests_Sqlite(SqliteServer server) : AdminRoleHolderTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AdminRoleHolderTests_Postgres(PostgresServer server) : AdminRoleHolderTests(server);
