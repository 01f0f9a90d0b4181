using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Operations;

/// <summary>
/// The OpenAPI document as tools read it: Redocly's recommended rules find no error in it
/// (tests/js/redocly.yaml), each operation says which credentials it takes and has a stable
/// operationId, and the reference page at /docs serves its script from this server.
/// </summary>
public abstract class OpenApiDocumentTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task The_openapi_document_passes_redocly_lint_with_no_errors()
    {
        var document = await (await GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync(Ct);
        var file = Path.Combine(Path.GetTempPath(), $"latchkey-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, document, Ct);
        try
        {
            var (exitCode, output) = await RedoclyLintAsync(file);

            var report = JsonNode.Parse(output[output.IndexOf('{')..])!;
            var errors = report["problems"]!.AsArray().Where(p => p!["severity"]!.GetValue<string>() == "error")
                .Select(p => $"{p!["ruleId"]} {p["location"]?[0]?["pointer"]}: {p["message"]}").ToList();
            Assert.True(errors.Count == 0, $"redocly lint found {errors.Count} errors:\n" + string.Join("\n", errors.Take(50)));
            Assert.Equal(0, report["totals"]!["errors"]!.GetValue<int>());
            Assert.True(exitCode == 0, $"redocly lint exited with {exitCode}:\n{output}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Each_operation_names_the_credentials_it_takes_and_has_an_operation_id()
    {
        var document = await OkJsonAsync(await GetAsync("/openapi/v1.json"));
        var paths = document["paths"]!;

        Assert.Equal(LatchkeyFactory.PublicUrl, Str(Assert.Single(document["servers"]!.AsArray()), "url"));
        var schemes = document["components"]!["securitySchemes"]!;
        Assert.Equal("bearer", Str(schemes["bearer"], "scheme"));
        Assert.Equal("basic", Str(schemes["serverKey"], "scheme"));
        Assert.Equal([], Schemes(paths["/v1/apps/{appId}/login"]!["post"]));
        Assert.Equal([], Schemes(paths["/v1/apps/{appId}/.well-known/jwks.json"]!["get"]));
        Assert.Equal(["bearer"], Schemes(paths["/v1/apps/{appId}/me"]!["get"]));
        Assert.Equal(["bearer"], Schemes(paths["/v1/admin/apps"]!["get"]));
        Assert.Equal(["serverKey"], Schemes(paths["/v1/apps/{appId}/oauth/introspect"]!["post"]));
        Assert.Equal(["serverKey"], Schemes(paths["/v1/apps/{appId}/users/{userId}/app-metadata"]!["put"]));
        Assert.Equal(["bearer", "serverKey"], Schemes(paths["/v1/apps/{appId}/invitations"]!["post"]));

        Assert.Equal("postLogin", Str(paths["/v1/apps/{appId}/login"]!["post"], "operationId"));
        Assert.Equal("deleteMeSessionsBySessionId", Str(paths["/v1/apps/{appId}/me/sessions/{sessionId}"]!["delete"], "operationId"));
        Assert.Equal("getAdminAppsByAppIdUsers", Str(paths["/v1/admin/apps/{appId}/users"]!["get"], "operationId"));
        var appId = paths["/v1/apps/{appId}/login"]!["post"]!["parameters"]!.AsArray().Single(p => Str(p, "name") == "appId")!;
        Assert.Equal("path", Str(appId, "in"));
        Assert.True(appId["required"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_reference_page_at_docs_loads_its_script_and_the_document_from_this_server()
    {
        var page = await GetAsync("/docs");
        var html = await page.Content.ReadAsStringAsync(Ct);
        var script = await GetAsync("/docs/scalar.js");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("/docs/", page.RequestMessage?.RequestUri?.AbsolutePath);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script src=\"scalar.js\"></script>", html);
        Assert.Contains("\"url\":\"openapi/v1.json\"", html);
        Assert.DoesNotContain("cdn.", html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync(Ct)).Length > 100_000, "scalar.js is not the bundled script");
    }

    private static string[] Schemes(JsonNode? operation) =>
        operation!["security"]!.AsArray().SelectMany(r => r!.AsObject().Select(s => s.Key)).ToArray();

    /// <summary><c>npx redocly lint --format=json</c> in tests/js (its redocly.yaml); answers the exit code and stdout.</summary>
    private async Task<(int ExitCode, string Output)> RedoclyLintAsync(string file)
    {
        var jsDir = Path.Combine(RepoRoot(), "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(jsDir, "node_modules", "@redocly", "cli")), "Run ./test.sh (it runs npm ci in tests/js).");
        var start = new ProcessStartInfo("npx", ["--no-install", "redocly", "lint", file, "--format=json", "--max-problems=1000"])
        {
            WorkingDirectory = jsDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Offline and quiet: no usage data sent, no check for a newer version.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        var output = await stdout;
        Assert.True(output.Contains('{'), $"redocly lint printed no report (exit {process.ExitCode}):\n{await stderr}");
        return (process.ExitCode, output);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Latchkey.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root.");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OpenApiDocumentTests_Sqlite(SqliteServer server) : OpenApiDocumentTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OpenApiDocumentTests_Postgres(PostgresServer server) : OpenApiDocumentTests(server);
