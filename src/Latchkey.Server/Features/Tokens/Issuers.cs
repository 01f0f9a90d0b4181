using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Tokens;

/// <summary>
/// Issuer URLs: <c>{publicUrl}/v1/apps/{appId}</c>, where publicUrl is LATCHKEY_PUBLIC_URL or,
/// when that is not set, the URL the request came in on.
/// </summary>
public sealed class Issuers(IOptions<LatchkeyOptions> options, IHttpContextAccessor http)
{
    public string PublicUrl
    {
        get
        {
            if (!string.IsNullOrEmpty(options.Value.PublicUrl))
            {
                return options.Value.PublicUrl.TrimEnd('/');
            }
            var request = http.HttpContext?.Request
                ?? throw new InvalidOperationException("LATCHKEY_PUBLIC_URL is not set and there is no request to take the URL from.");
            return $"{request.Scheme}://{request.Host}{request.PathBase}";
        }
    }

    public string For(string appId) => $"{PublicUrl}/v1/apps/{appId}";

    /// <summary>
    /// Whether a token's issuer names this app. Without a configured public URL the host part is
    /// not compared: the signature with the app's own key is what proves the origin, and clients
    /// reach one server under several names (localhost, 127.0.0.1, a LAN address).
    /// </summary>
    public bool Matches(string? issuer, string appId) =>
        issuer is not null && (string.IsNullOrEmpty(options.Value.PublicUrl)
            ? issuer.EndsWith($"/v1/apps/{appId}", StringComparison.Ordinal)
            : issuer == For(appId));
}
