using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Features.Tokens;

/// <summary>An access token whose signature, issuer and audience hold, and the ids it names.</summary>
public sealed record ValidatedAccessToken(JsonWebToken Jwt, string AppId, Guid UserId, Guid SessionId, bool Expired)
{
    public DateTime ExpiresAt => Jwt.ValidTo;
}

/// <summary>A <c>client_credentials</c> token whose signature, issuer and audience hold: the client it names.</summary>
public sealed record ValidatedClientToken(JsonWebToken Jwt, string AppId, string ClientId, string? Scope, bool Expired);

/// <summary>The outcome of a check: the token, or why it is not one (a sentence a client can show).</summary>
public sealed record AccessTokenCheck(ValidatedAccessToken? Token, string? Failure)
{
    /// <summary>
    /// Set when the refused token is a valid <c>client_credentials</c> token (<see cref="AccessTokens.CreateForClientAsync"/>):
    /// no user's, so refused as one, and what introspection describes.
    /// </summary>
    public ValidatedClientToken? ClientToken { get; init; }

    public static AccessTokenCheck Refused(string failure) => new(null, failure);
}

/// <summary>
/// Checks a Latchkey access token as a resource server would: a JWS (RFC 9068 <c>typ</c>
/// <c>at+jwt</c>), ES256 only, signed by a key the app publishes now (a revoked key, or a retired
/// one past its window, validates nothing), that app's issuer and audience; expiry is judged by
/// the injected clock and reported, not refused, so revocation can still name an expired token's
/// session. Whether the session is still live is the caller's question. The server's own bearer
/// authentication and introspection both check tokens here.
/// <para>
/// Any string is an input here (it comes from a header or a form): every refusal is an answer,
/// never an exception, and what can be judged from the token alone is judged before the one
/// database query (the key).
/// </para>
/// </summary>
public sealed class AccessTokenValidator(SigningKeys signingKeys, Issuers issuers, VerifiedAccessTokens verified, TimeProvider clock, ILogger<AccessTokenValidator> logger)
{
    /// <summary>Longer than any token this server signs (claims included) by far; longer ones are not parsed.</summary>
    public const int MaxLength = 8192;

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    private const string NotAJwt = "The access token is not a JWT.";
    /// <summary>The refusal of a token whose key is not (or no longer) published.</summary>
    public const string UnknownKey = "The access token is not signed with a key this server issued.";

    /// <summary>
    /// The signature check alone, remembered per token on this node (<see cref="VerifiedAccessTokens"/>):
    /// the caller must still require the token's key to be published now, in its own query, and
    /// judge <see cref="VerifiedAccessToken.ExpiresAt"/>. A first sight runs <see cref="CheckAsync"/>.
    /// </summary>
    public async Task<(VerifiedAccessToken? Token, string? Failure)> CheckSignatureAsync(string token, CancellationToken ct)
    {
        if (token.Length <= MaxLength && verified.TryGet(token, out var known))
        {
            return (known, null);
        }
        var check = await CheckAsync(token, ct);
        if (check.Token is not { } valid)
        {
            return (null, check.Failure);
        }
        var entry = new VerifiedAccessToken(valid.AppId, valid.UserId, valid.SessionId, valid.Jwt.Kid, valid.ExpiresAt);
        verified.Add(token, entry);
        return (entry, null);
    }

    public async Task<AccessTokenCheck> CheckAsync(string token, CancellationToken ct)
    {
        var (jwt, appId, failure) = await ValidateSignedAsync(token, ct);
        if (jwt is null)
        {
            return AccessTokenCheck.Refused(failure!);
        }
        var expired = jwt.ValidTo <= clock.GetUtcNow().UtcDateTime;
        if (!PayloadString(jwt, JwtRegisteredClaimNames.Sub, out var sub) || !Guid.TryParse(sub, out var userId)
            || !PayloadString(jwt, JwtRegisteredClaimNames.Sid, out var sid) || !Guid.TryParse(sid, out var sessionId))
        {
            return ClientToken(jwt, appId!, expired) is { } client
                ? AccessTokenCheck.Refused("The access token is a client's (client_credentials): it names no user.") with { ClientToken = client }
                : AccessTokenCheck.Refused("The access token lacks its subject or session.");
        }
        return new AccessTokenCheck(new ValidatedAccessToken(jwt, appId!, userId, sessionId, expired), null);
    }

    /// <summary>A token without a session whose <c>sub</c> and <c>client_id</c> name the same client, or null.</summary>
    private static ValidatedClientToken? ClientToken(JsonWebToken jwt, string appId, bool expired) =>
        !jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Sid, out _)
        && PayloadString(jwt, LatchkeyClaims.ClientId, out var clientId)
        && PayloadString(jwt, JwtRegisteredClaimNames.Sub, out var sub) && sub == clientId
            ? new ValidatedClientToken(jwt, appId, clientId, PayloadString(jwt, LatchkeyClaims.Scope, out var scope) ? scope : null, expired)
            : null;

    /// <summary>The checks every access token passes: its shape, typ, alg, a published key, signature, issuer and audience.</summary>
    private async Task<(JsonWebToken? Jwt, string? AppId, string? Failure)> ValidateSignedAsync(string token, CancellationToken ct)
    {
        // Note: our tokens are JWS compact (three parts). A JWE (five) or any other shape is refused
        // before a parser sees it: the handler would try to decrypt a JWE, and its parts throw.
        if (token.Length is 0 or > MaxLength || token.Count(c => c == '.') != 2 || !Handler.CanReadToken(token))
        {
            return (null, null, NotAJwt);
        }
        if (Read(token) is not { } jwt)
        {
            return (null, null, NotAJwt);
        }
        if (!IsAccessTokenType(jwt))
        {
            return (null, null, "The token is not an access token (typ at+jwt).");
        }
        if (!HeaderString(jwt, JwtHeaderParameterNames.Alg, out var alg) || alg != SigningKeys.Es256
            || !HeaderString(jwt, JwtHeaderParameterNames.Kid, out var kid) || kid.Length is 0 or > 64)
        {
            return (null, null, UnknownKey);
        }
        var key = await signingKeys.FindPublishedAsync(kid, ct);
        if (key is null)
        {
            return (null, null, UnknownKey);
        }
        var appId = key.Value.Row.AppId;
        var result = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            // Note: typ, alg and kid were judged above; the handler checks signature, issuer and audience.
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
            return (null, null, "The access token is not valid.");
        }
        return (jwt, appId, null);
    }

    /// <summary>
    /// RFC 9068 §4: <c>at+jwt</c> or <c>application/at+jwt</c> (a media type, so without regard to
    /// case, RFC 7515 §4.1.9); a missing <c>typ</c> is refused as well.
    /// </summary>
    private static bool IsAccessTokenType(JsonWebToken jwt) =>
        HeaderString(jwt, JwtHeaderParameterNames.Typ, out var typ)
        && (string.Equals(typ, AccessTokens.TokenType, StringComparison.OrdinalIgnoreCase)
            || string.Equals(typ, "application/" + AccessTokens.TokenType, StringComparison.OrdinalIgnoreCase));

    private JsonWebToken? Read(string token)
    {
        try
        {
            return Handler.ReadJsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or System.Text.Json.JsonException)
        {
            // Note: SecurityTokenMalformedException is an ArgumentException; the others are what
            // base64 and JSON decoding throw on inputs the handler passes through.
            logger.LogDebug(e, "A bearer token could not be read");
            return null;
        }
    }

    private static bool HeaderString(JsonWebToken jwt, string name, out string value) =>
        jwt.TryGetHeaderValue(name, out value!) && value is not null;

    private static bool PayloadString(JsonWebToken jwt, string name, out string value) =>
        jwt.TryGetPayloadValue(name, out value!) && value is not null;
}
