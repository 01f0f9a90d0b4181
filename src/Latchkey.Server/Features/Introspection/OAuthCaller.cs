using Latchkey.Server.Features.AppServerKeys;
using Latchkey.Server.Features.Oidc;
using Latchkey.Server.Features.OidcClients;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Introspection;

/// <summary>
/// Who calls introspection or revocation: one of the app's servers (an app server key), or one of
/// its OpenID Connect clients (X1) — a confidential one by its secret (<c>client_secret_basic</c> or
/// <c>client_secret_post</c>), a public one by its <c>client_id</c> alone (RFC 7009 §5: a native app
/// revokes its own tokens). A client revokes only the tokens issued to it; only servers and
/// confidential clients introspect.
/// </summary>
public sealed record OAuthCaller(string? ClientId, bool MayIntrospect)
{
    public static readonly OAuthCaller AppServer = new(null, true);

    /// <summary>The caller, or null when the request's credentials are wrong or missing (the answer is <c>invalid_client</c>).</summary>
    public static async Task<OAuthCaller?> AuthenticateAsync(HttpRequest request, IFormCollection? form, string appId, LatchkeyDbContext db,
        TimeProvider clock, CancellationToken ct)
    {
        if (AppServerKeyAuthentication.HasBasic(request))
        {
            // Note: RFC 6749 §2.3.1 form-encodes a client's id and secret inside Basic; an app server key's need no decoding.
            var (id, secret) = AppServerKeyAuthentication.ReadBasic(request) is var (rawId, rawSecret)
                ? (Uri.UnescapeDataString(rawId), Uri.UnescapeDataString(rawSecret))
                : ((string?)null, (string?)null);
            if (id is not null && await FindClientAsync(request, db, appId, id, ct) is { } client)
            {
                return client.Type == OidcClientTypes.Confidential && OidcClientLookup.SecretMatches(client, secret) ? new(client.ClientId, true) : null;
            }
            try
            {
                await AppServerKeyAuthentication.AuthenticateAsync(request, appId, db, clock, ct);
                return AppServer;
            }
            catch (ProblemException e) when (e.Status == StatusCodes.Status401Unauthorized)
            {
                return null;
            }
        }
        if (form is null || form["client_id"] is not { Count: 1 } clientIds || await FindClientAsync(request, db, appId, clientIds[0], ct) is not { } named)
        {
            return null;
        }
        var presented = form["client_secret"];
        if (named.Type == OidcClientTypes.Confidential)
        {
            return presented.Count == 1 && OidcClientLookup.SecretMatches(named, presented[0]) ? new(named.ClientId, true) : null;
        }
        return presented.Count == 0 ? new(named.ClientId, false) : null;
    }

    private static ValueTask<OidcClient?> FindClientAsync(HttpRequest request, LatchkeyDbContext db, string appId, string? clientId, CancellationToken ct) =>
        request.HttpContext.RequestServices.GetRequiredService<OidcClientCache>().FindAsync(appId, clientId, db, ct);
}
