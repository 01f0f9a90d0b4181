using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.AppServerKeys;

/// <summary>
/// Reads an app server key from HTTP Basic (key id : secret), the client authentication of
/// RFC 6749 §2.3.1 that introspection and revocation use too.
/// </summary>
public static class AppServerKeyAuthentication
{
    public static bool HasBasic(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);

    /// <summary>The key of this app named by the request's Basic credentials, or 401 (429 when the address failed too often).</summary>
    public static async Task<AppServerKey> AuthenticateAsync(HttpRequest request, string appId, LatchkeyDbContext db, TimeProvider clock, CancellationToken ct)
    {
        // S5: counted per address only. A secret of 256 bits is not guessed, and a per-key lock
        // would let anyone lock an app's own servers out.
        var throttle = request.HttpContext.RequestServices.GetRequiredService<CredentialThrottle>();
        var attempt = await throttle.EnsureAllowedAsync(appId, CredentialKinds.ServerKey, null, ct);
        var key = await FindAsync(request, appId, db, ct);
        if (key is null)
        {
            await throttle.RecordFailureAsync(attempt, ct);
            throw Problems.Unauthorized("The app server key is not valid.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        await db.AppServerKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(k => k.SetProperty(x => x.LastUsedAt, now), ct);
        return key;
    }

    /// <summary>The id and secret of HTTP Basic (RFC 7617), or null when the header is not Basic credentials.</summary>
    public static (string Id, string Secret)? ReadBasic(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header) || header.Parameter is null)
        {
            return null;
        }
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return null;
        }
        var colon = decoded.IndexOf(':');
        return colon <= 0 ? null : (decoded[..colon], decoded[(colon + 1)..]);
    }

    private static async Task<AppServerKey?> FindAsync(HttpRequest request, string appId, LatchkeyDbContext db, CancellationToken ct)
    {
        if (ReadBasic(request) is not var (id, secret))
        {
            return null;
        }
        var key = await db.AppServerKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id && k.AppId == appId && k.RevokedAt == null, ct);
        // Note: the secret is compared even for an unknown id, so timing does not tell which ids exist.
        var expected = key?.SecretHash ?? new byte[32];
        return CryptographicOperations.FixedTimeEquals(expected, Secrets.Hash(secret)) ? key : null;
    }
}
