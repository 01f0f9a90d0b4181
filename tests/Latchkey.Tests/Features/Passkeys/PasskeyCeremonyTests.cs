using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Passkeys;
using Latchkey.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Latchkey.Tests.Features.Passkeys;

/// <summary>What users do with their passkeys, and the ceremony rules around the checks.</summary>
public abstract class PasskeyCeremonyTests(ServerFixture fixture) : ApiTest(fixture)
{
    private const string Origin = PasskeyVerificationTests.Origin;
    private const string RpId = PasskeyVerificationTests.RpId;

    [Fact]
    public async Task Creation_options_name_the_server_and_an_opaque_user_and_exclude_registered_passkeys()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("opts");
        var tokens = await SignUpAsync(app, email);
        var bearer = Str(tokens, "access_token");
        var first = new SoftAuthenticator();
        await RegisterAsync(app, bearer, first, "Laptop");

        var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/passkeys/options", new { }, bearer));

        Assert.Equal(RpId, Str(options["rp"], "id"));
        Assert.StartsWith("Test app", Str(options["rp"], "name"));
        var userHandle = SoftAuthenticator.FromB64(Str(options["user"], "id"));
        Assert.Equal(Guid.Parse(Str(tokens["user"], "id")), new Guid(userHandle, bigEndian: true));
        Assert.DoesNotContain(email, Str(options["user"], "id"));
        Assert.Equal(email, Str(options["user"], "name"));
        Assert.Equal([-7, -8, -257], options["pubKeyCredParams"]!.AsArray().Select(p => p!["alg"]!.GetValue<int>()));
        Assert.All(options["pubKeyCredParams"]!.AsArray(), p => Assert.Equal("public-key", Str(p, "type")));
        Assert.Equal(first.Id, Str(Assert.Single(options["excludeCredentials"]!.AsArray()), "id"));
        Assert.Equal("preferred", Str(options["authenticatorSelection"], "residentKey"));
        Assert.Equal("preferred", Str(options["authenticatorSelection"], "userVerification"));
        Assert.Equal("none", Str(options, "attestation"));
        Assert.Equal(300_000, options["timeout"]!.GetValue<int>());
        Assert.True(SoftAuthenticator.FromB64(Str(options, "challenge")).Length >= 16);
        var direct = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/passkeys/options", new { attestation = "direct" }, bearer));
        Assert.Equal("direct", Str(direct, "attestation"));
        Assert.NotEqual(Str(options, "challenge"), Str(direct, "challenge"));
        await OkJsonAsync(await SendAsync(HttpMethod.Post, $"/v1/apps/{app}/me/passkeys/options", null, bearer));
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/me/passkeys/options", new { attestation = "enterprise" }, bearer),
            HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/me/passkeys/options", new { }), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_user_lists_and_removes_their_passkeys_and_a_removed_passkey_no_longer_signs_in()
    {
        var app = await CreateAppAsync();
        var ann = Str(await SignUpAsync(app), "access_token");
        var bob = Str(await SignUpAsync(app), "access_token");
        var authenticator = new SoftAuthenticator();
        var handle = await RegisterAsync(app, ann, authenticator, "Ann's phone");

        var listed = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/passkeys", ann));
        var passkey = Assert.Single(listed)!;
        Assert.Equal("Ann's phone", Str(passkey, "name"));
        Assert.Equal(authenticator.Id, Str(passkey, "credentialId"));
        Assert.Equal(["hybrid", "internal"], passkey["transports"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/passkeys", bob)));

        await AssertProblemAsync(await DeleteAsync($"/v1/apps/{app}/me/passkeys/{Str(passkey, "id")}", bob), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/apps/{app}/me/passkeys/{Str(passkey, "id")}", ann)).StatusCode);
        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/passkeys", ann)));

        var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/passkey/options", new { }));
        var answer = await PostAsync($"/v1/apps/{app}/login/passkey",
            new { ceremonyId = Str(options, "ceremonyId"), credential = authenticator.Assert(Str(options, "challenge"), Origin, RpId, handle) });
        Assert.Equal("unknown_credential", Str(await AssertProblemAsync(answer, HttpStatusCode.BadRequest, "passkey_invalid"), "check"));
    }

    [Fact]
    public async Task A_ceremony_is_used_once_expires_and_belongs_to_its_user()
    {
        var app = await CreateAppAsync();
        var ann = Str(await SignUpAsync(app), "access_token");
        var bob = Str(await SignUpAsync(app), "access_token");

        var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/passkeys/options", new { }, ann));
        var body = new { ceremonyId = Str(options, "ceremonyId"), credential = new SoftAuthenticator().Register(Str(options, "challenge"), Origin, RpId) };
        await AssertCheckAsync(await PostAsync($"/v1/apps/{app}/me/passkeys", body, bob), PasskeyChecks.Ceremony);
        Assert.Equal(HttpStatusCode.Created, (await PostAsync($"/v1/apps/{app}/me/passkeys", body, ann)).StatusCode);
        await AssertCheckAsync(await PostAsync($"/v1/apps/{app}/me/passkeys", body, ann), PasskeyChecks.Ceremony);

        var late = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/passkeys/options", new { }, ann));
        Factory.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var expired = await PostAsync($"/v1/apps/{app}/me/passkeys",
            new { ceremonyId = Str(late, "ceremonyId"), credential = new SoftAuthenticator().Register(Str(late, "challenge"), Origin, RpId) }, ann);
        var problem = await AssertCheckAsync(expired, PasskeyChecks.Ceremony);
        Assert.Contains("expired", Str(problem, "detail"));

        // A sign-in ceremony is not a registration ceremony, and the other way round.
        var signIn = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/passkey/options", new { }));
        await AssertCheckAsync(await PostAsync($"/v1/apps/{app}/me/passkeys",
            new { ceremonyId = Str(signIn, "ceremonyId"), credential = new SoftAuthenticator().Register(Str(signIn, "challenge"), Origin, RpId) }, ann),
            PasskeyChecks.Ceremony);
        await AssertCheckAsync(await PostAsync($"/v1/apps/{app}/login/passkey", new { ceremonyId = Guid.NewGuid(), credential = body.credential }),
            PasskeyChecks.Ceremony);
    }

    [Fact]
    public async Task A_passkey_belongs_to_its_app()
    {
        var one = await CreateAppAsync();
        var other = await CreateAppAsync();
        var authenticator = new SoftAuthenticator();
        var handle = await RegisterAsync(one, Str(await SignUpAsync(one), "access_token"), authenticator);

        var options = await OkJsonAsync(await PostAsync($"/v1/apps/{other}/login/passkey/options", new { }));
        var answer = await PostAsync($"/v1/apps/{other}/login/passkey",
            new { ceremonyId = Str(options, "ceremonyId"), credential = authenticator.Assert(Str(options, "challenge"), Origin, RpId, handle) });
        await AssertCheckAsync(answer, PasskeyChecks.UnknownCredential);

        // The same authenticator may register in the other app too (credential ids are unique per app).
        await RegisterAsync(other, Str(await SignUpAsync(other), "access_token"), authenticator);
    }

    [Fact]
    public async Task A_disabled_user_cannot_sign_in_with_a_passkey()
    {
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app);
        var authenticator = new SoftAuthenticator();
        var handle = await RegisterAsync(app, Str(tokens, "access_token"), authenticator);
        var disable = await PatchAsync($"/v1/admin/apps/{app}/users/{Str(tokens["user"], "id")}", new { disabled = true }, await AdminTokenAsync());
        Assert.True(disable.IsSuccessStatusCode, await disable.Content.ReadAsStringAsync(Ct));

        var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/passkey/options", new { }));
        var answer = await PostAsync($"/v1/apps/{app}/login/passkey",
            new { ceremonyId = Str(options, "ceremonyId"), credential = authenticator.Assert(Str(options, "challenge"), Origin, RpId, handle) });

        await AssertProblemAsync(answer, HttpStatusCode.Forbidden, "user_disabled");
    }

    [Fact]
    public async Task Malformed_credentials_answer_400_never_500()
    {
        var app = await CreateAppAsync();
        var bearer = Str(await SignUpAsync(app), "access_token");
        var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/passkeys/options", new { }, bearer));
        var valid = new SoftAuthenticator().Register(Str(options, "challenge"), Origin, RpId);
        var truncated = valid.DeepClone().AsObject();
        truncated["response"]!["attestationObject"] = Str(valid["response"], "attestationObject")[..40];

        var bodies = new[]
        {
            $$"""{"ceremonyId":"{{Str(options, "ceremonyId")}}","credential":{{truncated.ToJsonString()}}}""",
            """{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}}""",
            """{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"!!","attestationObject":"??"}}}""",
            """{"credential":{"id":"AA","rawId":"AA","type":"public-key"}}""",
            """{"credential":{"type":"public-key","response":{"clientDataJSON":42}}}""",
            """{"credential":"not an object"}""",
            """{"credential":{}}""",
            """{}""",
            """[1,2,3]""",
        };
        foreach (var body in bodies)
        {
            var answer = await PostRawAsync($"/v1/apps/{app}/me/passkeys", body, bearer);
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{body} → {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(Ct)}");
            var code = JsonNode.Parse(await answer.Content.ReadAsStringAsync(Ct))!["code"]!.GetValue<string>();
            Assert.Contains(code, new[] { "passkey_invalid", "invalid_request" });
        }
        foreach (var body in bodies)
        {
            var answer = await PostRawAsync($"/v1/apps/{app}/login/passkey", body);
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{body} → {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(Ct)}");
        }
    }

    [Fact]
    public async Task Configured_origins_and_RP_id_replace_the_public_URL()
    {
        await using var server = Factory.Sibling(new Dictionary<string, string?>
        {
            ["Latchkey:WebAuthn:Origins"] = "https://app.example.com, https://login.example.com/",
            ["Latchkey:WebAuthn:RpId"] = "example.com",
        });
        var options = server.Services.GetRequiredService<IOptions<WebAuthnOptions>>().Value;
        Assert.Equal(["https://app.example.com", "https://login.example.com"], options.OriginList);
        using var client = server.CreateClient();
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app);
        var authenticator = new SoftAuthenticator();

        async Task<HttpResponseMessage> RegisterAt(string origin, string rpId)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/me/passkeys/options") { Content = JsonContent.Create(new { }) };
            request.Headers.Authorization = new("Bearer", Str(tokens, "access_token"));
            var creation = await OkJsonAsync(await client.SendAsync(request, Ct));
            Assert.Equal("example.com", Str(creation["rp"], "id"));
            using var register = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/me/passkeys")
            {
                Content = JsonContent.Create(new { ceremonyId = Str(creation, "ceremonyId"), credential = authenticator.Register(Str(creation, "challenge"), origin, rpId) }),
            };
            register.Headers.Authorization = new("Bearer", Str(tokens, "access_token"));
            return await client.SendAsync(register, Ct);
        }

        await AssertCheckAsync(await RegisterAt(Origin, "example.com"), PasskeyChecks.Origin);
        await AssertCheckAsync(await RegisterAt("https://app.example.com", RpId), PasskeyChecks.RpId);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAt("https://login.example.com", "example.com")).StatusCode);
    }

    private async Task<string> RegisterAsync(string app, string bearer, SoftAuthenticator authenticator, string? name = null)
    {
        var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/passkeys/options", new { }, bearer));
        var created = await PostAsync($"/v1/apps/{app}/me/passkeys",
            new { ceremonyId = Str(options, "ceremonyId"), credential = authenticator.Register(Str(options, "challenge"), Origin, RpId), name }, bearer);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return Str(options["user"], "id");
    }

    private static async Task<JsonObject> AssertCheckAsync(HttpResponseMessage answer, string check)
    {
        var problem = await AssertProblemAsync(answer, HttpStatusCode.BadRequest, "passkey_invalid");
        Assert.Equal(check, Str(problem, "check"));
        return problem;
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PasskeyCeremonyTests_Sqlite(SqliteServer server) : PasskeyCeremonyTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PasskeyCeremonyTests_Postgres(PostgresServer server) : PasskeyCeremonyTests(server);
