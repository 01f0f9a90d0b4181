using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// At start, gives users stored before email skeletons existed (or after the confusables data
/// changed and the column was cleared) their <see cref="User.EmailSkeletonIndex"/>, so look-alikes
/// of old addresses are refused too. Nodes starting together compute the same values.
/// A failure is logged, not fatal; the next start tries again.
/// </summary>
internal sealed class EmailSkeletonBackfill(IServiceScopeFactory scopes, ILogger<EmailSkeletonBackfill> logger) : IHostedService
{
    private const int BatchSize = 500;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var filled = await FillAsync(cancellationToken);
            if (filled > 0)
            {
                logger.LogInformation("Email skeletons computed for {Count} existing users", filled);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not compute the email skeletons of existing users; look-alikes of their addresses are not refused yet");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<int> FillAsync(CancellationToken ct)
    {
        var filled = 0;
        var after = Guid.Empty;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
            var keyring = scope.ServiceProvider.GetRequiredService<UserKeyring>();
            var accounts = scope.ServiceProvider.GetRequiredService<UserAccounts>();
            // Note: platform work across every app: the tenant filter does not apply.
            var batch = await db.Users.IgnoreQueryFilters()
                .Where(u => u.EmailSealed != null && u.EmailSkeletonIndex == null && u.Id.CompareTo(after) > 0)
                .OrderBy(u => u.Id)
                .Take(BatchSize)
                .ToListAsync(ct);
            if (batch.Count == 0)
            {
                return filled;
            }
            foreach (var user in batch)
            {
                // An erased user's key is gone and their email with it: nothing to compare.
                if ((await keyring.FindAsync(user.Id, ct))?.Decrypt(UserFields.Email, user.EmailSealed) is { } email)
                {
                    user.EmailSkeletonIndex = accounts.SkeletonIndex(user.AppId, EmailAddress.Skeleton(email).Skeleton);
                    filled++;
                }
            }
            await db.SaveChangesAsync(ct);
            after = batch[^1].Id;
        }
    }
}
