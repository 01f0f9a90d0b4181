using Microsoft.Extensions.Options;
using MimeKit;

namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// Checks the delivery settings as a whole at start: a deployment that asks for SMTP without a
/// host, or for Twilio without credentials, stops with a message naming the variable to set,
/// instead of queueing codes that can never leave.
/// </summary>
internal sealed class DeliveryOptionsValidator : IValidateOptions<DeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions o)
    {
        var errors = new List<string>();
        if (!DeliveryModes.All.Contains(o.Mode?.Trim().ToLowerInvariant()))
        {
            errors.Add($"LATCHKEY_DELIVERY must be one of: {string.Join(", ", DeliveryModes.All)} (it is '{o.Mode}').");
        }
        else if (!o.UsesOutbox)
        {
            ValidateSmtp(o.Smtp, errors);
        }
        if (o.PollInterval <= TimeSpan.Zero || o.PollInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add("Latchkey:Delivery:PollInterval must be between 00:00:00.001 and 00:05:00.");
        }
        ValidateSms(o.Sms, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateSmtp(SmtpOptions smtp, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(smtp.Host))
        {
            errors.Add("LATCHKEY_DELIVERY=smtp needs LATCHKEY_SMTP_HOST (the SMTP relay's host name).");
        }
        if (smtp.Port is < 0 or > 65535)
        {
            errors.Add("LATCHKEY_SMTP_PORT must be between 1 and 65535 (or 0 for the default of the security mode).");
        }
        if (!SmtpOptions.SecurityModes.Contains(smtp.Security?.Trim().ToLowerInvariant()))
        {
            errors.Add($"LATCHKEY_SMTP_SECURITY must be one of: {string.Join(", ", SmtpOptions.SecurityModes)}.");
        }
        if (string.IsNullOrWhiteSpace(smtp.From))
        {
            errors.Add("LATCHKEY_DELIVERY=smtp needs LATCHKEY_SMTP_FROM, the sender of apps without their own emailFrom (e.g. \"Latchkey <no-reply@example.com>\").");
        }
        else if (!MailboxAddress.TryParse(smtp.From, out _))
        {
            errors.Add("LATCHKEY_SMTP_FROM must be an email address, e.g. \"Latchkey <no-reply@example.com>\".");
        }
        if (!string.IsNullOrEmpty(smtp.Username) && string.IsNullOrEmpty(smtp.Password))
        {
            errors.Add("LATCHKEY_SMTP_USERNAME is set without LATCHKEY_SMTP_PASSWORD.");
        }
        if (smtp.Timeout <= TimeSpan.Zero || smtp.Timeout > TimeSpan.FromMinutes(5))
        {
            errors.Add("Latchkey:Delivery:Smtp:Timeout must be between 00:00:01 and 00:05:00.");
        }
    }

    private static void ValidateSms(SmsOptions sms, List<string> errors)
    {
        var provider = sms.Provider?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(provider))
        {
            return;
        }
        if (!DeliveryProviders.Sms.Contains(provider))
        {
            errors.Add($"LATCHKEY_SMS must be one of: {string.Join(", ", DeliveryProviders.Sms)} (it is '{sms.Provider}').");
        }
        else if (provider == DeliveryProviders.Twilio)
        {
            var twilio = sms.Twilio;
            if (string.IsNullOrWhiteSpace(twilio.AccountSid) || string.IsNullOrWhiteSpace(twilio.AuthToken))
            {
                errors.Add("LATCHKEY_SMS=twilio needs LATCHKEY_TWILIO_ACCOUNT_SID and LATCHKEY_TWILIO_AUTH_TOKEN.");
            }
            if (string.IsNullOrWhiteSpace(twilio.From) && string.IsNullOrWhiteSpace(twilio.MessagingServiceSid))
            {
                errors.Add("LATCHKEY_SMS=twilio needs LATCHKEY_TWILIO_FROM (the sending number) or LATCHKEY_TWILIO_MESSAGING_SERVICE_SID.");
            }
            if (!IsHttpUrl(twilio.BaseUrl))
            {
                errors.Add("LATCHKEY_TWILIO_BASE_URL must be an absolute http(s) URL.");
            }
        }
        else if (provider == DeliveryProviders.Webhook)
        {
            if (!IsHttpUrl(sms.Webhook.Url))
            {
                errors.Add("LATCHKEY_SMS=webhook needs LATCHKEY_SMS_WEBHOOK_URL, an absolute http(s) URL.");
            }
            if (string.IsNullOrEmpty(sms.Webhook.Secret) || sms.Webhook.Secret.Length < 16)
            {
                errors.Add("LATCHKEY_SMS=webhook needs LATCHKEY_SMS_WEBHOOK_SECRET of at least 16 characters (it keys the request signature).");
            }
        }
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
}
