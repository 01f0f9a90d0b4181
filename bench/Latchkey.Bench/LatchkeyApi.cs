using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Bench;

public sealed record BenchUser(string Email, string Password);

/// <summary>The few Latchkey endpoints the benchmark calls (shared/API.md), over one pooled HttpClient.</summary>
public sealed class LatchkeyApi : IDisposable
{
    public const string AppId = "bench";
    private readonly HttpClient _http;

    public LatchkeyApi(Uri baseAddress)
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
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
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
