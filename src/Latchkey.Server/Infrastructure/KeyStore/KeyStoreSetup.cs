using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Jobs;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Infrastructure.KeyStore;

/// <summary>
/// Start-up work on the key store, after migrations and the master-key check: moves an old keys
/// folder's contents in (<see cref="KeysFolderImport"/>), then makes sure the audit signing key and
/// a current Data Protection key exist. One node at a time does it (a lease in the main database),
/// so nodes starting together on an empty key store end up with one key ring, not one each: a
/// node whose cookies another cannot read.
/// </summary>
public sealed class KeyStoreSetup(
    JobLeases leases,
    KeysFolderImport import,
    AuditCheckpoints checkpoints,
    IKeyManager dataProtectionKeys,
    IOptions<KeyManagementOptions> dataProtection,
    ILogger<KeyStoreSetup> logger)
{
    public const string LeaseName = "key-store-setup";
    private static readonly TimeSpan LeaseTime = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public async Task RunAsync(CancellationToken ct)
    {
        // Note: real time, not the injected clock: this is how long a start waits for another node.
        var giveUpAt = DateTime.UtcNow + LongestWait;
        while (!await leases.TryAcquireAsync(LeaseName, LeaseTime, ct))
        {
            if (DateTime.UtcNow > giveUpAt)
            {
                throw new InvalidOperationException(
                    $"Another node has been preparing the key store for {LongestWait.TotalMinutes} minutes (lease '{LeaseName}' in job_leases); " +
                    "start again once it is up, or after the lease expires if that node died.");
            }
            await Task.Delay(Poll, ct);
        }
        try
        {
            await import.RunAsync(ct);
            await checkpoints.SigningKeyAsync(ct);
            EnsureDataProtectionKey();
        }
        finally
        {
            await leases.ReleaseAsync(LeaseName, CancellationToken.None);
        }
    }

    private void EnsureDataProtectionKey()
    {
        // Note: Data Protection reads the system clock, not the injected one.
        var now = DateTimeOffset.UtcNow;
        if (dataProtectionKeys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now))
        {
            return;
        }
        var key = dataProtectionKeys.CreateNewKey(now, now + dataProtection.Value.NewKeyLifetime);
        logger.LogInformation("Created Data Protection key {KeyId} in the key store; it expires {Expiration:O}", key.KeyId, key.ExpirationDate);
    }
}
