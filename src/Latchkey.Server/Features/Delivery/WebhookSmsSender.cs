using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// SMS through the operator's own endpoint: a JSON POST <c>{ id, appId, to, body }</c> signed with
/// <c>X-Latchkey-Signature: sha256=&lt;hex HMAC-SHA256 of the raw body&gt;</c>. Any 2xx answer is
/// success; anything else is retried. The id lets the receiver drop a repeated delivery.
/// </summary>
internal sealed class WebhookSmsSender(IHttpClientFactory http, IOptions<DeliveryOptions> options) : IMessageSender
{
    public const string HttpClientName = "latchkey-sms-webhook";
    public const string SignatureHeader = "X-Latchkey-Signature";

    public string Provider => DeliveryProviders.Webhook;

    public async Task SendAsync(DeliveryItem delivery, CancellationToken ct)
    {
        var webhook = options.Value.Sms.Webhook;
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new WebhookBody(delivery.Id, delivery.AppId, delivery.Content.To, delivery.Content.Text), JsonSerializerOptions.Web);
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(SignatureHeader, Sign(webhook.Secret!, body));
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new DeliveryFailedException($"The SMS webhook answered {(int)response.StatusCode}.");
        }
    }

    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private sealed record WebhookBody(Guid Id, string AppId, string To, string Body);
}
