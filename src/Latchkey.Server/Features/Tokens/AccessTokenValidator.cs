using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Features.Tokens;

/// <summary>An access token whose signature, issuer and audience hold, and the ids it names.</summary>
public sealed record ValidatedAccessToken(JsonWebToken Jwt, string AppId, Guid UserId, Guid SessionId)
{
    public DateTime ExpiresAt => Jwt.ValidTo;
}

/// <summary>
/// Checks a Latchkey access token as a resource server would: ES256 only, signed by a key of the
/// app the token names, that app's issuer and audience, and (unless told otherwise) not expired by
/// the injected clock. Whether its session is still live is the caller's question.
/// </summary>
public sealed class AccessTokenValidator(SigningKeys signingKeys, Issuers issuers, TimeProvider clock)
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    /// <summary>The token's ids, or null when it is not a valid access token of this server.</summary>
    public async Task<ValidatedAccessToken?> ValidateAsync(string token, bool checkExpiry, CancellationToken ct)
    {
        if (!Handler.CanReadToken(token))
        {
            return null;
        }
        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return null;
        }
        if (jwt.Alg != SigningKeys.Es256 || string.IsNullOrEmpty(jwt.Kid))
        {
            return null;
        }
        var key = await signingKeys.FindPublicAsync(jwt.Kid, ct);
        if (key is null)
        {
            return null;
        }
        var appId = key.Value.Row.AppId;
        var result = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidAlgorithms = [SigningKeys.Es256],
            IssuerSigningKey = key.Value.Key,
            ValidAudience = appId,
            IssuerValidator = (issuer, _, _) => issuers.Matches(issuer, appId) ? issuer
                : throw new SecurityTokenInvalidIssuerException("The token's issuer is not its app."),
            // Note: expiry is checked below against the injected clock, not the machine's.
            ValidateLifetime = false,
            RequireExpirationTime = true,
        });
        if (!result.IsValid || (checkExpiry && jwt.ValidTo <= clock.GetUtcNow().UtcDateTime))
        {
            return null;
        }
        if (!Guid.TryParse(jwt.Subject, out var userId) || !jwt.TryGetPayloadValue<string>("sid", out var sid) || !Guid.TryParse(sid, out var sessionId))
        {
            return null;
        }
        return new ValidatedAccessToken(jwt, appId, userId, sessionId);
    }
}
