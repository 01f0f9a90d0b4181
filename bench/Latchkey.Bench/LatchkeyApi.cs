using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Bench;

public sealed record BenchUser(string Email, string Password);

/// <summary>The few Latchkey endpoints the benchmark calls (docs/api.md), over one pooled HttpClient.</summary>
public sealed class LatchkeyApi : IDisposable
{
    public const string AppId = "bench";
    private readonly HttpClient _http;

    public LatchkeyApi(Uri baseAddress, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            // Keep-alive connections for the whole run, as a busy client would; no proxy lookups.
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseProxy = false,
            UseCookies = false,
        };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
    }

    public static string JwksPath => $"v1/apps/{AppId}/.well-known/jwks.json";
    public static string DiscoveryPath => $"v1/apps/{AppId}/.well-known/openid-configuration";
    public static string MePath => $"v1/apps/{AppId}/me";
    public static string SignUpPath => $"v1/apps/{AppId}/signup";
    public static string LoginPath => $"v1/apps/{AppId}/login";
    public static string RefreshPath => $"v1/apps/{AppId}/token";

    /// <summary>A document as the server serves it: the bytes and the headers a cache would keep.</summary>
    public sealed record Document(int Status, byte[] Body, string? ContentType, string? CacheControl, string? ETag);

    public async Task<Document> GetDocumentAsync(string path, CancellationToken ct, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }
        using var response = await _http.SendAsync(request, ct);
        return new Document((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(ct),
            response.Content.Headers.ContentType?.ToString(), response.Headers.CacheControl?.ToString(), response.Headers.ETag?.ToString());
    }

    /// <summary>A GET whose whole body is read, as a client does; only the status is judged.</summary>
    public async ValueTask<Outcome> GetAsync(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, ct);
        return response.IsSuccessStatusCode ? Outcome.Success : Outcome.Failed(await ErrorLabelAsync(response, ct));
    }

    /// <summary>
    /// A login for the overload test: "ok", or the status and problem code; a 429 without a
    /// Retry-After header is labelled so, since the target asks for one on every refusal.
    /// </summary>
    public async ValueTask<Outcome> LoginStatusAsync(BenchUser user, CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync(LoginPath, new { handle = user.Email, password = user.Password }, ct);
        if (response.IsSuccessStatusCode)
        {
            await response.Content.LoadIntoBufferAsync(ct);
            return Outcome.Success;
        }
        var label = await ErrorLabelAsync(response, ct);
        return Outcome.Failed(response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter is null
            ? label + " without Retry-After"
            : label);
    }

    /// <summary>A fresh access token of <paramref name="user"/>, for GET /me.</summary>
    public async Task<string> AccessTokenAsync(BenchUser user, CancellationToken ct)
    {
        using var login = await _http.PostAsJsonAsync(LoginPath, new { handle = user.Email, password = user.Password }, ct);
        await EnsureAsync(login, "login for an access token", ct);
        return (await login.Content.ReadFromJsonAsync<TokenAnswer>(ct))?.AccessToken
            ?? throw new InvalidOperationException("login answered no access_token");
    }

    /// <summary>Signs the bootstrap super admin in and creates the app the load runs against.</summary>
    public async Task CreateBenchAppAsync(CancellationToken ct)
    {
        using var login = await _http.PostAsJsonAsync("v1/apps/console/login",
            new { handle = ServerProcess.AdminEmail, password = ServerProcess.AdminPassword }, ct);
        await EnsureAsync(login, "super admin login", ct);
        var tokens = await login.Content.ReadFromJsonAsync<TokenAnswer>(ct);

        using var create = new HttpRequestMessage(HttpMethod.Post, "v1/admin/apps")
        {
            // Open and unverified, so sign-up answers tokens at once; emailCode for the code sign-in phase.
            Content = JsonContent.Create(new
            {
                id = AppId,
                name = "Benchmark",
                settings = new { accessMode = "open", signupFlow = "none", methods = new[] { "password", "emailCode" } },
            }),
        };
        _adminToken = tokens?.AccessToken;
        create.Headers.Authorization = new("Bearer", _adminToken);
        using var created = await _http.SendAsync(create, ct);
        await EnsureAsync(created, "creating the app", ct);
    }

    /// <summary>Registers a public (native) OpenID Connect client of the bench app (the admin API; after <see cref="CreateBenchAppAsync"/>).</summary>
    public async Task RegisterPublicClientAsync(string clientId, string redirectUri, CancellationToken ct)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, $"v1/admin/apps/{AppId}/clients")
        {
            Content = JsonContent.Create(new { clientId, name = clientId, type = "public", redirectUris = new[] { redirectUri } }),
        };
        create.Headers.Authorization = new("Bearer", _adminToken);
        using var created = await _http.SendAsync(create, ct);
        await EnsureAsync(created, "registering the OpenID Connect client", ct);
    }

    public Task<(Outcome Outcome, string? RefreshToken)> SignUpAsync(BenchUser user, CancellationToken ct) =>
        PostForTokensAsync($"v1/apps/{AppId}/signup", new { email = user.Email, password = user.Password }, ct);

    public Task<(Outcome Outcome, string? RefreshToken)> LoginAsync(BenchUser user, CancellationToken ct) =>
        PostForTokensAsync($"v1/apps/{AppId}/login", new { handle = user.Email, password = user.Password }, ct);

    public Task<(Outcome Outcome, string? RefreshToken)> RefreshAsync(string refreshToken, CancellationToken ct) =>
        PostForTokensAsync($"v1/apps/{AppId}/token", new { refresh_token = refreshToken }, ct);

    /// <summary>
    /// Passwordless sign-in of a new email, as a client and its user do it: ask for a code, read it
    /// (here from the dev outbox, through the admin API), and sign in with it.
    /// </summary>
    public async ValueTask<Outcome> CodeSignInAsync(string email, CancellationToken ct)
    {
        using var sent = await _http.PostAsJsonAsync($"v1/apps/{AppId}/login/code", new { email }, ct);
        if (!sent.IsSuccessStatusCode)
        {
            return Outcome.Failed(await ErrorLabelAsync(sent, ct));
        }
        var challengeId = (await sent.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("challengeId").GetString();

        using var outbox = new HttpRequestMessage(HttpMethod.Get, $"v1/admin/apps/{AppId}/outbox?to={Uri.EscapeDataString(email)}&limit=1");
        outbox.Headers.Authorization = new("Bearer", _adminToken);
        using var read = await _http.SendAsync(outbox, ct);
        if (!read.IsSuccessStatusCode)
        {
            return Outcome.Failed("outbox " + await ErrorLabelAsync(read, ct));
        }
        var messages = await read.Content.ReadFromJsonAsync<JsonElement>(ct);
        if (messages.GetArrayLength() == 0)
        {
            return Outcome.Failed("no code in the outbox");
        }
        var code = messages[0].GetProperty("code").GetString();
        var (outcome, _) = await PostForTokensAsync($"v1/apps/{AppId}/login/code/verify", new { challengeId, code }, ct);
        return outcome;
    }

    public async ValueTask<Outcome> JwksAsync(CancellationToken ct)
    {
        using var response = await _http.GetAsync($"v1/apps/{AppId}/.well-known/jwks.json", HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            return Outcome.Failed(await ErrorLabelAsync(response, ct));
        }
        // A client reads the whole document; so does the benchmark, so the latency includes it.
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var keys = await JsonDocument.ParseAsync(body, cancellationToken: ct);
        return keys.RootElement.TryGetProperty("keys", out var list) && list.GetArrayLength() > 0
            ? Outcome.Success
            : Outcome.Failed("200 without keys");
    }

    private async Task<(Outcome, string?)> PostForTokensAsync(string path, object body, CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync(path, body, ct);
        if (!response.IsSuccessStatusCode)
        {
            return (Outcome.Failed(await ErrorLabelAsync(response, ct)), null);
        }
        var tokens = await response.Content.ReadFromJsonAsync<TokenAnswer>(ct);
        return tokens?.RefreshToken is { Length: > 0 } refresh
            ? (Outcome.Success, refresh)
            : (Outcome.Failed("200 without refresh_token"), null);
    }

    /// <summary>"429 rate_limited": the status and the problem's stable code, so the report can tell errors apart.</summary>
    private static async Task<string> ErrorLabelAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            return problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("code", out var code)
                ? $"{status} {code.GetString()}"
                : status;
        }
        catch (JsonException)
        {
            return status;
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new InvalidOperationException($"{what} failed: {(int)response.StatusCode} {body}");
        }
    }

    private string? _adminToken;

    public void Dispose() => _http.Dispose();

    private sealed record TokenAnswer(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("refresh_token")] string? RefreshToken);
}
