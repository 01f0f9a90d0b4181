using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.CustomRoles;
using System.Text.Json;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// Admin API of the outbox: with LATCHKEY_DELIVERY=outbox, the messages an app "sent", codes and
/// links included, for development and tests. A server that delivers for real answers 404: the
/// codes it sent are in someone's inbox, not here.
/// </summary>
public static class OutboxEndpoints
{
    public static RouteGroupBuilder MapAdminOutboxEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/apps/{appId}/outbox", ListAsync).RequireAdminPermission(AdminPermissions.OutboxRead)
            .WithSummary("The messages sent to the outbox, newest first (LATCHKEY_DELIVERY=outbox only)")
            .WithDescription("?to= keeps the messages to one email (any case) or phone (E.164); ?limit= (default 50, at most 200).");
        return admin;
    }

    public sealed record OutboxMessage(
        Guid Id, string To, string Channel, string Kind, string? Subject, string Body, string? Html, string? Code, string? Link,
        string Status, DateTime? SentAt, DateTime CreatedAt);

    internal static async Task<Ok<List<OutboxMessage>>> ListAsync(
        AdminCaller admin, string appId, string? to, int? limit, LatchkeyDbContext db, ServerKeys keys, IOptions<DeliveryOptions> options,
        AuditLog audit, CancellationToken ct)
    {
        if (!options.Value.UsesOutbox)
        {
            throw Problems.NotFound("This server delivers messages for real (LATCHKEY_DELIVERY is not outbox), so it has no outbox to show.");
        }
        if (!await db.Apps.AnyAsync(a => a.Id == appId, ct))
        {
            throw Problems.AppNotFound(appId);
        }
        var query = db.Messages.AsNoTracking()
            .Where(m => m.AppId == appId && m.Provider == DeliveryProviders.Outbox && m.ContentSealed != null);
        if (!string.IsNullOrWhiteSpace(to))
        {
            // An unencoded '+' in a query string arrives as a space: "?to=+15550100" still means the phone.
            var recipient = to.Trim() is { Length: > 0 } t && t.All(char.IsAsciiDigit) ? "+" + t : to;
            var index = MessageQueue.ToIndex(keys, appId, recipient);
            query = query.Where(m => m.ToIndex == index);
        }
        var messages = await query.OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id)
            .Take(Math.Clamp(limit ?? 50, 1, 200)).ToListAsync(ct);
        // Note: the messages hold recipients, codes and links: reading them is an admin read of personal data.
        audit.Record(admin, appId, AuditActions.OutboxRead, null, $"messages={messages.Count}" + (to is null ? "" : "; filtered"));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(messages.Select(m => View(m, keys)).ToList());
    }

    private static OutboxMessage View(Message m, ServerKeys keys)
    {
        var content = JsonSerializer.Deserialize<MessageContent>(
            keys.OpenPending(MessageQueue.ContentContext(m.Id), m.ContentSealed!), JsonSerializerOptions.Web)!;
        return new OutboxMessage(m.Id, content.To, m.Channel, m.Kind, content.Subject, content.Text, content.Html, content.Code, content.Link,
            m.Status, m.SentAt, m.CreatedAt);
    }
}
