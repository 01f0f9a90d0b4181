using Latchkey.Server.Infrastructure.Http;

namespace Latchkey.Server.Features.Tokens;

/// <summary>Issuer URLs: <c>{publicUrl}/v1/apps/{appId}</c> (<see cref="Infrastructure.Http.PublicUrl"/>).</summary>
public sealed class Issuers(PublicUrl publicUrl)
{
    public string PublicUrl => publicUrl.Value;

    public string For(string appId) => $"{publicUrl.Value}/v1/apps/{appId}";

    /// <summary>
    /// Whether a token's issuer is exactly this app's. Note: the whole URL is compared, host
    /// included: a token is this server's only as issued under its public URL.
    /// </summary>
    public bool Matches(string? issuer, string appId) => string.Equals(issuer, For(appId), StringComparison.Ordinal);
}
