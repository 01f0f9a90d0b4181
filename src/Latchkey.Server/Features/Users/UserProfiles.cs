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
        return new UserView(user.Id, email ?? user.Id.ToString(), email, Phone: null, Username: null, user.Anonymous, user.Role, user.Plan);
    }
}

/// <summary>Names of sealed fields; they go into the ciphertexts' associated data.</summary>
public static class UserFields
{
    public const string Email = "email";
    public const string Profile = "profile";
}
