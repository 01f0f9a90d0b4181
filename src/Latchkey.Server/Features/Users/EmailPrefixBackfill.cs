using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// At start, indexes the emails of users stored before the prefix index existed
/// (<see cref="EmailPrefixes"/>), so an admin's search by the start of an email finds them too.
/// A node that loses a race with another starting node for the same rows leaves them to it.
/// A failure is logged, not fatal; the next start tries again.
/// </summary>
internal sealed class EmailPrefixBackfill(IServiceScopeFactory scopes, ILogger<EmailPrefixBackfill> logger) : IHostedService
{
    private const int BatchSize = 500;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var filled = await FillAsync(cancellationToken);
            if (filled > 0)
            {
                logger.LogInformation("Email prefixes indexed for {Count} existing users", filled);
            }
        }
        catch (DbUpdateException)
        {
            logger.LogInformation("Another node is indexing the email prefixes of existing users");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not index the email prefixes of existing users; admins find them by their exact email only");
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
            var serverKeys = scope.ServiceProvider.GetRequiredService<ServerKeys>();
            // Note: platform work across every app: the tenant filter does not apply.
            var batch = await db.Users.IgnoreQueryFilters()
                .Where(u => u.EmailSealed != null && u.Id.CompareTo(after) > 0 && !db.UserEmailPrefixes.Any(p => p.UserId == u.Id))
                .OrderBy(u => u.Id)
                .Take(BatchSize)
                .ToListAsync(ct);
            if (batch.Count == 0)
            {
                return filled;
            }
            foreach (var user in batch)
            {
                // An erased user's key is gone and their email with it: nothing to index.
                if ((await keyring.FindAsync(user.Id, ct))?.Decrypt(UserFields.Email, user.EmailSealed) is { } email)
                {
                    EmailPrefixes.Sync(db, serverKeys, user, email);
                    filled++;
                }
            }
            await db.SaveChangesAsync(ct);
            after = batch[^1].Id;
        }
    }
}
