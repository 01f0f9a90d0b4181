using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Latchkey.Server.Infrastructure.KeyStore;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// Signed checkpoints of each app's chain head, in the key store (<see cref="AuditCheckpoint"/>)
/// and one log line each for log shipping. All nodes sign with the one key the key store holds,
/// so any node verifies any other's.
/// </summary>
/// <remarks>
/// Note: a commit only notes its new head here (no I/O on the request path);
/// <see cref="AuditCheckpointWriter"/> writes the newest noted head of each app soon after,
/// so a burst of sign-ins costs one signature and one write per app, and
/// <see cref="AuditCheckpointJob"/> catches up on any head a node did not get to (it stopped).
/// Which checkpoint stands is decided in the database: a write replaces only the row it read, and
/// never with an older seq, so nodes writing at once cannot move a checkpoint back.
/// </remarks>
public sealed class AuditCheckpoints(IServiceScopeFactory scopes, TimeProvider clock, ILogger<AuditCheckpoints> logger)
{
    private const string PayloadVersion = "latchkey-audit-checkpoint-v1";
    private const int WriteAttempts = 5;

    private readonly ConcurrentDictionary<string, Head> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _written = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _appGates = new(StringComparer.Ordinal);
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private AuditSigningKey? _key;

    private sealed record Head(long Seq, byte[] Hash);

    /// <summary>The exact text a checkpoint's signature covers (for checking one outside Latchkey).</summary>
    public const string PayloadFormat = PayloadVersion + "\\n{appId}\\n{seq}\\n{hash}\\n{at}";

    /// <summary>Wakes <see cref="AuditCheckpointWriter"/> when a head was noted.</summary>
    internal ChannelReader<bool> Noted => _signal.Reader;

    /// <summary>The one signing key of all nodes, from the key store (created there by the first node).</summary>
    public async Task<AuditSigningKey> SigningKeyAsync(CancellationToken ct)
    {
        if (_key is { } known)
        {
            return known;
        }
        await using var scope = scopes.CreateAsyncScope();
        var pkcs8 = await scope.ServiceProvider.GetRequiredService<KeyStoreSecrets>()
            .GetOrAddAsync(AuditSigningKey.SecretName, AuditSigningKey.NewPkcs8, ct);
        return _key = AuditSigningKey.FromPkcs8(pkcs8);
    }

    /// <summary>Notes that <paramref name="appId"/>'s chain reached <paramref name="seq"/>, after the commit that appended it. Never blocks.</summary>
    public void Note(string appId, long seq, byte[] hash)
    {
        if (_written.TryGetValue(appId, out var written) && written >= seq)
        {
            return;
        }
        _pending.AddOrUpdate(appId, new Head(seq, hash), (_, old) => old.Seq >= seq ? old : new Head(seq, hash));
        _signal.Writer.TryWrite(true);
    }

    /// <summary>Writes the heads this node noted (of one app, or all), and waits for a write of them already under way.</summary>
    public async Task FlushAsync(string? appId, CancellationToken ct)
    {
        foreach (var app in appId is null ? [.. _pending.Keys] : new[] { appId })
        {
            var gate = _appGates.GetOrAdd(app, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(ct);
            try
            {
                if (_pending.TryRemove(app, out var head))
                {
                    await WriteNotedAsync(app, head, ct);
                }
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>The app's checkpoint (null when there is none yet), with its signature checked.</summary>
    public async Task<CheckedCheckpoint?> ReadAsync(string appId, CancellationToken ct)
    {
        var key = await SigningKeyAsync(ct);
        await using var scope = scopes.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>().AuditCheckpoints.AsNoTracking()
            .FirstOrDefaultAsync(c => c.AppId == appId, ct);
        if (row is null)
        {
            return null;
        }
        var parsed = DateTime.TryParse(row.At, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at);
        return new CheckedCheckpoint(appId, row.Seq, row.Hash, at, parsed && IsSigned(key, row));
    }

    /// <summary>The app ids and seqs of every stored checkpoint (for <see cref="AuditCheckpointJob"/>).</summary>
    public async Task<Dictionary<string, long>> StoredSeqsAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>().AuditCheckpoints.AsNoTracking()
            .ToDictionaryAsync(c => c.AppId, c => c.Seq, StringComparer.Ordinal, ct);
    }

    /// <summary>
    /// Stores a checkpoint as it was signed elsewhere (an old keys folder's file), unless one
    /// exists; an unsigned or tampered one is kept too, as evidence. True when stored.
    /// </summary>
    internal static async Task<bool> TryImportAsync(KeyStoreDbContext store, AuditCheckpoint checkpoint, CancellationToken ct)
    {
        if (await store.AuditCheckpoints.AnyAsync(c => c.AppId == checkpoint.AppId, ct))
        {
            return false;
        }
        store.AuditCheckpoints.Add(checkpoint);
        await store.SaveChangesAsync(ct);
        return true;
    }

    public static string Payload(string appId, long seq, string hashHex, string at) =>
        string.Join('\n', PayloadVersion, appId, seq.ToString(CultureInfo.InvariantCulture), hashHex, at);

    internal static bool IsSigned(AuditSigningKey key, AuditCheckpoint row) =>
        key.Verify(Payload(row.AppId, row.Seq, Convert.ToHexStringLower(row.Hash), row.At), row.Signature);

    private async Task WriteNotedAsync(string appId, Head head, CancellationToken ct)
    {
        try
        {
            await WriteAsync(appId, head.Seq, head.Hash, ct);
        }
        catch (Exception e)
        {
            // Kept for the next turn; the records are committed whatever happens here.
            _pending.AddOrUpdate(appId, head, (_, old) => old.Seq >= head.Seq ? old : head);
            if (e is OperationCanceledException)
            {
                throw;
            }
            logger.LogError(e, "Could not write the audit checkpoint of app {AppId} at {Seq}", appId, head.Seq);
        }
    }

    private async Task WriteAsync(string appId, long seq, byte[] hash, CancellationToken ct)
    {
        if (_written.TryGetValue(appId, out var written) && written >= seq)
        {
            return;
        }
        var key = await SigningKeyAsync(ct);
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>();
        for (var attempt = 0; attempt < WriteAttempts; attempt++)
        {
            var current = await store.AuditCheckpoints.AsNoTracking().FirstOrDefaultAsync(c => c.AppId == appId, ct);
            if (current is not null && current.Seq >= seq)
            {
                MarkWritten(appId, current.Seq);
                return;
            }
            if (current is not null && !IsSigned(key, current))
            {
                // Note: evidence is not overwritten; an operator looks into it and deletes the row.
                logger.LogWarning("The audit checkpoint of app {AppId} in the key store has no valid signature; it is left as it is", appId);
                return;
            }
            var next = Sign(key, appId, seq, hash);
            if (current is null ? await TryInsertAsync(store, next, ct) : await TryReplaceAsync(store, current, next, ct))
            {
                MarkWritten(appId, seq);
                // One short line for log shipping: the line's own timestamp dates it, and the head's first 8 bytes witness it.
                logger.LogInformation("Audit checkpoint {AppId} {Seq} {Hash}", appId, seq, Convert.ToHexStringLower(hash.AsSpan(0, 8)));
                return;
            }
        }
        throw new InvalidOperationException($"The audit checkpoint of app {appId} kept changing under {WriteAttempts} writes.");
    }

    private AuditCheckpoint Sign(AuditSigningKey key, string appId, long seq, byte[] hash)
    {
        var at = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        return new AuditCheckpoint
        {
            AppId = appId,
            Seq = seq,
            Hash = hash,
            At = at,
            KeyId = key.KeyId,
            Signature = key.Sign(Payload(appId, seq, Convert.ToHexStringLower(hash), at)),
        };
    }

    private static async Task<bool> TryInsertAsync(KeyStoreDbContext store, AuditCheckpoint next, CancellationToken ct)
    {
        var entry = store.AuditCheckpoints.Add(next);
        try
        {
            await store.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            // Another node wrote the first checkpoint in the same instant: read it and go again.
            return false;
        }
        finally
        {
            entry.State = EntityState.Detached;
        }
    }

    /// <summary>Replaces exactly the row that was read: a row another node changed meanwhile is left to the next attempt.</summary>
    private static async Task<bool> TryReplaceAsync(KeyStoreDbContext store, AuditCheckpoint current, AuditCheckpoint next, CancellationToken ct) =>
        await store.AuditCheckpoints
            .Where(c => c.AppId == current.AppId && c.Seq == current.Seq && c.Signature == current.Signature)
            .ExecuteUpdateAsync(c => c
                .SetProperty(x => x.Seq, next.Seq).SetProperty(x => x.Hash, next.Hash).SetProperty(x => x.At, next.At)
                .SetProperty(x => x.KeyId, next.KeyId).SetProperty(x => x.Signature, next.Signature), ct) == 1;

    private void MarkWritten(string appId, long seq) => _written.AddOrUpdate(appId, seq, (_, old) => Math.Max(old, seq));
}
