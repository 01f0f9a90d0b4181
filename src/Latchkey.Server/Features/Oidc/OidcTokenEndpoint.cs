using System.Security.Claims;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Pin;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The token endpoint once OpenIddict has checked the request, the client and the code (PKCE,
/// redirect URI, client, expiry): the code starts a Latchkey session (once), a refresh token goes
/// through the one rotation, and the answer carries Latchkey's tokens (<see cref="LatchkeyTokensInAnswer"/>).
/// </summary>
public static class OidcTokenEndpoint
{
    public static async Task<IResult> ExchangeAsync(
        CurrentApp app, HttpContext http, OidcCodeRedemptions redemptions, SessionService sessions, RefreshRotation rotation,
        UserKeyring keyring, LatchkeyDbContext db, AccessTokens accessTokens, OidcClients.OidcClientCache clients, CancellationToken ct)
    {
        var request = http.GetOpenIddictServerRequest();
        if (request is null)
        {
            throw Problems.InvalidRequest("This is the OpenID Connect token endpoint: POST a token request (RFC 6749 §4.1.3).");
        }
        try
        {
            if (request.IsAuthorizationCodeGrantType())
            {
                return await RedeemCodeAsync(app.App, http, request, redemptions, sessions, keyring, db, ct);
            }
            if (request.IsClientCredentialsGrantType())
            {
                return await ClientCredentialsGrant.IssueAsync(app.App, http, request, clients, db, accessTokens, ct);
            }
            if (request.IsRefreshTokenGrantType())
            {
                var unlock = new PinUnlock((string?)request["pin"], string.Equals((string?)request["unloaded"], "true", StringComparison.OrdinalIgnoreCase));
                var tokens = await rotation.RefreshAsync(app.App, request.RefreshToken!, unlock, request.ClientId, ct);
                LatchkeyTokensInAnswer.Set(http, LatchkeyTokensInAnswer.Issued.ForUser(tokens, includeRefreshToken: true));
                var identity = new ClaimsIdentity(OidcProvider.Scheme, Claims.Name, Claims.Role);
                identity.SetClaim(Claims.Subject, tokens.User.Id.ToString());
                return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OidcProvider.Scheme);
            }
        }
        catch (ProblemException problem) when (problem.Status < 500 && problem.Status != StatusCodes.Status429TooManyRequests)
        {
            // Note: OAuth clients read RFC 6749 errors here; Latchkey's own code names the PIN gate (S1).
            return OidcProvider.Refuse(problem.Code is "pin_required" or "pin_locked" ? problem.Code : Errors.InvalidGrant, problem.Message);
        }
        return OidcProvider.Refuse(Errors.UnsupportedGrantType, "This grant type is not offered.");
    }

    private static async Task<IResult> RedeemCodeAsync(App app, HttpContext http, OpenIddictRequest request, OidcCodeRedemptions redemptions,
        SessionService sessions, UserKeyring keyring, LatchkeyDbContext db, CancellationToken ct)
    {
        var code = (await http.AuthenticateAsync(OidcProvider.Scheme)).Principal
            ?? throw new InvalidOperationException("OpenIddict validated the code but gave no principal.");
        var codeId = code.GetClaim(OidcClaims.CodeId);
        if (string.IsNullOrEmpty(codeId) || !Guid.TryParse(code.GetClaim(Claims.Subject), out var userId))
        {
            return OidcProvider.Refuse(Errors.InvalidGrant, "The authorization code is not one this server issued.");
        }
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null)
        {
            return OidcProvider.Refuse(Errors.InvalidGrant, "The user of this code no longer exists.");
        }
        var key = await keyring.GetAsync(user.Id, ct);
        var view = UserProfiles.View(user, key);
        Guid sessionId = default;
        var redeem = redemptions.RedeemAlongside(app.Id, codeId);
        var scopes = code.GetScopes();
        Tokens.TokenResponse tokens;
        try
        {
            tokens = await sessions.StartAsync(app, user, key, view, device: null, new SessionStart(request.ClientId, string.Join(' ', scopes), s =>
            {
                sessionId = s.Id;
                redeem(s);
            }), ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (!await redemptions.IsRedeemedAsync(codeId, CancellationToken.None))
            {
                throw;
            }
            // The code was redeemed already, or at the same moment (perhaps on another node): the first one won.
            return await ReplayedAsync(redemptions, codeId, ct);
        }
        LatchkeyTokensInAnswer.Set(http, LatchkeyTokensInAnswer.Issued.ForUser(tokens, includeRefreshToken: scopes.Contains(Scopes.OfflineAccess)));
        return Results.SignIn(IdentityTokenPrincipal(code, user, view, sessionId, scopes), authenticationScheme: OidcProvider.Scheme);
    }

    private static async Task<IResult> ReplayedAsync(OidcCodeRedemptions redemptions, string codeId, CancellationToken ct)
    {
        await redemptions.RevokeReplayedAsync(codeId, ct);
        return OidcProvider.Refuse(Errors.InvalidGrant, "The authorization code was used already; the session it started has ended.");
    }

    /// <summary>What the ID token says: the user, the session, when and how they signed in, and the claims of the granted scopes.</summary>
    private static ClaimsPrincipal IdentityTokenPrincipal(ClaimsPrincipal code, User user, UserView view, Guid sessionId, IEnumerable<string> scopes)
    {
        var identity = new ClaimsIdentity(OidcProvider.Scheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Id.ToString());
        identity.SetClaim("sid", sessionId.ToString());
        if (code.GetClaim(Claims.AuthenticationTime) is { } authTime && long.TryParse(authTime, out var seconds))
        {
            identity.SetClaim(Claims.AuthenticationTime, seconds);
        }
        // How they signed in (RFC 8176): "pwd", and "otp" after a second factor.
        identity.SetClaims(Claims.AuthenticationMethodReference, code.GetClaims(Claims.AuthenticationMethodReference));
        foreach (var claim in OidcUserClaims.For(user, view, scopes))
        {
            identity.AddClaim(claim);
        }
        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(scopes);
        foreach (var claim in principal.Claims)
        {
            claim.SetDestinations(Destinations.IdentityToken);
        }
        return principal;
    }
}

public static class OidcClaims
{
    /// <summary>A private claim of the authorization code: its id, the key of its single use.</summary>
    public const string CodeId = "lk_code";
}
