using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Delivery;

/// <summary>SMS through Twilio's Messages API (form POST, HTTP Basic with the account SID and auth token).</summary>
internal sealed class TwilioSmsSender(IHttpClientFactory http, IOptions<DeliveryOptions> options) : IMessageSender
{
    public const string HttpClientName = "latchkey-twilio";

    public string Provider => DeliveryProviders.Twilio;

    public async Task SendAsync(DeliveryItem delivery, CancellationToken ct)
    {
        var twilio = options.Value.Sms.Twilio;
        var url = $"{twilio.BaseUrl.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(twilio.AccountSid!)}/Messages.json";
        var form = new List<KeyValuePair<string, string>> { new("To", delivery.Content.To) };
        form.Add(string.IsNullOrWhiteSpace(twilio.MessagingServiceSid)
            ? new("From", twilio.From!)
            : new("MessagingServiceSid", twilio.MessagingServiceSid));
        form.Add(new("Body", delivery.Content.Text));

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{twilio.AccountSid}:{twilio.AuthToken}")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        // Twilio's message text often quotes the number; its numeric error code says enough.
        var code = await ErrorCodeAsync(response, ct);
        throw new DeliveryFailedException(
            $"Twilio answered {(int)response.StatusCode}{(code is null ? "" : $" (error {code})")}.",
            // 400 is Twilio's answer to a bad number or body: the same request will fail again.
            permanent: response.StatusCode == HttpStatusCode.BadRequest);
    }

    private static async Task<long?> ErrorCodeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            return body.RootElement.TryGetProperty("code", out var code) && code.TryGetInt64(out var value) ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
