using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Latchkey.Tests.Features.Delivery;
using Latchkey.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latchkey.Tests.Features.Errors;

/// <summary>
/// "No input yields a 500" as a property of the whole server: every operation of the OpenAPI
/// document, and every other route the server maps (console, health, setup), gets malformed and
/// ill-typed bodies, wrong content types, no body, a huge header and broken credentials. Every
/// answer must be below 500, every API error problem+json whose detail names no C# type or parser
/// position, and the server must log no error.
/// </summary>
public abstract partial class RouteWalkTests(ServerFixture fixture) : ApiTest(fixture)
{
    private const string Jwe = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d";

    private sealed record Operation(string Method, string Template, string Path, string[] QueryNames);

    private sealed record Probe(string Name, Func<HttpContent?> Body, string? Authorization, bool ValidAuth = false,
        bool GarbageQuery = false, (string Name, string Value)? Header = null);

    [Fact]
    public async Task No_route_answers_bad_input_with_a_500_or_logs_an_error()
    {
        var app = await CreateAppAsync(new { anonymousEnabled = true, usernamesEnabled = true, signupFlow = "link", passwordRecovery = "link" });
        var user = await SignUpAsync(app);
        var userToken = Str(user, "access_token");
        var userId = Str(user["user"], "id");
        var admin = await AdminTokenAsync();

        var logs = new CapturedLogs();
        await using var server = Factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        using var client = server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        var operations = await OperationsAsync(client, server.Services, app, userId);
        Assert.True(operations.Count > 80, $"Only {operations.Count} operations found.");
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        // Note: what ends sessions or deletes things runs last, so the rest still meets a live user and app.
        foreach (var phase in operations.GroupBy(Phase).OrderBy(g => g.Key))
        {
            var requests = phase.SelectMany(op => Probes().Select(probe => (op, probe))).ToList();
            foreach (var batch in requests.Chunk(8))
            {
                await Task.WhenAll(batch.Select(async r =>
                {
                    if (await CheckAsync(client, r.op, r.probe, r.op.Template.StartsWith("/v1/admin", StringComparison.Ordinal) ? admin : userToken) is { } failure)
                    {
                        failures.Add(failure);
                    }
                }));
            }
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} answers broke the rules:\n{string.Join("\n", failures.Order().Take(60))}");
        var errors = logs.Text.Split('\n').Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, $"The server logged errors:\n{string.Join("\n", errors.Take(20))}");
    }

    private static int Phase(Operation op) =>
        op.Template == "/v1/admin/apps/{appId}" && op.Method == "DELETE" ? 3
        : op.Method == "DELETE" || op.Template.Contains("logout") || op.Template.EndsWith("/revoke", StringComparison.Ordinal) ? 2
        : 1;

    private static IEnumerable<Probe> Probes()
    {
        static Func<HttpContent?> Text(string text, string? type) => () =>
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
            if (type is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
            return content;
        };
        var json = "application/json";
        var nested = "{\"a\":" + new string('[', 5000) + new string(']', 5000) + "}";
        var wrongTypes = """{"email":1,"password":[],"handle":{},"device":"x","metadata":[1],"settings":"x","code":1.5,"refresh_token":true,"newPassword":{},"expiresInSeconds":"3600","permissions":"x","roles":{}}""";
        var duplicates = """{"metadata":{"k":1,"k":2},"preferences":{"x":1,"X":2},"settings":{"a":1,"a":2},"parameters":{"p":1,"p":2},"email":"a@example.com","email":"b@example.com"}""";

        // Bodies, sent with a valid token so that they get past authentication.
        yield return new("malformed JSON", Text("{\"email\": \"a@example.com\", ", json), null, ValidAuth: true);
        yield return new("JSON array", Text("[1, 2, 3]", json), null, ValidAuth: true);
        yield return new("JSON string", Text("\"just a string\"", json), null, ValidAuth: true);
        yield return new("deeply nested JSON", Text(nested, json), null, ValidAuth: true);
        yield return new("wrong types", Text(wrongTypes, json), null, ValidAuth: true);
        yield return new("duplicate keys", Text(duplicates, json), null, ValidAuth: true);
        yield return new("empty JSON body", Text("", json), null, ValidAuth: true);
        yield return new("text/plain", Text("hello", "text/plain"), null, ValidAuth: true);
        yield return new("form garbage", () => new ByteArrayContent([.. "%%%&&==&a=%zz&"u8, 0xff, 0xfe, .. "=\u0001"u8])
        {
            Headers = { ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded") },
        }, null, ValidAuth: true);
        yield return new("multipart without boundary", Text("--x\r\ngarbage", "multipart/form-data"), null, ValidAuth: true);
        yield return new("broken multipart", Text("--b\r\nContent-Disposition: form-data\r\n\r\nno end", "multipart/form-data; boundary=b"), null, ValidAuth: true);
        yield return new("no body", () => null, null, ValidAuth: true);
        yield return new("garbage query", () => null, null, ValidAuth: true, GarbageQuery: true);
        yield return new("huge header", () => null, null, ValidAuth: true, Header: ("X-Filler", new string('h', 16 * 1024)));
        // Credentials that are not: the body is an empty object.
        yield return new("Bearer alone", Text("{}", json), "Bearer");
        yield return new("Bearer a.b.c", Text("{}", json), "Bearer a.b.c");
        yield return new("JWE-shaped bearer", Text("{}", json), "Bearer " + Jwe);
        yield return new("non-ASCII bearer", Text("{}", json), "Bearer ñé€✓.ü.ß");
        yield return new("Basic garbage", Text("{}", json), "Basic !!!not base64***");
        yield return new("Basic without colon", Text("{}", json), "Basic " + Convert.ToBase64String("no-colon-here"u8));
        yield return new("Basic unknown key", Text("{}", json), "Basic " + Convert.ToBase64String("lk_nope:secret"u8));
        yield return new("garbage cookie", Text("{}", json), null, Header: ("Cookie", "latchkey-console=garbage; .AspNetCore.Antiforgery.x=%%%"));
    }

    private async Task<string?> CheckAsync(HttpClient client, Operation op, Probe probe, string validToken)
    {
        var path = op.Path;
        if (probe.GarbageQuery)
        {
            path += "?" + string.Join("&", op.QueryNames.Append("extra").Select(n => $"{n}=%zz%C3%28not-a-{n}"));
        }
        using var request = new HttpRequestMessage(new HttpMethod(op.Method), path) { Content = probe.Body() };
        var authorization = probe.ValidAuth ? "Bearer " + validToken : probe.Authorization;
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        if (probe.Header is { } header)
        {
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, Ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return $"{op.Method} {op.Template} [{probe.Name}]: the request threw {e.GetType().Name}: {e.Message}";
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(Ct);
            var where = $"{op.Method} {op.Template} [{probe.Name}] -> {status}";
            if (status >= 500)
            {
                return $"{where}: {Shorten(body)}";
            }
            if (status < 400)
            {
                return null;
            }
            var type = response.Content.Headers.ContentType?.MediaType;
            if (type == "application/problem+json")
            {
                var problem = JsonNode.Parse(body)?.AsObject();
                var detail = problem?["detail"]?.GetValue<string>() ?? "";
                if (problem?["code"] is null || detail.Length == 0)
                {
                    return $"{where}: a problem without code or detail: {Shorten(body)}";
                }
                return Leaks().IsMatch(detail) ? $"{where}: the detail leaks internals: {detail}" : null;
            }
            // The console, the pages a person opens from a message and the provider's sign-in pages answer in HTML, and
            // introspection and revocation in OAuth's JSON errors (RFC 6749 §5.2).
            if (IsPage(op.Template) && type == "text/html")
            {
                return null;
            }
            if (op.Template.Contains("/oauth/", StringComparison.Ordinal) && type == "application/json" && JsonNode.Parse(body)?["error"] is not null)
            {
                return null;
            }
            return $"{where}: an error that is not problem+json ({type}): {Shorten(body)}";
        }
    }

    private static bool IsPage(string template) =>
        template.StartsWith("/console", StringComparison.Ordinal) || template == "/setup"
        || template.EndsWith("/password/reset", StringComparison.Ordinal) || template.EndsWith("/password/reset/page", StringComparison.Ordinal)
        || template.EndsWith("/signup/confirm", StringComparison.Ordinal) || template.EndsWith("/passkeys/demo", StringComparison.Ordinal)
        // The OpenID Connect sign-in and sign-out pages: a request that cannot go back to its client gets a page (X1).
        || template.EndsWith("/oauth/authorize", StringComparison.Ordinal) || template.EndsWith("/oauth/logout", StringComparison.Ordinal);

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

    /// <summary>C# type names, parser positions and the framework's parameter wording.</summary>
    [GeneratedRegex("""\b(System|Microsoft|Latchkey)\.[A-Z]|LineNumber|BytePosition|Nullable<|parameter "|Int32|String\b|Guid\b""")]
    private static partial Regex Leaks();

    /// <summary>Every operation of the OpenAPI document, then every other route the server maps, with plausible values.</summary>
    private static async Task<List<Operation>> OperationsAsync(HttpClient client, IServiceProvider services, string app, string userId)
    {
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!.AsObject();
        var operations = new List<Operation>();
        foreach (var (template, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var query = (operation?["parameters"]?.AsArray() ?? [])
                    .Where(p => p?["in"]?.GetValue<string>() == "query")
                    .Select(p => p!["name"]!.GetValue<string>()).ToArray();
                operations.Add(new(method.ToUpperInvariant(), template, Fill(template, app, userId), query));
            }
        }

        var known = operations.Select(o => o.Template).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var routes = services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        foreach (var route in routes)
        {
            var template = "/" + (route.RoutePattern.RawText ?? "").TrimStart('/');
            var normalised = Constraint().Replace(template, m => "{" + m.Groups["name"].Value + "}");
            if (known.Contains(normalised))
            {
                continue;
            }
            var methods = route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"];
            foreach (var method in methods)
            {
                operations.Add(new(method, normalised, Fill(normalised, app, userId), []));
            }
        }
        operations.Add(new("GET", "/", "/", []));
        operations.Add(new("POST", "/no/such/route", "/no/such/route", []));
        return operations.DistinctBy(o => (o.Method, o.Template.ToLowerInvariant())).ToList();
    }

    private static string Fill(string template, string app, string userId) =>
        Constraint().Replace(template, m => m.Groups["name"].Value switch
        {
            "appId" => app,
            "userId" => userId,
            "name" => "walker",
            "kind" => "welcome",
            "language" => "en",
            "documentName" => "v1",
            _ => Guid.NewGuid().ToString(),
        });

    [GeneratedRegex(@"\{\*{0,2}(?<name>\w+)[^}]*\}")]
    private static partial Regex Constraint();
}

[Collection(SqliteCollection.Name)]
public sealed class RouteWalkTests_Sqlite(SqliteServer server) : RouteWalkTests(server);

[Collection(PostgresCollection.Name)]
public sealed class RouteWalkTests_Postgres(PostgresServer server) : RouteWalkTests(server);
