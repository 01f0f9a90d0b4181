using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Features.Oidc;

/// <summary>The provider's endpoints under the app's issuer (OpenIddict checks the protocol first; see <see cref="OidcProvider"/>).</summary>
public static class OidcEndpoints
{
    public static RouteGroupBuilder MapOidcProviderEndpoints(this RouteGroupBuilder app)
    {
        app.MapMethods("/" + OidcPaths.Authorize, ["GET", "POST"], AuthorizeEndpoint.HandleAsync).DisableAntiforgery()
            .Produces(StatusCodes.Status200OK, contentType: "text/html").Produces(StatusCodes.Status302Found)
            .WithSummary("OpenID Connect authorization endpoint: the app's sign-in page (code flow with PKCE S256)");
        app.MapPost("/" + OidcPaths.Token, OidcTokenEndpoint.ExchangeAsync).DisableAntiforgery()
            .WithSummary("OpenID Connect token endpoint: authorization_code (with PKCE) and refresh_token grants; RFC 6749 error bodies");
        app.MapMethods("/" + OidcPaths.EndSession, ["GET", "POST"], EndSessionAsync).DisableAntiforgery()
            .WithSummary("OpenID Connect RP-initiated logout: ends the app's browser session (and the id_token_hint's session)");
        return app;
    }

    public static RouteGroupBuilder MapOidcUserInfoEndpoint(this RouteGroupBuilder signedIn)
    {
        signedIn.MapMethods("/" + OidcPaths.UserInfo, ["GET", "POST"], UserInfoAsync).DisableAntiforgery()
            .WithSummary("OpenID Connect userinfo: the signed-in user's standard claims (sub, email, phone_number, preferred_username)");
        return signedIn;
    }

    private static readonly string[] UserInfoScopes = [Scopes.Profile, Scopes.Email, Scopes.Phone];

    internal static async Task<IResult> UserInfoAsync(CurrentApp app, Caller caller, HttpContext http, LatchkeyDbContext db, UserKeyring keyring, CancellationToken ct)
    {
        var granted = await db.Sessions.AsNoTracking().Where(s => s.Id == caller.SessionId).Select(s => s.Scope).FirstOrDefaultAsync(ct);
        // Note: a session of the JSON API has no scopes and sees the standard claims of each; a client's sees its grant's.
        var scopes = granted is null ? UserInfoScopes : granted.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (granted is not null && !scopes.Contains(Scopes.OpenId))
        {
            // OIDC Core §5.3: userinfo answers tokens granted openid (RFC 6750 §3.1).
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"insufficient_scope\", scope=\"openid\"";
            return Results.Json(new { error = "insufficient_scope", error_description = "This access token was not granted the openid scope." },
                statusCode: StatusCodes.Status403Forbidden);
        }
        var user = await SignedInUser.ReadAsync(http, db, caller.UserId, ct);
        var key = await keyring.GetAsync(user.Id, ct);
        return Results.Json(OidcUserClaims.Json(user, UserProfiles.View(user, key), scopes));
    }

    internal static async Task<IResult> EndSessionAsync(CurrentApp app, HttpContext http, BrowserSessions browserSessions, SessionService sessions, CancellationToken ct)
    {
        if (http.GetOpenIddictServerResponse() is { Error: { } error } refused)
        {
            return SignInPage.Refused(error, refused.ErrorDescription);
        }
        var request = http.GetOpenIddictServerRequest();
        if (request is null)
        {
            return SignInPage.Refused(Errors.InvalidRequest, "This is the provider's end-session endpoint; open it from an app.");
        }
        browserSessions.End(http, app.App);
        var hint = (await http.AuthenticateAsync(OidcProvider.Scheme)).Principal;
        if (Guid.TryParse(hint?.GetClaim("sid"), out var sessionId))
        {
            await sessions.RevokeAsync(sessionId, RevokeReasons.Logout, ct);
        }
        return string.IsNullOrEmpty(request.PostLogoutRedirectUri)
            ? SignInPage.SignedOut()
            : Results.SignOut(authenticationSchemes: [OidcProvider.Scheme]);
    }
}
