using Latchkey.Server.Infrastructure.Crypto;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Infrastructure.KeyStore;

/// <summary>
/// Server-wide secrets in the key store, sealed with the wrapping key (AES-256-GCM, the name as
/// associated data). The first node to store a name wins (its primary key decides); every other
/// node reads that value, so N nodes share one secret without sharing a folder.
/// </summary>
public sealed class KeyStoreSecrets(KeyStoreDbContext store, ServerKeys keys, TimeProvider clock)
{
    /// <summary>The secret, or null when none is stored under <paramref name="name"/>.</summary>
    public async Task<byte[]?> FindAsync(string name, CancellationToken ct)
    {
        var row = await store.Secrets.AsNoTracking().FirstOrDefaultAsync(s => s.Name == name, ct);
        return row is null ? null : Sealed.Open(keys.Wrapping, row.WrappedValue, Context(name));
    }

    /// <summary>The stored secret; when there is none yet, <paramref name="create"/>'s value is stored, unless another node stored one first.</summary>
    public async Task<byte[]> GetOrAddAsync(string name, Func<byte[]> create, CancellationToken ct)
    {
        if (await FindAsync(name, ct) is { } stored)
        {
            return stored;
        }
        await TryAddAsync(name, create(), ct);
        return await FindAsync(name, ct) ?? throw new InvalidOperationException($"The key store lost the secret {name} it just stored.");
    }

    /// <summary>Stores <paramref name="value"/> unless a secret of that name exists; true when this call stored it.</summary>
    public async Task<bool> TryAddAsync(string name, byte[] value, CancellationToken ct)
    {
        var entry = store.Secrets.Add(new StoredSecret
        {
            Name = name,
            WrappedValue = Sealed.Seal(keys.Wrapping, value, Context(name)),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        try
        {
            await store.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            entry.State = EntityState.Detached;
            // Another node stored it in the same instant: the primary key decided.
            if (await store.Secrets.AsNoTracking().AnyAsync(s => s.Name == name, ct))
            {
                return false;
            }
            throw;
        }
        finally
        {
            entry.State = EntityState.Detached;
        }
    }

    private static string Context(string name) => "key-store-secret:" + name;
}
