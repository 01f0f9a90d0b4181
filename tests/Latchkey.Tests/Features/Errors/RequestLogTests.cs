using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Web;
using Latchkey.Tests.Features.Delivery;
using Latchkey.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latchkey.Tests.Features.Errors;

/// <summary>
/// The request log: one line per request with the route, never the query string (links carry
/// their one-time tokens there), bodies, or Authorization and Cookie headers, at any log level;
/// and appsettings.json, which sets those levels, is read wherever the server is started from.
/// </summary>
public abstract class RequestLogTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task Link_tokens_codes_and_credentials_never_reach_the_log_at_any_level()
    {
        // The messages are sent by the shared server (whose dev outbox shows them, by design);
        // the person's requests go to a server that logs everything at Trace.
        var linkApp = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link", passwordRecovery = "link" });
        var codeApp = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var email = NewEmail("logged");
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync($"/v1/apps/{linkApp}/signup", new { email, password = GoodPassword })).StatusCode);
        var signupLink = new Uri(LinkFrom(await LatestMessageAsync(linkApp, email, "signupLink")));
        var signupToken = HttpUtility.ParseQueryString(signupLink.Query)["token"]!;

        var logs = new CapturedLogs();
        await using var verbose = Factory.Sibling(new Dictionary<string, string?>
        {
            ["LATCHKEY_REQUEST_LOG"] = "true",
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        });
        await using var logged = verbose.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        using var person = logged.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        // The sign-up link: its page, then the button, then the same token once more in a form.
        Assert.Equal(HttpStatusCode.OK, (await person.GetAsync(signupLink.PathAndQuery, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync(signupLink.PathAndQuery, null, Ct)).StatusCode);
        await person.PostAsync($"/v1/apps/{linkApp}/signup/confirm", new FormUrlEncodedContent([new("token", signupToken)]), Ct);

        // The reset link: its page and its form.
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync($"/v1/apps/{linkApp}/password/forgot", new { email })).StatusCode);
        var resetLink = new Uri(LinkFrom(await LatestMessageAsync(linkApp, email, "recoveryLink")));
        var resetQuery = HttpUtility.ParseQueryString(resetLink.Query);
        var (challenge, resetToken) = (resetQuery["challenge"]!, resetQuery["token"]!);
        const string newPassword = "a brand new passphrase for the log test";
        Assert.Equal(HttpStatusCode.OK, (await person.GetAsync(resetLink.PathAndQuery, Ct)).StatusCode);
        var changed = await person.PostAsync($"/v1/apps/{linkApp}/password/reset/page",
            new FormUrlEncodedContent([new("challenge", challenge), new("token", resetToken), new("newPassword", newPassword)]), Ct);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);

        // A code, then a bearer token and a cookie.
        var codeEmail = NewEmail("coded");
        var pending = await OkJsonAsync(await PostAsync($"/v1/apps/{codeApp}/signup", new { email = codeEmail, password = GoodPassword }));
        var code = CodeFrom(await LatestMessageAsync(codeApp, codeEmail, "signupCode"));
        var verified = await person.PostAsJsonAsync($"/v1/apps/{codeApp}/signup/verify", new { verificationId = Str(pending, "verificationId"), code }, Ct);
        var tokens = await OkJsonAsync(verified);
        var cookie = "cookie-secret-" + Guid.NewGuid().ToString("N");
        using var me = new HttpRequestMessage(HttpMethod.Get, $"/v1/apps/{codeApp}/me");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Str(tokens, "access_token"));
        me.Headers.Add("Cookie", $"latchkey-console={cookie}");
        Assert.Equal(HttpStatusCode.OK, (await person.SendAsync(me, Ct)).StatusCode);

        var text = logs.Text;
        Assert.Contains($"POST /v1/apps/{{appId}}/signup/confirm 200 in ", text);
        Assert.Contains($"(app {linkApp}, request ", text);
        foreach (var secret in new[] { signupToken, resetToken, newPassword, Str(tokens, "access_token"), Str(tokens, "refresh_token"), cookie, GoodPassword })
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"The log holds a secret ({secret[..Math.Min(12, secret.Length)]}…):\n{Around(text, secret)}");
        }
        Assert.False(Regex.IsMatch(text, $"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])"), $"The log holds the code {code}:\n{Around(text, code)}");
    }

    [Fact]
    public async Task Started_from_another_folder_the_server_reads_its_appsettings_and_logs_no_query_string()
    {
        var app = await CreateAppAsync(new { passwordRecovery = "link" });
        var folder = Directory.CreateTempSubdirectory("latchkey-cwd-");
        try
        {
            // Information for everything, as a deployment without its own levels runs: appsettings.json
            // then holds the framework's chatty categories at Warning.
            await using var server = await ServerProcess.StartAsync(Factory.Database, Ct,
                new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Information", ["LATCHKEY_REQUEST_LOG"] = "true" }, workingDirectory: folder.FullName);
            using var client = server.CreateClient();
            var token = "query-secret-" + Guid.NewGuid().ToString("N");

            var page = await client.GetAsync($"/v1/apps/{app}/password/reset?challenge={Guid.NewGuid()}&token={token}", Ct);

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var output = await OutputWithAsync(server, $"GET /v1/apps/{{appId}}/password/reset 200 in ");
            Assert.DoesNotContain(token, output);
            Assert.Contains("Content root path: " + Path.GetDirectoryName(typeof(Program).Assembly.Location), output);
            // appsettings.json's "Microsoft.AspNetCore": "Warning" took effect: no routing chatter.
            Assert.DoesNotContain("Executing endpoint", output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task With_the_request_log_on_each_request_is_one_timestamped_line_with_its_route_status_duration_app_and_request_id()
    {
        await using var server = await ServerProcess.StartAsync(Factory.Database, Ct, new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Information", ["LATCHKEY_REQUEST_LOG"] = "true" });
        using var client = server.CreateClient();
        var secret = "query-secret-" + Guid.NewGuid().ToString("N");
        var unknownApp = "t-" + Guid.NewGuid().ToString("N")[..10];

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/apps/console/.well-known/jwks.json?token={secret}&i={i}", Ct)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/apps/{unknownApp}/config?token={secret}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/no/such/{unknownApp}?token={secret}", Ct)).StatusCode);

        var output = await OutputWithAsync(server, $"GET /no/such/{unknownApp} 404 in ");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var requests = lines.Where(l => l.Contains("Operations.RequestLog[1]", StringComparison.Ordinal)).ToList();
        var jwks = requests.Where(l => l.Contains("GET /v1/apps/{appId}/.well-known/jwks.json 200 in ", StringComparison.Ordinal)).ToList();
        Assert.True(jwks.Count == 3, $"Expected 3 lines for the 3 JWKS requests:\n{output}");
        Assert.All(jwks, l => Assert.Matches(RequestLine("GET", @"/v1/apps/\{appId\}/\.well-known/jwks\.json", 200, "console"), l));
        Assert.Matches(RequestLine("GET", @"/v1/apps/\{appId\}/config", 404, unknownApp),
            Assert.Single(requests, l => l.Contains($"(app {unknownApp},", StringComparison.Ordinal)));
        Assert.Matches(RequestLine("GET", $"/no/such/{unknownApp}", 404, "-"), Assert.Single(requests, l => l.Contains("/no/such/", StringComparison.Ordinal)));
        Assert.Equal(requests.Count, requests.Select(l => Regex.Match(l, @"request ([^)]+)\)").Groups[1].Value).Distinct().Count());
        Assert.DoesNotContain(secret, output);
        Assert.DoesNotContain("?", string.Join("\n", requests));
        // Every line of the log has its timestamp: no entry spreads over several lines.
        Assert.All(lines, l => Assert.Matches(Timestamped, l));
    }

    [Fact]
    public async Task Json_logs_are_one_object_per_line_each_with_a_timestamp()
    {
        // A first start: its migrations log a warning whose message holds a line break on SQLite.
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create(Factory.Database.Name), Ct,
            new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Information", ["LATCHKEY_REQUEST_LOG"] = "true", ["LATCHKEY_LOG_FORMAT"] = "json" });
        using var client = server.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/apps/console/.well-known/jwks.json?token=secret", Ct)).StatusCode);

        var output = await OutputWithAsync(server, "jwks.json 200 in ");
        var entries = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => (Line: l, Json: TryParse(l))).ToList();
        Assert.All(entries, e => Assert.True(e.Json is JsonObject, $"Not a JSON object on one line: {e.Line}\nThe whole log:\n{output}"));
        Assert.All(entries, e => Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", e.Json!["Timestamp"]?.GetValue<string>() ?? ""));
        var request = Assert.Single(entries, e => e.Json!["Category"]?.GetValue<string>()?.EndsWith(".RequestLog", StringComparison.Ordinal) == true
            && e.Line.Contains("jwks.json", StringComparison.Ordinal)).Json!["State"]!;
        Assert.Equal("GET", request["Method"]!.GetValue<string>());
        Assert.Equal("/v1/apps/{appId}/.well-known/jwks.json", request["Route"]!.GetValue<string>());
        Assert.Equal("200", request["StatusCode"]!.ToString());
        Assert.Equal("console", request["AppId"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(request["RequestId"]!.GetValue<string>()));
        Assert.DoesNotContain("secret", output);
    }

    private static string RequestLine(string method, string route, int status, string app) =>
        $@" info: Latchkey\.Server\.Features\.Operations\.RequestLog\[1\] {method} {route} {status} in \d+(\.\d)? ms \(app {Regex.Escape(app)}, request [^ )]+\)$";

    private const string Timestamped = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (trce|dbug|info|warn|fail|crit): ";

    private static JsonNode? TryParse(string line)
    {
        try
        {
            return JsonNode.Parse(line);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The process's output once it holds <paramref name="expected"/> (console logging is asynchronous); up to 10 s of real time.</summary>
    private async Task<string> OutputWithAsync(ServerProcess server, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!server.Output.Contains(expected, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The server did not log '{expected}' within 10 s. It wrote:\n{server.Output}");
            }
            await Task.Delay(100, Ct);
        }
        return server.Output;
    }

    private static string Around(string text, string secret)
    {
        var at = text.IndexOf(secret, StringComparison.Ordinal);
        return at < 0 ? "" : text[Math.Max(0, at - 300)..Math.Min(text.Length, at + secret.Length + 100)];
    }
}

[Collection(SqliteCollection.Name)]
public sealed class RequestLogTests_Sqlite(SqliteServer server) : RequestLogTests(server);

[Collection(PostgresCollection.Name)]
public sealed class RequestLogTests_Postgres(PostgresServer server) : RequestLogTests(server);
