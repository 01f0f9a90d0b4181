using System.Security.Cryptography;
using System.Text;
using Latchkey.Server.Infrastructure.Crypto;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Infrastructure.KeyStore;

/// <summary>
/// Creates, opens and destroys per-user data keys, and encrypts a user's personal fields with them.
/// </summary>
public sealed class UserKeyring(KeyStoreDbContext store, ServerKeys serverKeys, OpenedUserKeys opened, TimeProvider clock)
{
    public async Task<UserKey> CreateAsync(Guid userId, string appId, CancellationToken ct)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        store.UserDataKeys.Add(new UserDataKey
        {
            UserId = userId,
            AppId = appId,
            WrappedKey = Sealed.Seal(serverKeys.Wrapping, dataKey, WrapContext(userId)),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await store.SaveChangesAsync(ct);
        var key = new UserKey(userId, dataKey);
        opened.Keep(key);
        return key;
    }

    /// <summary>The user's key, or null when it was destroyed (the user was erased).</summary>
    public async Task<UserKey?> FindAsync(Guid userId, CancellationToken ct)
    {
        if (opened.TryGet(userId, out var known))
        {
            return known;
        }
        var row = await store.UserDataKeys.AsNoTracking().FirstOrDefaultAsync(k => k.UserId == userId, ct);
        if (row is null)
        {
            return null;
        }
        var key = new UserKey(userId, Sealed.Open(serverKeys.Wrapping, row.WrappedKey, WrapContext(userId)));
        opened.Keep(key);
        return key;
    }

    /// <summary>The user's key; a user whose key was destroyed is erased, and answers as unknown.</summary>
    public async Task<UserKey> GetAsync(Guid userId, CancellationToken ct) =>
        await FindAsync(userId, ct) ?? throw Problems.Problems.Unauthorized("This user's data was erased.");

    public async Task DestroyAsync(Guid userId, CancellationToken ct)
    {
        await store.UserDataKeys.Where(k => k.UserId == userId).ExecuteDeleteAsync(ct);
        // Note: after the delete, so a request of this node that opened the key meanwhile is forgotten too.
        opened.Forget(userId);
    }

    public async Task DestroyAppAsync(string appId, CancellationToken ct)
    {
        await store.UserDataKeys.Where(k => k.AppId == appId).ExecuteDeleteAsync(ct);
        opened.ForgetAll();
    }

    private static string WrapContext(Guid userId) => $"user-data-key:{userId}";
}

/// <summary>An opened per-user data key. Field names go into the associated data.</summary>
public sealed class UserKey(Guid userId, byte[] key)
{
    public Guid UserId => userId;

    public byte[]? Encrypt(string field, string? value) =>
        value is null ? null : Sealed.Seal(key, Encoding.UTF8.GetBytes(value), Context(field));

    public string? Decrypt(string field, byte[]? sealedValue) =>
        sealedValue is null ? null : Encoding.UTF8.GetString(Sealed.Open(key, sealedValue, Context(field)));

    private string Context(string field) => $"user:{userId}:{field}";
}
