using System.Security.Claims;
using Latchkey.Server.Features.Users;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Features.Oidc;

/// <summary>The standard claims of OIDC Core §5.4 a scope grants, from the user's decrypted profile.</summary>
public static class OidcUserClaims
{
    public static IEnumerable<Claim> For(User user, UserView view, IEnumerable<string> scopes)
    {
        var granted = scopes as ICollection<string> ?? scopes.ToList();
        if (granted.Contains(Scopes.Email) && view.Email is { } email)
        {
            yield return new Claim(Claims.Email, email);
            yield return new Claim(Claims.EmailVerified, user.EmailVerified ? "true" : "false", ClaimValueTypes.Boolean);
        }
        if (granted.Contains(Scopes.Phone) && view.Phone is { } phone)
        {
            yield return new Claim(Claims.PhoneNumber, phone);
            yield return new Claim(Claims.PhoneNumberVerified, user.PhoneVerified ? "true" : "false", ClaimValueTypes.Boolean);
        }
        if (granted.Contains(Scopes.Profile) && view.Username is { } username)
        {
            yield return new Claim(Claims.PreferredUsername, username);
        }
    }

    /// <summary>The same claims as a JSON object, for userinfo.</summary>
    public static Dictionary<string, object> Json(User user, UserView view, IEnumerable<string> scopes)
    {
        var json = new Dictionary<string, object> { [Claims.Subject] = user.Id.ToString() };
        foreach (var claim in For(user, view, scopes))
        {
            json[claim.Type] = claim.ValueType == ClaimValueTypes.Boolean ? claim.Value == "true" : claim.Value;
        }
        return json;
    }
}
