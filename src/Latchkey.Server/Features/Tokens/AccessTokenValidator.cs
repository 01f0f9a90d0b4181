using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Features.Tokens;

/// <summary>An access token whose signature, issuer and audience hold, and the ids it names.</summary>
public sealed record ValidatedAccessToken(JsonWebToken Jwt, string AppId, Guid UserId, Guid SessionId, bool Expired)
{
    public DateTime ExpiresAt => Jwt.ValidTo;
}

/// <summary>The outcome of a check: the token, or why it is not one (a sentence a client can show).</summary>
public sealed record AccessTokenCheck(ValidatedAccessToken? Token, string? Failure)
{
    public static AccessTokenCheck Refused(string failure) => new(null, failure);
}

/// <summary>
/// Checks a Latchkey access token as a resource server would: typed <c>at+jwt</c> (RFC 9068), ES256 only, signed by a key of the
/// app the token names, that app's issuer and audience; expiry is judged by the injected clock and
/// reported, not refused, so revocation can still name an expired token's session. Whether the
/// session is still live is the caller's question. The server's own bearer authentication and
/// introspection both check tokens here.
/// </summary>
public sealed class AccessTokenValidator(SigningKeys signingKeys, Issuers issuers, TimeProvider clock)
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    public async Task<AccessTokenCheck> CheckAsync(string token, CancellationToken ct)
    {
        if (!Handler.CanReadToken(token))
        {
            return AccessTokenCheck.Refused("The access token is not a JWT.");
        }
        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return AccessTokenCheck.Refused("The access token is not a JWT.");
        }
        if (!IsAccessTokenType(jwt))
        {
            return AccessTokenCheck.Refused("The token is not an access token (typ at+jwt).");
        }
        if (jwt.Alg != SigningKeys.Es256 || string.IsNullOrEmpty(jwt.Kid))
        {
            return AccessTokenCheck.Refused("The access token is not signed with a key this server issued.");
        }
        var key = await signingKeys.FindPublicAsync(jwt.Kid, ct);
        if (key is null)
        {
            return AccessTokenCheck.Refused("The access token is not signed with a key this server issued.");
        }
        var appId = key.Value.Row.AppId;
        var result = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidAlgorithms = [SigningKeys.Es256],
            IssuerSigningKey = key.Value.Key,
            ValidAudience = appId,
            IssuerValidator = (issuer, _, _) => issuers.Matches(issuer, appId) ? issuer
                : throw new SecurityTokenInvalidIssuerException("The token's issuer is not its app."),
            // Note: expiry is judged below against the injected clock, not the machine's.
            ValidateLifetime = false,
            RequireExpirationTime = true,
        });
        if (!result.IsValid)
        {
            return AccessTokenCheck.Refused("The access token is not valid.");
        }
        if (!Guid.TryParse(jwt.Subject, out var userId) || !jwt.TryGetPayloadValue<string>("sid", out var sid) || !Guid.TryParse(sid, out var sessionId))
        {
            return AccessTokenCheck.Refused("The access token lacks its subject or session.");
        }
        var expired = jwt.ValidTo <= clock.GetUtcNow().UtcDateTime;
        return new AccessTokenCheck(new ValidatedAccessToken(jwt, appId, userId, sessionId, expired), null);
    }

    /// <summary>
    /// RFC 9068 §4: <c>at+jwt</c> or <c>application/at+jwt</c> (a media type, so without regard to
    /// case, RFC 7515 §4.1.9); a missing <c>typ</c> is refused as well.
    /// </summary>
    private static bool IsAccessTokenType(JsonWebToken jwt) =>
        jwt.TryGetHeaderValue<string>(JwtHeaderParameterNames.Typ, out var typ) && typ is not null
        && (string.Equals(typ, AccessTokens.TokenType, StringComparison.OrdinalIgnoreCase)
            || string.Equals(typ, "application/" + AccessTokens.TokenType, StringComparison.OrdinalIgnoreCase));
}
