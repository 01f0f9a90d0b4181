using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// Puts a message into the app's queue in the caller's unit of work: the code's row and its
/// message are saved together, so a failed send never loses the code, and a failed save never
/// sends one.
/// </summary>
/// <remarks>
/// With the outbox the message is stored as sent at once (the request that queued it can be
/// followed by a look at the outbox). Otherwise it is pending, and the caller's SaveChanges wakes
/// this node's <see cref="DeliveryWorker"/> through the context's SavedChanges event; the other
/// nodes' workers poll every second, so any of them may send it.
/// </remarks>
public sealed class MessageQueue(
    LatchkeyDbContext db, ServerKeys keys, IOptions<DeliveryOptions> options, TimeProvider clock, DeliverySignal signal,
    ILogger<MessageQueue> logger)
{
    private bool _wakesAfterSave;
    private bool _showsAfterSave;
    private readonly List<(string AppId, MessageContent Content, string Channel, string Kind)> _toShow = [];

    /// <summary>Adds the message to the context; it is stored with the caller's SaveChanges.</summary>
    public async Task QueueAsync(App app, OutgoingMessage message, CancellationToken ct)
    {
        if (!MessageKinds.All.Contains(message.Kind))
        {
            throw new ArgumentException($"'{message.Kind}' is not a message kind.", nameof(message));
        }
        if (message.Channel is not (Channels.Email or Channels.Sms))
        {
            throw new ArgumentException($"'{message.Channel}' is not a channel.", nameof(message));
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var id = Guid.CreateVersion7();
        var template = await TemplateCatalog.FindAsync(db, app.Id, message.Kind, message.Language, ct);
        var from = message.Channel == Channels.Email ? app.Settings.EmailFrom ?? options.Value.Smtp.From : null;
        var content = MessageComposer.Compose(app, message, template, from, now);
        var provider = options.Value.ProviderFor(message.Channel);
        var outbox = provider == DeliveryProviders.Outbox;
        db.Messages.Add(new Message
        {
            Id = id,
            AppId = app.Id,
            Channel = message.Channel,
            Kind = message.Kind,
            ToIndex = ToIndex(keys, app.Id, message.To),
            ContentSealed = keys.SealPending(ContentContext(id), JsonSerializer.Serialize(content, JsonSerializerOptions.Web)),
            Status = outbox ? MessageStatus.Sent : MessageStatus.Pending,
            // Note: set when queued, so that only a node configured for this provider claims it.
            Provider = provider,
            NextAttemptAt = now,
            CreatedAt = now,
            SentAt = outbox ? now : null,
        });
        if (outbox)
        {
            ShowOnConsoleAfterSave(app.Id, content, message);
        }
        if (!outbox && !_wakesAfterSave)
        {
            _wakesAfterSave = true;
            db.SavedChanges += (_, _) => signal.Wake();
        }
    }

    /// <summary>
    /// The dev outbox prints what it stores, once stored, so a developer running the server sees
    /// codes and links in the terminal. Only the outbox does this: real deliveries never log content.
    /// </summary>
    private void ShowOnConsoleAfterSave(string appId, MessageContent content, OutgoingMessage message)
    {
        if (!_showsAfterSave)
        {
            _showsAfterSave = true;
            db.SavedChanges += (_, _) =>
            {
                foreach (var (app, shown, channel, kind) in _toShow)
                {
                    logger.LogInformation("Outbox ({App}) {Channel} {Kind} to {To}: {Subject} | code {Code} | link {Link}",
                        app, channel, kind, shown.To, shown.Subject ?? "(sms)", shown.Code ?? "-", shown.Link ?? "-");
                }
                _toShow.Clear();
            };
        }
        _toShow.Add((appId, content, message.Channel, message.Kind));
    }

    /// <summary>The blind index of a recipient: emails trimmed and lower-cased, phones (E.164) as given.</summary>
    public static byte[] ToIndex(ServerKeys keys, string appId, string to) => keys.Blind(appId, "message-to", NormaliseTo(to));

    public static string ContentContext(Guid messageId) => $"message:{messageId}";

    public static string NormaliseTo(string to)
    {
        var trimmed = to.Trim();
        return trimmed.Contains('@') ? trimmed.ToLowerInvariant() : trimmed;
    }
}
