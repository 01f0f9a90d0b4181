using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>Helpers the onboarding tests share: admin look-ups, verification steps, HTML pages, HTTP Basic.</summary>
public abstract partial class OnboardingTest(ServerFixture fixture) : ApiTest(fixture)
{
    protected const string OtherPassword = "a different long passphrase";
    /// <summary>A UK number in the form people type it, and its E.164 form.</summary>
    protected const string PhoneAsTyped = "+44 20 7946 0958";
    protected const string PhoneE164 = "+442079460958";

    protected static string Access(JsonObject tokens) => Str(tokens, "access_token");
    protected static string Refresh(JsonObject tokens) => Str(tokens, "refresh_token");
    protected static string UserId(JsonObject tokens) => Str(tokens["user"], "id");
    protected static bool Bool(JsonNode? node, string name) => node![name]!.GetValue<bool>();

    protected async Task<JsonObject> MeAsync(string app, string accessToken) =>
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", accessToken));

    protected Task<HttpResponseMessage> LoginAsync(string app, string handle, string password = GoodPassword) =>
        PostAsync($"/v1/apps/{app}/login", new { handle, password });

    protected async Task<JsonObject> LoginOkAsync(string app, string handle, string password = GoodPassword) =>
        await OkJsonAsync(await LoginAsync(app, handle, password));

    protected Task<HttpResponseMessage> VerifySignupAsync(string app, string verificationId, string code) =>
        PostAsync($"/v1/apps/{app}/signup/verify", new { verificationId, code });

    /// <summary>Admin search by exact email (or other handle).</summary>
    protected async Task<JsonArray> FindUsersAsync(string app, string query) =>
        await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users?q={Uri.EscapeDataString(query)}", await AdminTokenAsync()));

    protected async Task AssertNoUserAsync(string app, string email)
    {
        var found = await FindUsersAsync(app, email);
        Assert.True(found.Count == 0, $"Expected no user {email} in {app}, found {found.ToJsonString()}");
    }

    /// <summary>Messages are queued in the request's own transaction; a short real pause covers a slower delivery.</summary>
    protected async Task AssertNoMessageAsync(string app, string to, string? kind = null)
    {
        await Task.Delay(300, Ct);
        var messages = await OutboxAsync(app, to);
        Assert.True(!messages.Any(m => kind is null || m?["kind"]?.GetValue<string>() == kind),
            $"Expected no {kind ?? "message"} to {to}, the outbox holds {messages.ToJsonString()}");
    }

    protected async Task PatchSettingsAsync(string app, object settings) =>
        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}", new { settings }, await AdminTokenAsync()));

    /// <summary>Creates a user through the admin API; answers the created user.</summary>
    protected async Task<JsonObject> CreateUserAsync(string app, object user) =>
        await CreatedJsonAsync(await PostAsync($"/v1/admin/apps/{app}/users", user, await AdminTokenAsync()));

    protected static async Task<JsonObject> CreatedJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Expected 201, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>An app admin's tokens: a user with role admin made by the platform admin, signed in to the app.</summary>
    protected async Task<JsonObject> AppAdminAsync(string app)
    {
        var email = NewEmail("appadmin");
        await CreateUserAsync(app, new { email, password = GoodPassword, role = "admin", emailVerified = true });
        return await LoginOkAsync(app, email);
    }

    /// <summary>A registered-mode sign-up waiting for its code: answers the verification id and the code sent.</summary>
    protected async Task<(string VerificationId, string Code)> PendingSignupAsync(string app, string email, object? metadata = null)
    {
        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword, metadata });
        var pending = await OkJsonAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (Str(pending, "verificationId"), CodeFrom(await LatestMessageAsync(app, email, "signupCode")));
    }

    protected Task<HttpResponseMessage> SendBasicAsync(HttpMethod method, string path, object? body, string keyId, string secret)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{keyId}:{secret}")));
        return Client.SendAsync(request, Ct);
    }

    protected Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields) =>
        SendAsync(HttpMethod.Post, path, new FormUrlEncodedContent(fields), null);

    /// <summary>The path and query of an absolute link, to follow it with the test client.</summary>
    protected static string Local(string link) => new Uri(link).PathAndQuery;

    /// <summary>Any 4xx answer as a contract problem: problem+json, its status and a code. Never a 500.</summary>
    protected static async Task<JsonObject> AssertClientErrorAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"Expected a 4xx problem, got {status}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(status, body["status"]?.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(body["code"]?.GetValue<string>()), $"The problem has no code: {text}");
        return body;
    }

    /// <summary>A problem with one of the given status/code pairs, for the few places the contract allows either.</summary>
    protected static async Task<JsonObject> AssertProblemOneOfAsync(HttpResponseMessage response, params (HttpStatusCode Status, string Code)[] allowed)
    {
        var body = await AssertClientErrorAsync(response);
        var code = body["code"]!.GetValue<string>();
        Assert.True(allowed.Any(a => a.Status == response.StatusCode && a.Code == code),
            $"Expected one of {string.Join(", ", allowed.Select(a => $"{(int)a.Status} {a.Code}"))}, got {(int)response.StatusCode} {code}: {body.ToJsonString()}");
        return body;
    }

    protected static void AssertErrorFor(JsonObject problem, string field) =>
        Assert.True(problem["errors"]?[field] is JsonArray { Count: > 0 }, $"Expected errors.{field}: {problem.ToJsonString()}");

    protected static void AssertRetryAfter(HttpResponseMessage response)
    {
        var retry = response.Headers.RetryAfter;
        Assert.True(retry is not null, "Expected a Retry-After header");
        Assert.True(retry.Delta is { TotalSeconds: > 0 } || retry.Date is not null, $"Retry-After is not a delay: {retry}");
    }

    /// <summary>Asserts an HTML page with the given status; answers its text.</summary>
    protected static async Task<string> AssertHtmlAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status} HTML, got {(int)response.StatusCode}: {text}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        return text;
    }

    /// <summary>The first form of an HTML page: its method, its action (null when absent) and its named inputs.</summary>
    protected static (string Method, string? Action, Dictionary<string, string> Inputs) FormOf(string html)
    {
        var form = FormTag().Match(html);
        Assert.True(form.Success, $"Expected a form on the page: {html}");
        var method = AttributeOf(form.Value, "method") ?? "get";
        var action = AttributeOf(form.Value, "action");
        var inputs = new Dictionary<string, string>();
        foreach (Match input in InputTag().Matches(html))
        {
            if (AttributeOf(input.Value, "name") is { } name)
            {
                inputs[name] = WebUtility.HtmlDecode(AttributeOf(input.Value, "value") ?? "");
            }
        }
        return (method, action is null ? null : WebUtility.HtmlDecode(action), inputs);
    }

    private static string? AttributeOf(string tag, string name)
    {
        var match = Regex.Match(tag, $"""\s{name}\s*=\s*(?:"([^"]*)"|'([^']*)')""", RegexOptions.IgnoreCase);
        return match.Success ? (match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value) : null;
    }

    [GeneratedRegex("<form\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex FormTag();

    [GeneratedRegex("<input\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputTag();
}
