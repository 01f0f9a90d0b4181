using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Latchkey.Tests.Infrastructure;

/// <summary>
/// Base of the HTTP tests: helpers that drive the public API the way a client would. Each test
/// class is written once and run on SQLite and PostgreSQL through two small subclasses.
/// </summary>
public abstract class ApiTest(ServerFixture fixture)
{
    public const string GoodPassword = "correct horse battery staple";

    protected LatchkeyFactory Factory => fixture.Factory;

    /// <summary>A sibling of the shared server with these settings, shared by the tests that ask for the same (never dispose it).</summary>
    protected LatchkeyFactory SharedSibling(IReadOnlyDictionary<string, string?> settings) => fixture.SharedSibling(settings);
    protected HttpClient Client { get; } = fixture.Factory.CreateClient();
    protected CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static string NewEmail(string name = "user") => $"{name}.{Guid.NewGuid():N}@example.com";

    protected async Task<string> AdminTokenAsync()
    {
        var tokens = await OkJsonAsync(await PostAsync("/v1/apps/console/login",
            new { handle = LatchkeyFactory.AdminEmail, password = LatchkeyFactory.AdminPassword }));
        return tokens["access_token"]!.GetValue<string>();
    }

    /// <summary>
    /// Creates an app. Unless the test says otherwise it is <c>open</c> with the <c>none</c> flow,
    /// so that sign-up answers tokens at once; the given settings are laid over that.
    /// </summary>
    protected async Task<string> CreateAppAsync(object? settings = null)
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..10];
        var merged = new JsonObject { ["accessMode"] = "open", ["signupFlow"] = "none" };
        if (settings is not null)
        {
            foreach (var (name, value) in JsonSerializer.SerializeToNode(settings, JsonSerializerOptions.Web)!.AsObject())
            {
                merged[name] = value?.DeepClone();
            }
        }
        var response = await PostAsync("/v1/admin/apps", new { id, name = "Test app " + id, settings = merged }, await AdminTokenAsync());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    protected async Task<JsonObject> SignUpAsync(string appId, string? email = null, object? device = null, object? metadata = null) =>
        await OkJsonAsync(await PostAsync($"/v1/apps/{appId}/signup",
            new { email = email ?? NewEmail(), password = GoodPassword, device, metadata }));

    protected Task<HttpResponseMessage> PostAsync(string path, object body, string? bearer = null) =>
        SendAsync(HttpMethod.Post, path, JsonContent.Create(body), bearer);

    protected Task<HttpResponseMessage> PostRawAsync(string path, string json, string? bearer = null) =>
        SendAsync(HttpMethod.Post, path, new StringContent(json, Encoding.UTF8, "application/json"), bearer);

    protected Task<HttpResponseMessage> GetAsync(string path, string? bearer = null) => SendAsync(HttpMethod.Get, path, null, bearer);

    protected Task<HttpResponseMessage> DeleteAsync(string path, string? bearer = null) => SendAsync(HttpMethod.Delete, path, null, bearer);

    protected Task<HttpResponseMessage> PatchAsync(string path, object body, string? bearer = null) =>
        SendAsync(HttpMethod.Patch, path, JsonContent.Create(body), bearer);

    protected async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, string? bearer)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return await Client.SendAsync(request, Ct);
    }

    protected static async Task<JsonObject> OkJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Expected success, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    protected static async Task<JsonArray> OkJsonArrayAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Expected success, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsArray();
    }

    /// <summary>Asserts an RFC 9457 answer (type, title, status, detail) with the contract's status and code; returns its body.</summary>
    protected static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(code, body["code"]?.GetValue<string>());
        Assert.Equal((int)status, body["status"]?.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(body["detail"]?.GetValue<string>()));
        // RFC 9457's members on every problem, a 429 too.
        Assert.False(string.IsNullOrWhiteSpace(body["type"]?.GetValue<string>()), $"The problem has no type: {text}");
        Assert.False(string.IsNullOrWhiteSpace(body["title"]?.GetValue<string>()), $"The problem has no title: {text}");
        return body;
    }

    protected static string Str(JsonNode? node, string name) => node![name]!.GetValue<string>();

    /// <summary>The dev outbox's messages to one recipient (an email or an E.164 phone), newest first, as they are now.</summary>
    protected async Task<JsonArray> OutboxAsync(string appId, string to) =>
        await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{appId}/outbox?to={Uri.EscapeDataString(to)}", await AdminTokenAsync()));

    /// <summary>
    /// The newest message to <paramref name="to"/> (of <paramref name="kind"/>, when given) in the app's
    /// dev outbox. Delivery may run after the request answered, so this asks again for up to 5 s of
    /// real time (the server's clock is fake and does not move by itself).
    /// </summary>
    protected async Task<JsonObject> LatestMessageAsync(string appId, string to, string? kind = null)
    {
        var admin = await AdminTokenAsync();
        var path = $"/v1/admin/apps/{appId}/outbox?to={Uri.EscapeDataString(to)}";
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var messages = await OkJsonArrayAsync(await GetAsync(path, admin));
            var found = messages.FirstOrDefault(m => kind is null || m?["kind"]?.GetValue<string>() == kind);
            if (found is not null)
            {
                return found.AsObject();
            }
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"No {kind ?? "message"} to {to} reached the outbox of {appId} within 5 s. It holds: {messages.ToJsonString()}");
            }
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>The message's 6-digit code, which its body shows too.</summary>
    protected static string CodeFrom(JsonObject message)
    {
        var code = message["code"]?.GetValue<string>();
        Assert.True(code is { Length: 6 } && code.All(char.IsAsciiDigit), $"Expected a 6-digit code in the message: {message.ToJsonString()}");
        Assert.Contains(code, message["body"]?.GetValue<string>() ?? "");
        return code;
    }

    /// <summary>The message's absolute link, which its body shows too.</summary>
    protected static string LinkFrom(JsonObject message)
    {
        var link = message["link"]?.GetValue<string>();
        Assert.True(Uri.TryCreate(link, UriKind.Absolute, out _), $"Expected an absolute link in the message: {message.ToJsonString()}");
        Assert.Contains(link, message["body"]?.GetValue<string>() ?? "");
        return link;
    }
}
