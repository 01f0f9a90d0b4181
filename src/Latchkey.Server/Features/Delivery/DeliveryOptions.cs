namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// How mail and SMS leave the server (section <c>Latchkey:Delivery</c>; LATCHKEY_DELIVERY sets
/// <see cref="Mode"/>, LATCHKEY_SMTP_* the <see cref="Smtp"/> settings, LATCHKEY_SMS the SMS provider).
/// Checked at start by <see cref="DeliveryOptionsValidator"/>.
/// </summary>
public sealed class DeliveryOptions
{
    public const string Section = "Latchkey:Delivery";

    /// <summary><c>outbox</c> (stored and shown, the default) or <c>smtp</c>.</summary>
    public string Mode { get; set; } = DeliveryModes.Outbox;

    public SmtpOptions Smtp { get; set; } = new();

    public SmsOptions Sms { get; set; } = new();

    /// <summary>How often (real time) each node's worker looks for due messages when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public bool UsesOutbox => string.Equals(Mode, DeliveryModes.Outbox, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Which delivery takes a message of this channel: in outbox mode both channels go to the
    /// outbox; with smtp, email goes by SMTP and SMS by <see cref="SmsOptions.Provider"/> (outbox when unset).
    /// </summary>
    public string ProviderFor(string channel) => UsesOutbox
        ? DeliveryProviders.Outbox
        : channel == Channels.Email
            ? DeliveryProviders.Smtp
            : string.IsNullOrWhiteSpace(Sms.Provider) ? DeliveryProviders.Outbox : Sms.Provider.Trim().ToLowerInvariant();

    /// <summary>The providers this node's worker sends for (the outbox needs no worker).</summary>
    public IReadOnlyList<string> WorkerProviders() =>
        new[] { ProviderFor(Channels.Email), ProviderFor(Channels.Sms) }
            .Where(p => p != DeliveryProviders.Outbox).Distinct().ToArray();
}

public static class DeliveryModes
{
    public const string Outbox = "outbox";
    public const string Smtp = "smtp";
    public static readonly string[] All = [Outbox, Smtp];
}

public static class DeliveryProviders
{
    public const string Outbox = "outbox";
    public const string Smtp = "smtp";
    public const string Twilio = "twilio";
    public const string Webhook = "webhook";
    public static readonly string[] Sms = [Outbox, Twilio, Webhook];
}

/// <summary>The SMTP relay (LATCHKEY_SMTP_HOST, _PORT, _SECURITY, _USERNAME, _PASSWORD, _FROM).</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }
    /// <summary>0 lets the security mode choose (25, or 465 for <c>tls</c>).</summary>
    public int Port { get; set; }
    /// <summary><c>none</c>, <c>starttls</c>, <c>tls</c> (TLS from the first byte) or <c>auto</c> (STARTTLS when offered).</summary>
    public string Security { get; set; } = "auto";
    public string? Username { get; set; }
    public string? Password { get; set; }
    /// <summary>The deployment's sender, for apps whose settings have no <c>emailFrom</c>.</summary>
    public string? From { get; set; }
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public static readonly string[] SecurityModes = ["none", "starttls", "tls", "auto"];
}

/// <summary>How SMS leave the server in smtp mode (LATCHKEY_SMS).</summary>
public sealed class SmsOptions
{
    /// <summary><c>outbox</c> (when unset), <c>twilio</c> or <c>webhook</c>.</summary>
    public string? Provider { get; set; }
    public TwilioOptions Twilio { get; set; } = new();
    public SmsWebhookOptions Webhook { get; set; } = new();
}

/// <summary>Twilio's Messages API (LATCHKEY_TWILIO_*).</summary>
public sealed class TwilioOptions
{
    public string? AccountSid { get; set; }
    public string? AuthToken { get; set; }
    /// <summary>The sending number (E.164); or set <see cref="MessagingServiceSid"/>.</summary>
    public string? From { get; set; }
    public string? MessagingServiceSid { get; set; }
    public string BaseUrl { get; set; } = "https://api.twilio.com";
}

/// <summary>A URL of the operator's own that sends the SMS (LATCHKEY_SMS_WEBHOOK_URL, _SECRET).</summary>
public sealed class SmsWebhookOptions
{
    public string? Url { get; set; }
    /// <summary>Key of the <c>X-Latchkey-Signature</c> HMAC over the request body.</summary>
    public string? Secret { get; set; }
}
