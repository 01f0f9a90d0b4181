using System.Security.Cryptography;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Plans;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Features.Tokens;

/// <summary>
/// The one place access tokens are made. The OIDC provider (a later issue) issues through here
/// too, so both surfaces sign the same claims with the same keys.
/// </summary>
public sealed class AccessTokens(SigningKeys keys, Issuers issuers, RoleGrants roleGrants, TimeProvider clock)
{
    /// <summary>
    /// The JOSE <c>typ</c> of an access token (RFC 9068 §2.1), so that no other JWT signed with the
    /// app's key (an ID token, later) passes for one; validation refuses any other.
    /// </summary>
    public const string TokenType = "at+jwt";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public Task<string> CreateAsync(App app, User user, Guid sessionId, CancellationToken ct) =>
        CreateAsync(app, user, sessionId, IssueFacts.Unknown, ct);

    public async Task<string> CreateAsync(App app, User user, Guid sessionId, IssueFacts facts, CancellationToken ct)
    {
        var signingKey = facts.ActiveKeyId is { } keyId
            ? await keys.GetActiveAsync(app.Id, keyId, ct)
            : await keys.GetActiveAsync(app.Id, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var descriptor = Descriptor(app, signingKey, now, new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = user.Id.ToString(),
            [JwtRegisteredClaimNames.Sid] = sessionId.ToString(),
            [JwtRegisteredClaimNames.Jti] = Base64Url.Encode(RandomNumberGenerator.GetBytes(16)),
            [LatchkeyClaims.Role] = user.Role,
            // U4: the plan the user has now; an ended trial or paid plan is free at once.
            [LatchkeyClaims.Plan] = PlanRules.Effective(user, now),
        });
        if (PlanRules.EffectiveExpiry(user, now) is { } planEnds)
        {
            descriptor.Claims[LatchkeyClaims.PlanExpires] = PlanRules.UnixSeconds(planEnds);
        }
        if (facts.Scope is { Length: > 0 } scope)
        {
            descriptor.Claims[LatchkeyClaims.Scope] = scope;
        }
        // Note: custom roles as they are at sign-in and refresh; the app's backend reads them from here.
        var granted = facts.HoldsCustomRoles == false ? RoleGrants.Granted.None : await roleGrants.ForUserAsync(app.Id, user.Id, ct);
        if (granted.Any)
        {
            descriptor.Claims[LatchkeyClaims.Roles] = granted.Roles.ToArray();
            descriptor.Claims[LatchkeyClaims.Permissions] = granted.Permissions.ToArray();
        }
        return Handler.CreateToken(descriptor);
    }

    /// <summary>What every access token of the app says: at+jwt, the app's issuer and audience, its lifetime, ES256 under its key.</summary>
    private SecurityTokenDescriptor Descriptor(App app, SecurityKey signingKey, DateTime now, Dictionary<string, object> claims) => new()
    {
        TokenType = TokenType,
        Issuer = issuers.For(app.Id),
        Audience = app.Id,
        IssuedAt = now,
        NotBefore = now,
        Expires = now + app.Settings.AccessTokenLifetime,
        SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.EcdsaSha256),
        Claims = claims,
    };

    /// <summary>
    /// A token for one of the app's confidential clients itself (the <c>client_credentials</c> grant):
    /// no user and no session; <c>sub</c> and <c>client_id</c> name the client (RFC 9068 §2.2),
    /// <c>scope</c> what it was granted. Latchkey's user endpoints do not take it; the app's servers
    /// check it against the JWKS or by introspection.
    /// </summary>
    public async Task<string> CreateForClientAsync(App app, string clientId, IReadOnlyList<string> scopes, CancellationToken ct)
    {
        var signingKey = await keys.GetActiveAsync(app.Id, ct);
        var descriptor = Descriptor(app, signingKey, clock.GetUtcNow().UtcDateTime, new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = clientId,
            [LatchkeyClaims.ClientId] = clientId,
            [JwtRegisteredClaimNames.Jti] = Base64Url.Encode(RandomNumberGenerator.GetBytes(16)),
        });
        if (scopes.Count > 0)
        {
            descriptor.Claims[LatchkeyClaims.Scope] = string.Join(' ', scopes);
        }
        return Handler.CreateToken(descriptor);
    }
}

/// <summary>
/// What a caller's own query already read for a token it is about to issue, so that issuing does
/// not ask again: the app's active signing key (chosen by <see cref="SigningKeys.FindActiveAsync"/>'s
/// rule, at the same instant) and whether the user holds any custom role. Null parts are read here.
/// </summary>
public readonly record struct IssueFacts(string? ActiveKeyId, bool? HoldsCustomRoles)
{
    /// <summary>X1: the scopes granted to the session's OpenID Connect client (its access tokens name them); null for the JSON API.</summary>
    public string? Scope { get; init; }

    public static IssueFacts Unknown => default;
}

public static class LatchkeyClaims
{
    public const string Role = "role";
    public const string Plan = "plan";
    /// <summary>When a trial or paid plan ends (unix seconds); absent for free and for a paid plan without end.</summary>
    public const string PlanExpires = "plan_exp";
    /// <summary>The user's custom role names (a JSON array), present when they hold any.</summary>
    public const string Roles = "roles";
    /// <summary>The union of their custom roles' permissions (a JSON array), present with <see cref="Roles"/>.</summary>
    public const string Permissions = "permissions";
    /// <summary>The client a <c>client_credentials</c> token was issued to (RFC 9068 §2.2).</summary>
    public const string ClientId = "client_id";
    /// <summary>The scopes granted to the token's client, space-separated (RFC 9068 §2.2.3); absent from the JSON API's tokens.</summary>
    public const string Scope = "scope";
}
