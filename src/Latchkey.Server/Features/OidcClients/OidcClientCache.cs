using System.Collections.Concurrent;
using System.Diagnostics;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.OidcClients;

/// <summary>
/// The apps' registered clients as the provider reads them on every authorization, token,
/// introspection and revocation request: each node reads a client again once its copy is
/// <see cref="Freshness"/> old (the same bound as <see cref="AppCache"/>), and at once after this
/// node changed or deleted it. Unknown ids are never kept, so made-up ids cannot grow it.
/// </summary>
/// <remarks>
/// Note: a change to a client (its redirect URIs, scopes, a rotated secret, its deletion) therefore
/// reaches the other nodes within <see cref="Freshness"/>. Codes, refresh tokens and sessions are
/// not kept here: they are read from the database on every request. The copies are shared by
/// concurrent requests and must not be changed.
/// </remarks>
public sealed class OidcClientCache
{
    public static readonly TimeSpan Freshness = AppCache.Freshness;

    private sealed record Entry(OidcClient Client, long ReadAt);

    private readonly ConcurrentDictionary<(string AppId, string ClientId), Entry> _clients = new();

    public async ValueTask<OidcClient?> FindAsync(string appId, string? clientId, LatchkeyDbContext db, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(clientId) || clientId.Length > OidcClientRules.MaxClientIdLength)
        {
            return null;
        }
        var key = (appId, clientId);
        if (_clients.TryGetValue(key, out var entry) && Stopwatch.GetElapsedTime(entry.ReadAt) < Freshness)
        {
            return entry.Client;
        }
        var readAt = Stopwatch.GetTimestamp();
        var client = await db.OidcClients.AsNoTracking().FirstOrDefaultAsync(c => c.AppId == appId && c.ClientId == clientId, ct);
        if (client is null)
        {
            _clients.TryRemove(key, out _);
            return null;
        }
        _clients[key] = new Entry(client, readAt);
        return client;
    }

    /// <summary>This node changed or deleted the client: the next request reads it again.</summary>
    public void Forget(string appId, string clientId) => _clients.TryRemove((appId, clientId), out _);
}
