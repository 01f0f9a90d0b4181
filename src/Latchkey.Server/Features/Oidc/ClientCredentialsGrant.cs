using System.Security.Claims;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The <c>client_credentials</c> grant (RFC 6749 §4.4): one of the app's confidential clients
/// (<see cref="TokenClientAuthentication"/> checked its secret) gets a token for itself, with no user
/// and no session. Its scopes are the client's registered ones that name no user; it asks for some
/// of them or, asking for none, gets them all.
/// </summary>
public static class ClientCredentialsGrant
{
    public static async Task<IResult> IssueAsync(App app, HttpContext http, OpenIddictRequest request, OidcClients.OidcClientCache clients,
        LatchkeyDbContext db, AccessTokens accessTokens, CancellationToken ct)
    {
        var client = await clients.FindAsync(app.Id, request.ClientId, db, ct);
        if (client is null)
        {
            return OidcProvider.Refuse(Errors.InvalidClient, "The client_id is not a client of this app.");
        }
        var allowed = (client.Scopes ?? []).Where(s => !OidcClientLookup.StandardScopes.Contains(s)).ToList();
        var requested = request.GetScopes();
        if (requested.FirstOrDefault(s => OidcClientLookup.StandardScopes.Contains(s)) is { } userScope)
        {
            return OidcProvider.Refuse(Errors.InvalidScope, $"The scope '{userScope}' is about a user; a client's own token has none of those.");
        }
        if (requested.FirstOrDefault(s => !allowed.Contains(s, StringComparer.Ordinal)) is { } refused)
        {
            return OidcProvider.Refuse(Errors.InvalidScope, $"The scope '{refused}' is not one of this client's.");
        }
        var granted = requested.IsEmpty ? allowed : requested.ToList();
        var token = await accessTokens.CreateForClientAsync(app, client.ClientId, granted, ct);
        LatchkeyTokensInAnswer.Set(http, new LatchkeyTokensInAnswer.Issued(token, app.Settings.AccessTokenLifetimeSeconds, RefreshToken: null,
            Scope: string.Join(' ', granted)));
        var identity = new ClaimsIdentity(OidcProvider.Scheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, client.ClientId);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OidcProvider.Scheme);
    }
}
