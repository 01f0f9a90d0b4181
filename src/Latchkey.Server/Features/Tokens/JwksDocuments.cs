using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Latchkey.Server.Infrastructure.Http;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Features.Tokens;

/// <summary>
/// Each app's JWKS, serialised once and served from memory. A node reads an app's published keys
/// again when its copy is <see cref="Freshness"/> old, when the published set changes by the clock
/// (a retired key's window ends), or at once when this node rotates or revokes the app's keys.
/// </summary>
/// <remarks>
/// Note: so another node's rotation or revocation reaches this node's JWKS within
/// <see cref="Freshness"/>. Nothing is decided from this copy: token validation reads the keys
/// from the database (<see cref="SigningKeys.FindPublishedAsync"/>), so a revoked key validates
/// nothing anywhere from the moment it is revoked.
/// </remarks>
public sealed class JwksDocuments(SigningKeyCache keyCache, TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);

    private sealed record Entry(CachedJson Document, long ReadAt, DateTime ChangesAt);

    private readonly ConcurrentDictionary<string, Entry> _apps = new(StringComparer.Ordinal);

    public async ValueTask<CachedJson> GetAsync(string appId, SigningKeys keys, CancellationToken ct)
    {
        if (_apps.TryGetValue(appId, out var entry)
            && Stopwatch.GetElapsedTime(entry.ReadAt) < Freshness
            && clock.GetUtcNow().UtcDateTime < entry.ChangesAt)
        {
            return entry.Document;
        }
        var readAt = Stopwatch.GetTimestamp();
        var published = await keys.GetPublishedAsync(appId, ct);
        var document = new CachedJson(JsonSerializer.SerializeToUtf8Bytes(new DiscoveryEndpoints.Jwks(published.Select(Jwk).ToList()), JsonSerializerOptions.Web));
        var changesAt = published.Where(k => k.RetiredAt is not null)
            .Select(k => k.RetiredAt!.Value + SigningKeys.LongestAccessTokenLifetime)
            .DefaultIfEmpty(DateTime.MaxValue).Min();
        _apps[appId] = new Entry(document, readAt, changesAt);
        return document;
    }

    /// <summary>This node changed the app's keys: its next JWKS request reads them again.</summary>
    public void Forget(string appId) => _apps.TryRemove(appId, out _);

    private DiscoveryEndpoints.Jwk Jwk(SigningKey row)
    {
        var q = keyCache.PublicKey(row.Id, () => SigningKeys.OpenPublicKey(row)).ECDsa.ExportParameters(includePrivateParameters: false).Q;
        return new DiscoveryEndpoints.Jwk("EC", "P-256", Base64UrlEncoder.Encode(q.X), Base64UrlEncoder.Encode(q.Y), row.Id, "sig", row.Algorithm);
    }
}
