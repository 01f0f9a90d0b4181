using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Security.Cryptography;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Features.Tokens;

/// <summary>Creates, finds and opens app signing keys (ES256, P-256).</summary>
public sealed class SigningKeys(LatchkeyDbContext db, ServerKeys serverKeys, SigningKeyCache cache, TimeProvider clock)
{
    public const string Es256 = "ES256";

    /// <summary>
    /// How long a key stays published after it stops signing: the longest access-token lifetime an
    /// app may set. Note: not the app's current lifetime, which an admin may have lowered since
    /// the key signed its last token.
    /// </summary>
    public static readonly TimeSpan LongestAccessTokenLifetime = TimeSpan.FromDays(1);

    /// <summary>Adds a new key for the app (not saved: the caller saves it with the app).</summary>
    public SigningKey Create(string appId) => Create(appId, clock.GetUtcNow().UtcDateTime);

    /// <summary>Adds a key published now that signs from <paramref name="activeFrom"/> (not saved).</summary>
    public SigningKey Create(string appId, DateTime activeFrom)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var id = Base64Url.Encode(RandomNumberGenerator.GetBytes(16));
        var now = clock.GetUtcNow().UtcDateTime;
        var key = new SigningKey
        {
            Id = id,
            AppId = appId,
            Algorithm = Es256,
            PublicKey = ecdsa.ExportSubjectPublicKeyInfo(),
            WrappedPrivateKey = Sealed.Seal(serverKeys.Wrapping, ecdsa.ExportPkcs8PrivateKey(), WrapContext(appId, id)),
            PublishedAt = now,
            ActiveFrom = activeFrom < now ? now : activeFrom,
        };
        db.SigningKeys.Add(key);
        return key;
    }

    /// <summary>The key that signs the app's tokens now: the newest active one.</summary>
    public async Task<SecurityKey> GetActiveAsync(string appId, CancellationToken ct)
    {
        var key = await FindActiveAsync(appId, ct) ?? throw new InvalidOperationException($"App {appId} has no signing key.");
        // Note: the cache holds opened keys by id only; which key signs is read from the database
        // on every call, so a revoked key (never active, see below) is never taken from it.
        return cache.PrivateKey(key.Id, () => OpenPrivateKey(key));
    }

    /// <summary>
    /// The opened private key of <paramref name="keyId"/>, which the caller's own query chose as the
    /// app's active key (with the rule of <see cref="FindActiveAsync"/>): from memory once opened.
    /// </summary>
    public async Task<SecurityKey> GetActiveAsync(string appId, string keyId, CancellationToken ct)
    {
        if (cache.TryGetPrivateKey(keyId, out var opened))
        {
            return opened;
        }
        var row = await db.SigningKeys.AsNoTracking().IgnoreQueryFilters().FirstOrDefaultAsync(k => k.Id == keyId && k.AppId == appId, ct)
            ?? throw new InvalidOperationException($"App {appId} has no signing key {keyId}.");
        return cache.PrivateKey(row.Id, () => OpenPrivateKey(row));
    }

    /// <summary>
    /// The row of the key that signs now: the newest whose time has come and that is not retired
    /// yet. A rotation sets the previous key's <see cref="SigningKey.RetiredAt"/> to the next key's
    /// <see cref="SigningKey.ActiveFrom"/>, so the switch happens at one instant on every node.
    /// A revoked key is never the one.
    /// </summary>
    public async Task<SigningKey?> FindActiveAsync(string appId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.SigningKeys.AsNoTracking()
                .Where(k => k.AppId == appId && k.RevokedAt == null && k.ActiveFrom <= now && (k.RetiredAt == null || k.RetiredAt > now))
                .OrderByDescending(k => k.ActiveFrom)
                .FirstOrDefaultAsync(ct)
            // A node whose clock lags the node that created the app still signs, with the oldest live key.
            ?? await db.SigningKeys.AsNoTracking()
                .Where(k => k.AppId == appId && k.RevokedAt == null && (k.RetiredAt == null || k.RetiredAt > now))
                .OrderBy(k => k.ActiveFrom)
                .FirstOrDefaultAsync(ct);
    }

    /// <summary>The published keys of an app: what the JWKS lists.</summary>
    public async Task<IReadOnlyList<SigningKey>> GetPublishedAsync(string appId, CancellationToken ct) =>
        await db.SigningKeys.AsNoTracking()
            .Where(k => k.AppId == appId)
            .Where(Published(clock.GetUtcNow().UtcDateTime))
            .OrderByDescending(k => k.ActiveFrom)
            .ToListAsync(ct);

    /// <summary>
    /// The key a token names, when it is published now (what <see cref="GetPublishedAsync"/> lists
    /// for its app), and nothing otherwise: a retired key past its window or a revoked key
    /// validates no token, whatever expiry a holder of its private half wrote into one. One query.
    /// </summary>
    public async Task<(SigningKey Row, SecurityKey Key)?> FindPublishedAsync(string keyId, CancellationToken ct)
    {
        // Note: any app's key, on purpose: the validator then checks that the token names the key's app.
        var row = await db.SigningKeys.AsNoTracking().IgnoreQueryFilters()
            .Where(k => k.Id == keyId)
            .Where(Published(clock.GetUtcNow().UtcDateTime))
            .FirstOrDefaultAsync(ct);
        return row is null ? null : (row, cache.PublicKey(row.Id, () => OpenPublicKey(row)));
    }

    /// <summary>
    /// Published at <paramref name="now"/>: not revoked, and retired (if at all) less than
    /// <see cref="LongestAccessTokenLifetime"/> ago, so tokens it signed may still be alive. The
    /// JWKS and token validation share this one rule. Note: a key is published from the moment it
    /// is created (<see cref="SigningKey.PublishedAt"/> is then), so the rule does not compare
    /// that time: a node whose clock lags the one that created the key must still know it.
    /// The compiled queries of the bearer check and of refresh spell it out again (a compiled query
    /// cannot take an expression built per call): change them with it.
    /// </summary>
    public static Expression<Func<SigningKey, bool>> Published(DateTime now)
    {
        var oldestStillValid = now - LongestAccessTokenLifetime;
        return k => k.RevokedAt == null && (k.RetiredAt == null || k.RetiredAt > oldestStillValid);
    }

    public static ECDsaSecurityKey OpenPublicKey(SigningKey row)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(row.PublicKey, out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = row.Id };
    }

    private ECDsaSecurityKey OpenPrivateKey(SigningKey row)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Sealed.Open(serverKeys.Wrapping, row.WrappedPrivateKey, WrapContext(row.AppId, row.Id)), out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = row.Id };
    }

    private static string WrapContext(string appId, string keyId) => $"signing-key:{appId}:{keyId}";
}

/// <summary>
/// Opened keys by id. Keys never change once written (rotation adds new ids), so caching them in
/// one node's memory holds no security state: revocation and expiry are decided from the database
/// (the query that finds a key by id or the active key leaves revoked and unpublished keys out).
/// </summary>
public sealed class SigningKeyCache
{
    private readonly ConcurrentDictionary<string, ECDsaSecurityKey> _private = new();
    private readonly ConcurrentDictionary<string, ECDsaSecurityKey> _public = new();

    public ECDsaSecurityKey PrivateKey(string id, Func<ECDsaSecurityKey> open) => _private.GetOrAdd(id, _ => open());
    public bool TryGetPrivateKey(string id, out ECDsaSecurityKey key) => _private.TryGetValue(id, out key!);
    public ECDsaSecurityKey PublicKey(string id, Func<ECDsaSecurityKey> open) => _public.GetOrAdd(id, _ => open());
}
