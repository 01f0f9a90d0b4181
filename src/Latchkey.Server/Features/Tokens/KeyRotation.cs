using Latchkey.Server.Features.Audit;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Tokens;

/// <summary>
/// Replaces an app's signing key without downtime (MISSION T3). The next key is published at once
/// and signs only after the publish delay; at that instant the key before it retires, and it stays
/// in the JWKS until every token it signed has expired (<see cref="SigningKeys.LongestAccessTokenLifetime"/>).
/// <para>
/// Many nodes may rotate at once (the schedule runs on each). Which one does it is decided in the
/// database: a conditional update claims the app's newest key (RetiredAt still as read); the node
/// whose update changes no row lost the race and does nothing. Should two next keys exist anyway,
/// every rotation retires all the others, and the newest active key is the one that signs.
/// </para>
/// </summary>
public sealed class KeyRotation(
    LatchkeyDbContext db,
    SigningKeys keys,
    IOptions<SigningKeyOptions> options,
    AuditLog audit,
    JwksDocuments jwks,
    TimeProvider clock,
    ILogger<KeyRotation> logger)
{
    /// <summary>Starts a rotation now; <paramref name="immediate"/> (an emergency) lets the next key sign at once.</summary>
    public async Task<SigningKey> RotateAsync(string appId, bool immediate, CancellationToken ct)
    {
        var delay = immediate ? TimeSpan.Zero : options.Value.PublishDelay;
        // A manual rotation racing another one tries again on top of it.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await TryRotateAsync(appId, delay, dueBefore: null, ct) is { } next)
            {
                return next;
            }
        }
        throw Problems.Conflict("rotation_conflict", "Other rotations of this app's keys ran at the same time; list the keys and try again if needed.");
    }

    /// <summary>
    /// Rotates every app whose newest key was published a rotation period ago or earlier. A node that
    /// was down for several periods rotates once, not once per missed period.
    /// </summary>
    public async Task<int> RotateDueAsync(CancellationToken ct)
    {
        var due = clock.GetUtcNow().UtcDateTime - options.Value.RotationPeriod;
        var appIds = await db.SigningKeys.AsNoTracking().IgnoreQueryFilters()
            .GroupBy(k => k.AppId)
            .Where(g => g.Max(k => k.PublishedAt) <= due)
            .Select(g => g.Key)
            .ToListAsync(ct);
        var rotated = 0;
        foreach (var appId in appIds)
        {
            try
            {
                // Each app's rotation is that app's work, scoped to it as the admin route is.
                db.TenantAppId = appId;
                if (await TryRotateAsync(appId, options.Value.PublishDelay, due, ct) is { } next)
                {
                    rotated++;
                    audit.RecordSystem(appId, "keys.rotate", null, $"next {next.Id}, scheduled");
                    await db.SaveChangesAsync(ct);
                    logger.LogInformation("Scheduled rotation of app {AppId}: key {KeyId} signs from {ActiveFrom:o}", appId, next.Id, next.ActiveFrom);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Scheduled key rotation of app {AppId} failed; will try again", appId);
            }
        }
        return rotated;
    }

    private async Task<SigningKey?> TryRotateAsync(string appId, TimeSpan delay, DateTime? dueBefore, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var now = clock.GetUtcNow().UtcDateTime;
        var activeFrom = now + delay;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var newest = await db.SigningKeys.AsNoTracking()
            .Where(k => k.AppId == appId)
            .OrderByDescending(k => k.PublishedAt).ThenByDescending(k => k.ActiveFrom)
            .FirstOrDefaultAsync(ct);
        if (newest is null || (dueBefore is { } due && newest.PublishedAt > due))
        {
            return null;
        }

        var seen = newest.RetiredAt;
        var retireAt = seen is { } earlier && earlier < activeFrom ? earlier : activeFrom;
        var claimed = await db.SigningKeys
            .Where(k => k.Id == newest.Id && k.RetiredAt == seen)
            .ExecuteUpdateAsync(k => k.SetProperty(x => x.RetiredAt, retireAt), ct);
        if (claimed != 1)
        {
            return null;
        }
        // Every other key that would still sign after the switch stops at the switch: the key
        // signing now, and a next key of an earlier rotation that has not started yet.
        await db.SigningKeys
            .Where(k => k.AppId == appId && k.Id != newest.Id && (k.RetiredAt == null || k.RetiredAt > activeFrom))
            .ExecuteUpdateAsync(k => k.SetProperty(x => x.RetiredAt, activeFrom), ct);
        var next = keys.Create(appId, activeFrom);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        jwks.Forget(appId);
        db.ChangeTracker.Clear();
        return next;
    }
}

/// <summary>
/// Runs <see cref="KeyRotation.RotateDueAsync"/> when the node starts (catching up after downtime)
/// and then every <see cref="SigningKeyOptions.CheckInterval"/> of the injected clock.
/// </summary>
public sealed class ScheduledKeyRotation(
    IServiceScopeFactory scopes,
    IOptions<SigningKeyOptions> options,
    TimeProvider clock,
    ILogger<ScheduledKeyRotation> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.RotationDays == 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.CheckInterval, clock);
        do
        {
            // Off the timer's thread, so that missed ticks collapse into one turn (see LeasedJob).
            await Task.Yield();
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<KeyRotation>().RotateDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not look for signing keys due for rotation; will try again");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
