using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Plans;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Profile;

/// <summary>The signed-in user's own profile (MISSION U2): GET and PATCH /me.</summary>
public static class ProfileEndpoints
{
    public static RouteGroupBuilder MapProfileEndpoints(this RouteGroupBuilder app)
    {
        app.MapGet("/me", GetAsync).WithSummary("The signed-in user's profile and handles");
        app.MapPatch("/me", PatchAsync)
            .WithSummary("Change the profile")
            .WithDescription("Fields present are replaced, null clears a field, absent fields stay: displayName (≤ 100), " +
                "pronouns (≤ 40), preferences and metadata (JSON objects, ≤ 16 KiB each). appMetadata is read-only here: " +
                "a body that names it is invalid_request.");
        return app;
    }

    public sealed record ProfileView(
        Guid Id,
        string Handle,
        string? Email,
        bool EmailVerified,
        string? Phone,
        bool PhoneVerified,
        string? Username,
        bool Anonymous,
        string Role,
        string Plan,
        DateTime? PlanExpiresAt,
        string? DisplayName,
        string? Pronouns,
        JsonObject Preferences,
        JsonObject Metadata,
        JsonObject AppMetadata,
        DateTime CreatedAt);

    internal static async Task<Ok<ProfileView>> GetAsync(
        CurrentApp app, Caller caller, HttpContext http, LatchkeyDbContext db, UserKeyring keyring, TimeProvider clock, CancellationToken ct)
    {
        var user = await SignedInUser.ReadAsync(http, db, caller.UserId, ct);
        var key = await keyring.GetAsync(user.Id, ct);
        return TypedResults.Ok(View(user, key, Read(user, key), clock.GetUtcNow().UtcDateTime));
    }

    internal static async Task<Ok<ProfileView>> PatchAsync(
        CurrentApp app, Caller caller, JsonObject patch, LatchkeyDbContext db, UserKeyring keyring, UserAccounts accounts, TimeProvider clock, CancellationToken ct)
    {
        var user = await db.Users.FirstAsync(u => u.Id == caller.UserId, ct);
        var key = await keyring.GetAsync(user.Id, ct);
        patch = (JsonObject)patch.DeepClone();
        if (patch.Remove("username", out var username))
        {
            await ChangeUsernameAsync(app, user, key, username, accounts, ct);
        }
        var profile = ProfilePatch.Apply(Read(user, key), patch);
        user.ProfileSealed = key.Encrypt(UserFields.Profile, JsonSerializer.Serialize(profile, JsonSerializerOptions.Web));
        user.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two users raced for one user name: the unique index decided.
            throw Problems.UsernameTaken();
        }
        return TypedResults.Ok(View(user, key, profile, clock.GetUtcNow().UtcDateTime));
    }

    /// <summary>User names are a handle: unique per app, checked like at sign-up; null removes it.</summary>
    private static async Task ChangeUsernameAsync(CurrentApp app, User user, UserKey key, JsonNode? value, UserAccounts accounts, CancellationToken ct)
    {
        if (value is not null && value.GetValueKind() != JsonValueKind.String)
        {
            throw Problems.InvalidField("username", "'username' must be a string or null.");
        }
        var details = NewAccountInput.CheckUsername(app.App, value?.GetValue<string>() ?? (app.Settings.UsernamesEnabled ? null : ""));
        await accounts.EnsureAvailableAsync(app.App, null, null, details.FoldedUsername, user.Id, ct);
        accounts.SetUsername(user, key, details.Username);
    }

    private static Users.Profile Read(User user, UserKey key) => UserProfiles.Read(user, key);

    private static ProfileView View(User user, UserKey key, Users.Profile profile, DateTime now)
    {
        var handles = UserProfiles.View(user, key);
        return new ProfileView(user.Id, handles.Handle, handles.Email, user.EmailVerified, handles.Phone, user.PhoneVerified, handles.Username,
            user.Anonymous, user.Role, PlanRules.Effective(user, now), PlanRules.EffectiveExpiry(user, now), profile.DisplayName, profile.Pronouns,
            profile.Preferences ?? [], profile.Metadata ?? [], profile.AppMetadata ?? [], user.CreatedAt);
    }
}

/// <summary>Merge rules and limits for PATCH /me; unknown or read-only fields are refused by name.</summary>
internal static class ProfilePatch
{
    public static Users.Profile Apply(Users.Profile current, JsonObject patch)
    {
        var errors = new Dictionary<string, string[]>();
        var result = current;
        foreach (var (name, value) in patch)
        {
            switch (name)
            {
                case "displayName":
                    result = result with { DisplayName = Text(name, value, 100, errors) };
                    break;
                case "pronouns":
                    result = result with { Pronouns = Text(name, value, 40, errors) };
                    break;
                case "preferences":
                    result = result with { Preferences = Object(name, value, errors) };
                    break;
                case "metadata":
                    result = result with { Metadata = Object(name, value, errors) };
                    break;
                case "appMetadata":
                    // Note: what the app granted (a coupon, a tier) is not the user's to change (Auth0's app_metadata).
                    errors[name] = ["'appMetadata' is read-only here: the app's admins, its server and invitations write it."];
                    break;
                default:
                    errors[name] = [$"'{name}' cannot be changed here."];
                    break;
            }
        }
        if (errors.Count > 0)
        {
            throw Problems.InvalidRequest("Some profile fields are not valid.", errors);
        }
        return result;
    }

    private static string? Text(string name, JsonNode? value, int max, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }
        if (value.GetValueKind() != JsonValueKind.String)
        {
            errors[name] = [$"'{name}' must be a string or null."];
            return null;
        }
        var text = value.GetValue<string>().Trim();
        if (text.Length > max || text.Any(char.IsControl))
        {
            errors[name] = [$"'{name}' must be at most {max} characters, without control characters."];
        }
        return text.Length == 0 ? null : text;
    }

    private static JsonObject? Object(string name, JsonNode? value, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }
        if (value is not JsonObject obj)
        {
            errors[name] = [$"'{name}' must be a JSON object or null."];
            return null;
        }
        if (JsonSerializer.SerializeToUtf8Bytes(obj).Length > JsonLimits.MaxObjectBytes)
        {
            errors[name] = [$"'{name}' must be at most {JsonLimits.MaxObjectBytes / 1024} KiB of JSON."];
        }
        return (JsonObject)obj.DeepClone();
    }
}
