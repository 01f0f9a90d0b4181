using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Latchkey.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>
/// A browser and a native client in one, at the HTTP level: the browser keeps cookies and does not
/// follow redirects (the redirect to the app is where the client takes over); the client makes
/// PKCE pairs, reads the code off the redirect URI and redeems it at the token endpoint.
/// </summary>
public sealed partial class OidcBrowser(LatchkeyFactory factory) : IDisposable
{
    public HttpClient Http { get; } = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string AuthorizeQuery(string clientId, string redirectUri, string challenge, string scope = "openid email offline_access",
        string state = "state-1", string nonce = "nonce-1", string? extra = null) =>
        $"?client_id={Uri.EscapeDataString(clientId)}&redirect_uri={Uri.EscapeDataString(redirectUri)}&response_type=code" +
        $"&scope={Uri.EscapeDataString(scope)}&state={Uri.EscapeDataString(state)}&nonce={Uri.EscapeDataString(nonce)}" +
        $"&code_challenge={challenge}&code_challenge_method=S256{extra}";

    public Task<HttpResponseMessage> GetAsync(string url, CancellationToken ct) => Http.GetAsync(url, ct);

    /// <summary>Fills the page's form (every field it has, hidden ones included) with <paramref name="fields"/> and posts it where the form says.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(HttpResponseMessage page, string pageUrl, IReadOnlyDictionary<string, string> fields, CancellationToken ct)
    {
        var values = HiddenFields(await page.Content.ReadAsStringAsync(ct));
        values.AddRange(fields);
        // Note: action="" posts to the page's own URL, query string included.
        return await Http.PostAsync(pageUrl, new FormUrlEncodedContent(values), ct);
    }

    public async Task<HttpResponseMessage> SignInAsync(HttpResponseMessage page, string pageUrl, string handle, string password, CancellationToken ct) =>
        await SubmitAsync(page, pageUrl, new Dictionary<string, string> { ["lk_handle"] = handle, ["lk_password"] = password }, ct);

    /// <summary>The hidden fields of a page's form, decoded: what a browser posts back unchanged.</summary>
    public static List<KeyValuePair<string, string>> HiddenFields(string html) =>
        HiddenInput().Matches(html)
            .Select(m => new KeyValuePair<string, string>(WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value)))
            .ToList();

    /// <summary>The query parameters of a redirect to the client (custom schemes included).</summary>
    public static Dictionary<string, string> RedirectParameters(HttpResponseMessage response, string redirectUri)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Expected a redirect, got {(int)response.StatusCode}");
        var location = response.Headers.Location!.OriginalString;
        // Note: the query, or the fragment where the response mode is one (an implicit request's error).
        Assert.True(location.StartsWith(redirectUri + "?", StringComparison.Ordinal) || location.StartsWith(redirectUri + "#", StringComparison.Ordinal), location);
        return location[(redirectUri.Length + 1)..].Split('&').Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
    }

    public async Task<(HttpStatusCode Status, JsonObject Body)> TokenAsync(string tokenEndpoint, IDictionary<string, string> form, CancellationToken ct,
        (string Id, string Secret)? basic = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint) { Content = new FormUrlEncodedContent(form) };
        if (basic is { } credentials)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(credentials.Id)}:{Uri.EscapeDataString(credentials.Secret)}")));
        }
        var response = await Http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]*)" value="(?<value>[^"]*)">""")]
    private static partial Regex HiddenInput();
}
