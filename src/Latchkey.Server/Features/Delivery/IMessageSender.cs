namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// Hands one message to a provider (SMTP relay, SMS service). Registered with TryAddEnumerable,
/// one per <see cref="Provider"/>, so a host or a test can add or replace one.
/// </summary>
public interface IMessageSender
{
    /// <summary>The <see cref="Message.Provider"/> this sender serves, e.g. <c>smtp</c>.</summary>
    string Provider { get; }

    /// <summary>Returns once the provider accepted the message; throws otherwise.</summary>
    Task SendAsync(DeliveryItem delivery, CancellationToken ct);
}

/// <summary>A message being sent: its row's identity and its opened content.</summary>
public sealed record DeliveryItem(Guid Id, string AppId, string Channel, string Kind, MessageContent Content);

/// <summary>
/// A refusal a sender can describe safely. The message must never carry the recipient, code,
/// link or body: it is stored in <see cref="Message.LastError"/> and logged.
/// </summary>
public sealed class DeliveryFailedException(string safeMessage, bool permanent = false, Exception? inner = null)
    : Exception(safeMessage, inner)
{
    /// <summary>Retrying cannot help (e.g. the provider refused the recipient): the message fails now.</summary>
    public bool Permanent { get; } = permanent;
}
