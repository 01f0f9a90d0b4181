using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Latchkey.Server.Features.Delivery;

/// <summary>Email through the deployment's SMTP relay (MailKit), as multipart/alternative text and HTML.</summary>
internal sealed class SmtpEmailSender(IOptions<DeliveryOptions> options) : IMessageSender
{
    public string Provider => DeliveryProviders.Smtp;

    public async Task SendAsync(DeliveryItem delivery, CancellationToken ct)
    {
        var smtp = options.Value.Smtp;
        MimeMessage mail;
        try
        {
            mail = Build(delivery.Content, smtp.From!);
        }
        catch (ParseException e)
        {
            throw new DeliveryFailedException("The recipient or the sender is not a valid email address.", permanent: true, e);
        }
        using var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(smtp.Host!, smtp.Port, Security(smtp.Security), ct);
            if (!string.IsNullOrEmpty(smtp.Username))
            {
                await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", ct);
            }
            await client.SendAsync(mail, ct);
            await client.DisconnectAsync(quit: true, ct);
        }
        catch (SmtpCommandException e)
        {
            // The relay's text may quote the recipient: keep its status code only. A 5xx answer
            // (unknown mailbox, refused sender) will not change on a retry.
            throw new DeliveryFailedException($"The SMTP server refused the message: {(int)e.StatusCode} {e.StatusCode} ({e.ErrorCode}).",
                permanent: (int)e.StatusCode >= 500, e);
        }
        catch (AuthenticationException e)
        {
            throw new DeliveryFailedException("The SMTP server did not accept LATCHKEY_SMTP_USERNAME and LATCHKEY_SMTP_PASSWORD.", inner: e);
        }
    }

    internal static MimeMessage Build(MessageContent content, string deploymentFrom)
    {
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(content.From ?? deploymentFrom));
        mail.To.Add(MailboxAddress.Parse(content.To));
        mail.Subject = content.Subject ?? "";
        mail.Headers.Add("Auto-Submitted", "auto-generated");
        mail.Body = new BodyBuilder { TextBody = content.Text, HtmlBody = content.Html }.ToMessageBody();
        return mail;
    }

    private static SecureSocketOptions Security(string mode) => mode.Trim().ToLowerInvariant() switch
    {
        "none" => SecureSocketOptions.None,
        "starttls" => SecureSocketOptions.StartTls,
        "tls" => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto,
    };
}
