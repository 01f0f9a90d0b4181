using System.Text.Json;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// Sends the due messages of the providers this node is configured for. Every node runs one;
/// a message is claimed by a conditional update (pending, due, not leased → leased, one more
/// attempt), so two nodes never send it twice, and a node that dies mid-send gives it back when
/// the lease runs out.
/// </summary>
internal sealed class MessageDispatcher(
    IServiceScopeFactory scopes, IEnumerable<IMessageSender> senders, ServerKeys keys, TimeProvider clock, ILogger<MessageDispatcher> logger)
{
    public const int BatchSize = 20;
    public const int MaxAttempts = 8;

    /// <summary>Longer than any send may take (SMTP timeout at most 5 min per step), so a slow send is not taken over.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(15);

    /// <summary>The wait after the n-th failed attempt; after the last, the message is failed.</summary>
    public static readonly TimeSpan[] Backoff =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2),
    ];

    private readonly Dictionary<string, IMessageSender> _senders = senders
        .GroupBy(s => s.Provider).ToDictionary(g => g.Key, g => g.Last());

    /// <summary>Sends until nothing of these providers is due; returns how many were attempted here.</summary>
    public async Task<int> SendDueAsync(IReadOnlyCollection<string> providers, CancellationToken ct)
    {
        var attempted = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
            var now = clock.GetUtcNow().UtcDateTime;
            var due = await Due(db, now).Where(m => providers.Contains(m.Provider!))
                .OrderBy(m => m.NextAttemptAt).Select(m => m.Id).Take(BatchSize).ToListAsync(ct);
            foreach (var id in due)
            {
                if (await TrySendAsync(db, id, ct))
                {
                    attempted++;
                }
            }
            if (due.Count < BatchSize)
            {
                return attempted;
            }
        }
    }

    private static IQueryable<Message> Due(LatchkeyDbContext db, DateTime now) =>
        db.Messages.IgnoreQueryFilters().Where(m => m.Status == MessageStatus.Pending && m.NextAttemptAt <= now && (m.LockedUntil == null || m.LockedUntil < now));

    private async Task<bool> TrySendAsync(LatchkeyDbContext db, Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var leaseEnd = now + Lease;
        var claimed = await Due(db, now).Where(m => m.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LockedUntil, leaseEnd).SetProperty(m => m.Attempts, m => m.Attempts + 1), ct);
        if (claimed == 0)
        {
            return false; // another node took it first
        }
        var message = await db.Messages.AsNoTracking().IgnoreQueryFilters().FirstAsync(m => m.Id == id, ct);
        MessageContent? content = null;
        try
        {
            content = Open(message);
            if (!_senders.TryGetValue(message.Provider ?? "", out var sender))
            {
                throw new DeliveryFailedException($"This node has no sender for the provider '{message.Provider}'.");
            }
            await sender.SendAsync(new DeliveryItem(message.Id, message.AppId, message.Channel, message.Kind, content), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: give the message back now rather than when the lease ends.
            await Mine(db, message).ExecuteUpdateAsync(s => s.SetProperty(m => m.LockedUntil, (DateTime?)null), CancellationToken.None);
            throw;
        }
        catch (Exception e)
        {
            await FailAsync(db, message, DeliveryErrors.Describe(e, content), e is DeliveryFailedException { Permanent: true });
            return true;
        }

        var sentAt = clock.GetUtcNow().UtcDateTime;
        // Only the outbox keeps what was sent; a provider has it now.
        await Mine(db, message).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Status, MessageStatus.Sent)
            .SetProperty(m => m.SentAt, sentAt)
            .SetProperty(m => m.LockedUntil, (DateTime?)null)
            .SetProperty(m => m.ContentSealed, (byte[]?)null)
            .SetProperty(m => m.LastError, (string?)null), CancellationToken.None);
        logger.LogInformation("Sent message {MessageId} ({Kind} by {Channel}) of app {AppId} through {Provider} on attempt {Attempt}.",
            message.Id, message.Kind, message.Channel, message.AppId, message.Provider, message.Attempts);
        return true;
    }

    private MessageContent Open(Message message)
    {
        if (message.ContentSealed is null)
        {
            throw new DeliveryFailedException("The message has no content left to send.", permanent: true);
        }
        try
        {
            var json = keys.OpenPending(MessageQueue.ContentContext(message.Id), message.ContentSealed);
            return JsonSerializer.Deserialize<MessageContent>(json, JsonSerializerOptions.Web)
                ?? throw new DeliveryFailedException("The message's content is empty.", permanent: true);
        }
        catch (Exception e) when (e is not DeliveryFailedException)
        {
            throw new DeliveryFailedException($"The message's content could not be opened ({e.GetType().Name}).", permanent: true, e);
        }
    }

    private async Task FailAsync(LatchkeyDbContext db, Message message, string error, bool permanent)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (permanent || message.Attempts >= MaxAttempts)
        {
            await Mine(db, message).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, MessageStatus.Failed)
                .SetProperty(m => m.LockedUntil, (DateTime?)null)
                .SetProperty(m => m.ContentSealed, (byte[]?)null)
                .SetProperty(m => m.LastError, error), CancellationToken.None);
            logger.LogError("Message {MessageId} ({Kind} by {Channel}) of app {AppId} failed for good through {Provider} after {Attempt} attempt(s): {Error}",
                message.Id, message.Kind, message.Channel, message.AppId, message.Provider, message.Attempts, error);
            return;
        }
        var next = now + Backoff[Math.Min(message.Attempts, Backoff.Length) - 1];
        await Mine(db, message).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.NextAttemptAt, next)
            .SetProperty(m => m.LockedUntil, (DateTime?)null)
            .SetProperty(m => m.LastError, error), CancellationToken.None);
        logger.LogWarning("Message {MessageId} ({Kind} by {Channel}) of app {AppId}: attempt {Attempt} through {Provider} failed: {Error}; next attempt at {NextAttemptAt:O}.",
            message.Id, message.Kind, message.Channel, message.AppId, message.Attempts, message.Provider, error, next);
    }

    /// <summary>The row as long as this node's claim holds (the attempt count fences a later claim).</summary>
    private static IQueryable<Message> Mine(LatchkeyDbContext db, Message message) =>
        db.Messages.IgnoreQueryFilters().Where(m => m.Id == message.Id && m.Status == MessageStatus.Pending && m.Attempts == message.Attempts);
}
