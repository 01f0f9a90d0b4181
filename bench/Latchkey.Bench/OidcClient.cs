using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Latchkey.Bench;

/// <summary>
/// A native app using the app's OpenID Connect provider (X1), as AppAuth does it: its browser
/// signs in on the provider's page once (the password's hash is the login phase's figure), then
/// each sign-in is the authorization request answered from the browser session with a code, and
/// the code exchange at the provider's token endpoint. Its refresh tokens are its own chains
/// (bound to this client), for the OIDC refresh phase.
/// </summary>
public sealed partial class OidcClient : IDisposable
{
    public const string ClientId = "bench-native";
    public const string RedirectUri = "com.example.bench:/callback";
    public static string TokenPath => $"v1/apps/{LatchkeyApi.AppId}/oauth/token";
    private static string AuthorizePath => $"v1/apps/{LatchkeyApi.AppId}/oauth/authorize";

    private readonly HttpClient _browser;

    private OidcClient(Uri baseAddress)
    {
        // Note: one cookie jar for every worker: they share the browser session, as tabs of one browser do.
        _browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), MaxConnectionsPerServer = 256 })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Registers the client and signs <paramref name="user"/> in on the provider's page, once.</summary>
    public static async Task<OidcClient> StartAsync(LatchkeyApi api, Uri baseAddress, BenchUser user, CancellationToken ct)
    {
        await api.RegisterPublicClientAsync(ClientId, RedirectUri, ct);
        var client = new OidcClient(baseAddress);
        var (verifier, challenge) = Pkce();
        var authorize = AuthorizeUrl(challenge);
        var page = await client._browser.GetStringAsync(authorize, ct);
        var fields = HiddenInput().Matches(page)
            .Select(m => KeyValuePair.Create(WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value)))
            .Append(KeyValuePair.Create("lk_handle", user.Email))
            .Append(KeyValuePair.Create("lk_password", user.Password));
        using var signedIn = await client._browser.PostAsync(authorize, new FormUrlEncodedContent(fields), ct);
        var code = Code(signedIn) ?? throw new InvalidOperationException($"The provider's sign-in page answered {(int)signedIn.StatusCode}, not a code.");
        var (outcome, _) = await client.ExchangeAsync(code, verifier, ct);
        if (!outcome.Succeeded)
        {
            throw new InvalidOperationException($"The first code exchange failed: {outcome.Error}");
        }
        return client;
    }

    /// <summary>One sign-in of a client whose browser holds the session: the authorization request, then the code exchange.</summary>
    public async ValueTask<(Outcome Outcome, string? RefreshToken)> SignInAsync(CancellationToken ct)
    {
        var (verifier, challenge) = Pkce();
        using var answer = await _browser.GetAsync(AuthorizeUrl(challenge), ct);
        if (Code(answer) is not { } code)
        {
            return (Outcome.Failed($"authorize {(int)answer.StatusCode}"), null);
        }
        return await ExchangeAsync(code, verifier, ct);
    }

    /// <summary>Tops <paramref name="pool"/> up to <paramref name="count"/> unused refresh chains of this client.</summary>
    public async Task EnsureChainsAsync(TokenPool pool, int count, CancellationToken ct)
    {
        var missing = count - pool.Count;
        if (missing <= 0)
        {
            return;
        }
        Log.Info($"signing in {missing} OpenID Connect sessions for refresh chains");
        await Parallel.ForEachAsync(Enumerable.Range(0, missing), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (_, token) =>
        {
            var (outcome, refresh) = await SignInAsync(token);
            if (!outcome.Succeeded || refresh is null)
            {
                throw new InvalidOperationException($"An OpenID Connect sign-in for a refresh chain failed: {outcome.Error}");
            }
            pool.Add([refresh]);
        });
    }

    private async ValueTask<(Outcome Outcome, string? RefreshToken)> ExchangeAsync(string code, string verifier, CancellationToken ct)
    {
        using var exchanged = await _browser.PostAsync(TokenPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["client_id"] = ClientId, ["code"] = code, ["redirect_uri"] = RedirectUri, ["code_verifier"] = verifier,
        }), ct);
        if (!exchanged.IsSuccessStatusCode)
        {
            return (Outcome.Failed($"code exchange {(int)exchanged.StatusCode}"), null);
        }
        var tokens = await exchanged.Content.ReadFromJsonAsync<Tokens>(ct);
        return tokens?.RefreshToken is { } refresh ? (Outcome.Success, refresh) : (Outcome.Failed("code exchange without a refresh token"), null);
    }

    private static string AuthorizeUrl(string challenge) =>
        $"{AuthorizePath}?client_id={ClientId}&redirect_uri={Uri.EscapeDataString(RedirectUri)}&response_type=code" +
        $"&scope={Uri.EscapeDataString("openid email offline_access")}&state=bench&nonce=bench&code_challenge={challenge}&code_challenge_method=S256";

    private static string? Code(HttpResponseMessage answer)
    {
        var location = answer.StatusCode == HttpStatusCode.Redirect ? answer.Headers.Location?.OriginalString : null;
        if (location is null || !location.StartsWith(RedirectUri + "?", StringComparison.Ordinal))
        {
            return null;
        }
        return location[(RedirectUri.Length + 1)..].Split('&').Select(p => p.Split('=', 2))
            .Where(p => p[0] == "code").Select(p => Uri.UnescapeDataString(p[1])).FirstOrDefault();
    }

    private static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]*)" value="(?<value>[^"]*)">""")]
    private static partial Regex HiddenInput();

    public void Dispose() => _browser.Dispose();

    private sealed record Tokens([property: JsonPropertyName("refresh_token")] string? RefreshToken);
}
