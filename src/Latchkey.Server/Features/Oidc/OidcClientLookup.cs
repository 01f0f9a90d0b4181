using Microsoft.AspNetCore;
using System.Security.Cryptography;
using Latchkey.Server.Features.OidcClients;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Server;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The app's client registry as the protocol reads it. OpenIddict's degraded mode checks no
/// client, redirect URI, grant or scope of its own: every validation handler asks here.
/// </summary>
public sealed class OidcClientLookup(LatchkeyDbContext db, OidcClientCache cache)
{
    /// <summary>The scopes every client may ask for (OIDC Core §5.4, RFC 6749 offline access).</summary>
    public static readonly string[] StandardScopes = ["openid", "profile", "email", "phone", "offline_access"];

    public async Task<OidcClient?> FindAsync(OpenIddictServerTransaction transaction, string? clientId) =>
        await cache.FindAsync(transaction.App().Id, clientId, db, transaction.GetHttpRequest()!.HttpContext.RequestAborted);

    /// <summary>
    /// The scopes of the request the client may not ask for; empty when every one is allowed.
    /// <c>openid</c> is every client's; a client registered without scopes has the standard ones.
    /// </summary>
    public static IReadOnlyList<string> RefusedScopes(OidcClient client, IEnumerable<string> requested) =>
        requested.Where(s => s != "openid").Where(s => client.Scopes is { } allowed ? !allowed.Contains(s, StringComparer.Ordinal) : !StandardScopes.Contains(s, StringComparer.Ordinal))
            .ToList();

    /// <summary>Whether a confidential client's presented secret is its own (constant-time, over the stored SHA-256).</summary>
    public static bool SecretMatches(OidcClient client, string? secret) =>
        client.SecretHash is { } stored && !string.IsNullOrEmpty(secret) && secret.Length <= 256
        && CryptographicOperations.FixedTimeEquals(stored, Secrets.Hash(secret));
}
