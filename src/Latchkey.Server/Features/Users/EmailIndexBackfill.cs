using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// At start, gives users stored before an email index existed what it would have given them at
/// sign-up: the <see cref="User.EmailSkeletonIndex"/> (also after the confusables data changed
/// and the column was cleared), so look-alikes of old addresses are refused, and the prefix rows
/// (<see cref="EmailPrefixes"/>), so admins find them by the start of their email. Each email is
/// opened once for both. Nodes starting together compute the same values; one that loses the race
/// for the prefix rows leaves them to the other. A failure is logged, not fatal; the next start
/// tries again.
/// </summary>
internal sealed class EmailIndexBackfill(IServiceScopeFactory scopes, ILogger<EmailIndexBackfill> logger) : IHostedService
{
    private const int BatchSize = 500;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var filled = await FillAsync(cancellationToken);
            if (filled > 0)
            {
                logger.LogInformation("Email indexes computed for {Count} existing users", filled);
            }
        }
        catch (DbUpdateException)
        {
            logger.LogInformation("Another node is computing the email indexes of existing users");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not compute the email indexes of existing users; look-alikes of their addresses are not refused yet and admins find them by their exact email only");
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
            var serverKeys = scope.ServiceProvider.GetRequiredService<ServerKeys>();
            // Note: platform work across every app: the tenant filter does not apply.
            var batch = await db.Users.IgnoreQueryFilters()
                .Where(u => u.EmailSealed != null && u.Id.CompareTo(after) > 0)
                .Where(u => u.EmailSkeletonIndex == null || !db.UserEmailPrefixes.Any(p => p.UserId == u.Id))
                .OrderBy(u => u.Id)
                .Select(u => new { User = u, Indexed = db.UserEmailPrefixes.Any(p => p.UserId == u.Id) })
                .Take(BatchSize)
                .ToListAsync(ct);
            if (batch.Count == 0)
            {
                return filled;
            }
            foreach (var (user, indexed) in batch.Select(b => (b.User, b.Indexed)))
            {
                // An erased user's key is gone and their email with it: nothing to compare or index.
                if ((await keyring.FindAsync(user.Id, ct))?.Decrypt(UserFields.Email, user.EmailSealed) is not { } email)
                {
                    continue;
                }
                user.EmailSkeletonIndex ??= accounts.SkeletonIndex(user.AppId, EmailAddress.Skeleton(email).Skeleton);
                if (!indexed)
                {
                    EmailPrefixes.Sync(db, serverKeys, user, email);
                }
                filled++;
            }
            await db.SaveChangesAsync(ct);
            after = batch[^1].User.Id;
        }
    }
}
