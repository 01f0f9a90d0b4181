namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The provider's endpoints under each app's issuer <c>{publicUrl}/v1/apps/{appId}</c>. OpenIddict
/// is given them relative, without a leading <c>/</c>, so that they resolve under the issuer of the
/// request's app (<see cref="AppIssuerHandler"/>).
/// </summary>
public static class OidcPaths
{
    public const string Authorize = "oauth/authorize";
    public const string Token = "oauth/token";
    public const string EndSession = "oauth/logout";
    /// <summary>Latchkey's own (OpenIddict's would not read Latchkey's access tokens); advertised in discovery.</summary>
    public const string UserInfo = "oauth/userinfo";

    private const string AppsPrefix = "/v1/apps/";

    /// <summary>
    /// The app id of a request to one of OpenIddict's endpoints (authorize, token, end-session),
    /// matched case-insensitively as OpenIddict matches them; false for any other path, which
    /// OpenIddict never sees (the hot paths pay nothing for the provider).
    /// </summary>
    public static bool TryGetProtocolAppId(PathString path, out string appId)
    {
        appId = "";
        var value = path.Value;
        if (value is null || !value.StartsWith(AppsPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var rest = value.AsSpan(AppsPrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0)
        {
            return false;
        }
        var endpoint = rest[(slash + 1)..].TrimEnd('/');
        if (!endpoint.Equals(Authorize, StringComparison.OrdinalIgnoreCase) && !endpoint.Equals(Token, StringComparison.OrdinalIgnoreCase)
            && !endpoint.Equals(EndSession, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        appId = rest[..slash].ToString();
        return true;
    }
}
