using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
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
        var user = await SignedInUser.ReadAsync(http, db, caller.UserId, ct);
        var key = await keyring.GetAsync(user.Id, ct);
        // Note: Latchkey's access tokens carry no scope; the app's own clients see the standard claims of every scope.
        return Results.Json(OidcUserClaims.Json(user, UserProfiles.View(user, key), UserInfoScopes));
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
