using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Tests.Features.Tokens;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Passkeys;

/// <summary>
/// Passkeys end to end in Debian's Chromium with its virtual CTAP2 authenticator (DevTools
/// WebAuthn domain), driven by playwright-core (tests/js/passkeys-chromium.mjs) against the demo
/// page of a real server process listening at http://localhost:PORT, its public URL (a secure
/// context for WebAuthn; RP ids cannot be IP addresses). Runs once per database.
/// </summary>
public abstract class ChromiumPasskeyTests(string provider)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task A_user_registers_a_passkey_in_Chromium_signs_in_with_it_and_a_clone_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: ./test.sh installs Debian's chromium (apt-get install chromium).");
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create(provider), ct, host: "localhost");
        using var client = server.CreateClient();
        var admin = await Json(await client.PostAsJsonAsync("/v1/apps/console/login",
            new { handle = LatchkeyFactory.AdminEmail, password = LatchkeyFactory.AdminPassword }, ct));
        using var create = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/apps")
        {
            Content = JsonContent.Create(new { id = "passkeys", name = "Passkeys", settings = new { accessMode = "open", signupFlow = "none", mfaPolicy = "optional" } }),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin["access_token"]!.GetValue<string>());
        (await client.SendAsync(create, ct)).EnsureSuccessStatusCode();
        const string email = "chromium@example.com";
        var tokens = await Json(await client.PostAsJsonAsync("/v1/apps/passkeys/signup", new { email, password = ApiTest.GoodPassword }, ct));
        var userId = tokens["user"]!["id"]!.GetValue<string>();

        // X1: a client of the app's provider, whose sign-in page offers the passkey too (RFC 8252 loopback redirect).
        using var register = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/apps/passkeys/clients")
        {
            Content = JsonContent.Create(new { clientId = "web", name = "Web", type = "public", redirectUris = new[] { "http://127.0.0.1/callback" } }),
        };
        register.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin["access_token"]!.GetValue<string>());
        (await client.SendAsync(register, ct)).EnsureSuccessStatusCode();
        var redirectUri = $"http://127.0.0.1:{ServerProcess.FreePort()}/callback";

        var output = await IndependentVerificationTests.RunNodeAsync("passkeys-chromium.mjs", ct,
            server.BaseAddress.ToString().TrimEnd('/'), "passkeys", tokens["access_token"]!.GetValue<string>(), email, ApiTest.GoodPassword, "web", redirectUri);
        var result = JsonNode.Parse(output)!;
        var summary = $"Chromium run: {output}";

        Assert.True(result["secureContext"]!.GetValue<bool>(), summary);
        var registration = result["registration"]!;
        Assert.True(registration["status"]!.GetValue<int>() == 201, summary);
        Assert.True(registration["simplewebauthn"]!.GetValue<bool>(), summary);
        Assert.Equal("packed", registration["fmt"]!.GetValue<string>());
        Assert.Equal("packed", registration["body"]!["attestationFormat"]!.GetValue<string>());
        Assert.Equal(Convert.FromBase64String(result["authenticator"]!["credentialId"]!.GetValue<string>()),
            SoftAuthenticator.FromB64(registration["body"]!["credentialId"]!.GetValue<string>()));
        Assert.True(result["authenticator"]!["resident"]!.GetValue<bool>(), summary);

        Assert.True(result["signIn"]!["status"]!.GetValue<int>() == 200, summary);
        Assert.Equal(userId, result["signIn"]!["body"]!["user"]!["id"]!.GetValue<string>());

        var assertion = result["assertion"]!;
        Assert.True(assertion["verified"]!.GetValue<bool>(), summary);
        Assert.True(assertion["server"]!["status"]!.GetValue<int>() == 200, summary);
        Assert.Equal(userId, assertion["server"]!["body"]!["user"]!["id"]!.GetValue<string>());
        AssertRefused(result["replay"]!, "ceremony", summary);

        Assert.True(result["login"]!["status"]!.GetValue<int>() == 401 && result["login"]!["code"]!.GetValue<string>() == "mfa_required", summary);
        Assert.Contains("passkey", result["login"]!["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.True(result["secondFactor"]!["status"]!.GetValue<int>() == 200, summary);
        Assert.Equal(userId, result["secondFactor"]!["body"]!["user"]!["id"]!.GetValue<string>());

        // The provider's sign-in page showed the passkey button, and the passkey signed the user in without a second factor.
        var oidc = result["oidcPasskey"]!;
        Assert.True(oidc["shown"]!.GetValue<bool>(), summary);
        Assert.True(oidc["status"]!.GetValue<int>() == 200, summary);
        Assert.Equal(userId, oidc["sub"]!.GetValue<string>());
        Assert.Equal(["hwk", "user"], oidc["amr"]!.AsArray().Select(a => a!.GetValue<string>()));

        Assert.Equal(result["beforeClone"]!["signCount"]!.GetValue<long>(), result["beforeClone"]!["server"]!.GetValue<long>());
        AssertRefused(result["clone"]!, "counter", summary);
    }

    private static void AssertRefused(JsonNode answer, string check, string summary)
    {
        Assert.True(answer["status"]!.GetValue<int>() == 400, summary);
        Assert.Equal("passkey_invalid", answer["body"]!["code"]!.GetValue<string>());
        Assert.Equal(check, answer["body"]!["check"]!.GetValue<string>());
    }

    private static async Task<JsonObject> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}

public sealed class ChromiumPasskeyTests_Sqlite() : ChromiumPasskeyTests("sqlite");

public sealed class ChromiumPasskeyTests_Postgres() : ChromiumPasskeyTests("postgres");
