using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Tokens;

/// <summary>
/// The access token verifies with an independent JOSE library (npm jose) against the app's JWKS
/// fetched over real HTTP from a real server process, as a resource server in another stack would.
/// </summary>
public abstract class IndependentVerificationTests(string provider)
{
    [Fact]
    public async Task An_access_token_verifies_with_npm_jose_against_the_apps_jwks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create(provider), ct);
        using var client = server.CreateClient();
        var admin = await Json(await client.PostAsJsonAsync("/v1/apps/console/login",
            new { handle = LatchkeyFactory.AdminEmail, password = LatchkeyFactory.AdminPassword }, ct));
        using var create = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/apps") { Content = JsonContent.Create(new { id = "jose-check", name = "Jose", settings = new { accessMode = "open", signupFlow = "none" } }) };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin["access_token"]!.GetValue<string>());
        (await client.SendAsync(create, ct)).EnsureSuccessStatusCode();
        var tokens = await Json(await client.PostAsJsonAsync("/v1/apps/jose-check/signup",
            new { email = "jose@example.com", password = ApiTest.GoodPassword }, ct));

        var issuer = new Uri(server.BaseAddress, "/v1/apps/jose-check").ToString();
        var result = await RunNodeAsync("verify-jwt.mjs", ct, tokens["access_token"]!.GetValue<string>(), issuer + "/.well-known/jwks.json", issuer, "jose-check");

        var verified = JsonNode.Parse(result)!;
        Assert.Equal("ES256", verified["protectedHeader"]!["alg"]!.GetValue<string>());
        Assert.Equal("at+jwt", verified["protectedHeader"]!["typ"]!.GetValue<string>());
        Assert.Equal(tokens["user"]!["id"]!.GetValue<string>(), verified["payload"]!["sub"]!.GetValue<string>());
        Assert.Equal("user", verified["payload"]!["role"]!.GetValue<string>());
        Assert.Equal(900, verified["payload"]!["exp"]!.GetValue<long>() - verified["payload"]!["iat"]!.GetValue<long>());

        // A token whose payload was changed must not verify.
        var parts = tokens["access_token"]!.GetValue<string>().Split('.');
        var forged = parts[0] + "." + parts[1][..^2] + (parts[1][^2] == 'A' ? "B" : "A") + parts[1][^1] + "." + parts[2];
        await Assert.ThrowsAsync<InvalidOperationException>(() => RunNodeAsync("verify-jwt.mjs", ct, forged, issuer + "/.well-known/jwks.json", issuer, "jose-check"));
    }

    private static async Task<JsonObject> Json(HttpResponseMessage response)
    {
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    internal static async Task<string> RunNodeAsync(string script, CancellationToken ct, params string[] args)
    {
        var jsDir = Path.Combine(RepoRoot(), "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(jsDir, "node_modules", "jose")), "Run ./test.sh (it runs npm ci in tests/js).");
        var start = new ProcessStartInfo("node", [Path.Combine(jsDir, script), .. args])
        {
            WorkingDirectory = jsDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"node {script} failed: {await stderr}");
        }
        return await stdout;
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

public sealed class IndependentVerificationTests_Sqlite() : IndependentVerificationTests("sqlite");

public sealed class IndependentVerificationTests_Postgres() : IndependentVerificationTests("postgres");
