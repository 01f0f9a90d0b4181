using System.Text.Json;
using Latchkey.Server.Infrastructure.KeyStore;

namespace Latchkey.Server.Features.Users;

/// <summary>Opens a user's sealed fields into the views clients see.</summary>
public sealed class UserProfiles(UserKeyring keyring)
{
    public async Task<UserView> ViewAsync(User user, CancellationToken ct)
    {
        var key = await keyring.GetAsync(user.Id, ct);
        return View(user, key);
    }

    public static UserView View(User user, UserKey key)
    {
        var email = key.Decrypt(UserFields.Email, user.EmailSealed);
        var phone = key.Decrypt(UserFields.Phone, user.PhoneSealed);
        var username = key.Decrypt(UserFields.Username, user.UsernameSealed);
        var profile = Read(user, key);
        return new UserView(user.Id, Handle(user, email, phone, username), email, phone, username, user.Anonymous, user.Role, user.Plan, user.PlanExpiresAt)
        {
            Metadata = profile.Metadata ?? [],
            AppMetadata = profile.AppMetadata ?? [],
        };
    }

    /// <summary>The user's sealed profile document; an empty one when none was written yet.</summary>
    public static Profile Read(User user, UserKey key) =>
        key.Decrypt(UserFields.Profile, user.ProfileSealed) is { } json
            ? JsonSerializer.Deserialize<Profile>(json, JsonSerializerOptions.Web)!
            : new Profile();

    public static void Write(User user, UserKey key, Profile profile) =>
        user.ProfileSealed = key.Encrypt(UserFields.Profile, JsonSerializer.Serialize(profile, JsonSerializerOptions.Web));

    /// <summary>An anonymous user's handle is ANON_ and its id (the seeds' form); others go by email, phone or name.</summary>
    public static string Handle(User user, string? email, string? phone, string? username) =>
        user.Anonymous ? AnonymousHandle(user.Id) : email ?? phone ?? username ?? user.Id.ToString();

    public static string AnonymousHandle(Guid userId) => "ANON_" + userId.ToString().ToUpperInvariant();
}

/// <summary>Names of sealed fields; they go into the ciphertexts' associated data.</summary>
public static class UserFields
{
    public const string Email = "email";
    public const string Phone = "phone";
    public const string Username = "username";
    public const string Profile = "profile";
}
