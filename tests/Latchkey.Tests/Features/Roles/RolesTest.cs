using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Features.Onboarding;
using Latchkey.Tests.Infrastructure;
using B64 = System.Buffers.Text.Base64Url;

namespace Latchkey.Tests.Features.Roles;

/// <summary>Helpers of the custom-role tests (MISSION U1): define roles, give them to users, read tokens.</summary>
public abstract class RolesTest(ServerFixture fixture) : OnboardingTest(fixture)
{
    protected Task<HttpResponseMessage> PutAsync(string path, object body, string? bearer = null) =>
        SendAsync(HttpMethod.Put, path, JsonContent.Create(body), bearer);

    /// <summary>Defines (or replaces) a custom role as the super admin; answers the role.</summary>
    protected async Task<JsonObject> DefineRoleAsync(string app, string name, params string[] permissions) =>
        await OkJsonAsync(await PutAsync($"/v1/admin/apps/{app}/roles/{name}", new { permissions }, await AdminTokenAsync()));

    /// <summary>Replaces a user's custom roles (as <paramref name="bearer"/>, the super admin by default).</summary>
    protected async Task<HttpResponseMessage> AssignAsync(string app, string userId, string[] roles, string? bearer = null) =>
        await PutAsync($"/v1/admin/apps/{app}/users/{userId}/roles", new { roles }, bearer ?? await AdminTokenAsync());

    /// <summary>A new user of <paramref name="app"/> holding <paramref name="roles"/>, signed in: answers their tokens.</summary>
    protected async Task<JsonObject> RoleHolderAsync(string app, params string[] roles)
    {
        var email = NewEmail("holder");
        var user = await CreateUserAsync(app, new { email, password = GoodPassword, emailVerified = true });
        await OkJsonAsync(await AssignAsync(app, Str(user, "id"), roles));
        return await LoginOkAsync(app, email);
    }

    /// <summary>A new user holding a new role of exactly <paramref name="permissions"/>; answers their access token.</summary>
    protected async Task<string> HolderOfAsync(string app, params string[] permissions)
    {
        var role = "r-" + Guid.NewGuid().ToString("N")[..8];
        await DefineRoleAsync(app, role, permissions);
        return Access(await RoleHolderAsync(app, role));
    }

    protected static JsonObject Payload(string jwt) => JsonNode.Parse(B64.DecodeFromChars(jwt.Split('.')[1]))!.AsObject();

    protected static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

    protected static async Task AssertForbiddenAsync(HttpResponseMessage response) =>
        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
}
