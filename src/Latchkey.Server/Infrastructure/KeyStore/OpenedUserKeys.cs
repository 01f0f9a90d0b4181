using Microsoft.Extensions.Caching.Memory;

namespace Latchkey.Server.Infrastructure.KeyStore;

/// <summary>
/// Opened per-user data keys, kept for <see cref="Lifetime"/> so the hot paths (refresh, sign-in,
/// GET /me) do not read the key store on every request. An erasure forgets the key at once on the
/// node that erases; other nodes drop their copy within <see cref="Lifetime"/> (the documented
/// bound on how long an erased user's key can outlive the erasure in memory). Nothing here
/// decides access: a session's revocation and a user's state are read from the database.
/// </summary>
public sealed class OpenedUserKeys : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private const int MaxKeys = 100_000;

    private readonly MemoryCache _keys = new(new MemoryCacheOptions { SizeLimit = MaxKeys });

    public bool TryGet(Guid userId, out UserKey key) => _keys.TryGetValue(userId, out key!);

    public void Keep(UserKey key) =>
        _keys.Set(key.UserId, key, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = Lifetime });

    public void Forget(Guid userId) => _keys.Remove(userId);

    /// <summary>Every key (an app was deleted: its users' keys are not told apart here).</summary>
    public void ForgetAll() => _keys.Clear();

    public void Dispose() => _keys.Dispose();
}
