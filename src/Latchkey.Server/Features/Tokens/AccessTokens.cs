using System.Security.Cryptography;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Features.Tokens;

/// <summary>
/// The one place access tokens are made. The OIDC provider (a later issue) issues through here
/// too, so both surfaces sign the same claims with the same keys.
/// </summary>
public sealed class AccessTokens(SigningKeys keys, Issuers issuers, TimeProvider clock)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<string> CreateAsync(App app, User user, Guid sessionId, CancellationToken ct)
    {
        var signingKey = await keys.GetActiveAsync(app.Id, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuers.For(app.Id),
            Audience = app.Id,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + app.Settings.AccessTokenLifetime,
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = user.Id.ToString(),
                [JwtRegisteredClaimNames.Sid] = sessionId.ToString(),
                [JwtRegisteredClaimNames.Jti] = Base64Url.Encode(RandomNumberGenerator.GetBytes(16)),
                [LatchkeyClaims.Role] = user.Role,
                [LatchkeyClaims.Plan] = user.Plan,
            },
        };
        return Handler.CreateToken(descriptor);
    }
}

public static class LatchkeyClaims
{
    public const string Role = "role";
    public const string Plan = "plan";
}
