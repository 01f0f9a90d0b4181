using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;
using B64 = System.Buffers.Text.Base64Url;

namespace Latchkey.Tests.Features.Errors;

public abstract class BadInputTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task A_body_over_64_KiB_is_refused_as_too_large()
    {
        // The limit is Kestrel's: the in-process test server does not apply it, so this asks a
        // real server process on the same database, as a client over TCP would.
        var app = await CreateAppAsync();
        var email = NewEmail("huge");
        await using var server = await ServerProcess.StartAsync(Factory.Database, Ct);
        using var client = server.CreateClient();
        var json = new JsonObject { ["email"] = email, ["password"] = GoodPassword, ["parameters"] = new JsonObject { ["pad"] = new string('p', 70 * 1024) } }
            .ToJsonString();

        var response = await client.PostAsync($"/v1/apps/{app}/signup", new StringContent(json, Encoding.UTF8, "application/json"), Ct);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        await SignUpAsync(app, email);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{ "email": "a@example.com", "password": """)]
    [InlineData("""{ email: 'a@example.com' }""")]
    [InlineData("not json at all")]
    [InlineData("""{ "email": "a@example.com" } trailing""")]
    public async Task Malformed_json_is_an_invalid_request(string json)
    {
        var app = await CreateAppAsync();

        var response = await PostRawAsync($"/v1/apps/{app}/signup", json);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task A_json_value_of_the_wrong_type_names_its_field()
    {
        var app = await CreateAppAsync();

        var response = await PostRawAsync($"/v1/apps/{app}/signup", $$"""{ "email": 1, "password": "{{GoodPassword}}" }""");

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "email");
    }

    [Theory]
    [InlineData("/signup", """{ "password": "correct horse battery staple" }""")]
    [InlineData("/signup", "{}")]
    [InlineData("/login", """{ "handle": "someone@example.com" }""")]
    [InlineData("/login", """{ "password": "correct horse battery staple" }""")]
    [InlineData("/token", "{}")]
    public async Task Missing_required_fields_are_an_invalid_request_with_errors(string path, string json)
    {
        var app = await CreateAppAsync();

        var response = await PostRawAsync($"/v1/apps/{app}{path}", json);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.True(problem["errors"] is JsonObject { Count: > 0 }, $"Expected errors per field: {problem.ToJsonString()}");
    }

    [Fact]
    public async Task Sign_up_without_a_password_names_the_password()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("nopass");

        var problem = await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/signup", new { email }),
            HttpStatusCode.BadRequest, "invalid_request");

        AssertErrorFor(problem, "password");
        await SignUpAsync(app, email);
    }

    [Fact]
    public async Task An_overlong_email_is_refused()
    {
        var app = await CreateAppAsync();
        var email = new string('a', 300 - "@example.com".Length) + "@example.com";

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword });

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.True(problem["errors"] is JsonObject { Count: > 0 }, $"Expected errors per field: {problem.ToJsonString()}");
    }

    public static TheoryData<string, string, string> FieldChecks => new()
    {
        { "/signup", $$"""{ "email": "{{new string('a', 288)}}@example.com", "password": "correct horse battery staple" }""", "email" },
        { "/signup", """{ "email": "   ", "password": "correct horse battery staple" }""", "email" },
        { "/signup", """{ "password": "correct horse battery staple" }""", "email" },
        { "/login", """{ "password": "correct horse battery staple" }""", "handle" },
        { "/login", """{ "handle": "someone@example.com" }""", "password" },
        { "/token", "{}", "refresh_token" },
    };

    [Theory]
    [MemberData(nameof(FieldChecks))]
    public async Task Every_invalid_request_names_the_field_as_the_client_sent_it(string path, string json, string field)
    {
        var app = await CreateAppAsync();

        var response = await PostRawAsync($"/v1/apps/{app}{path}", json);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, field);
    }

    [Theory]
    [InlineData("no-at-sign")]
    [InlineData("a@b")]
    [InlineData("a b@c.com")]
    [InlineData("@example.com")]
    [InlineData("ann@")]
    [InlineData("ann@example..com")]
    [InlineData("ann@exa mple.com")]
    public async Task An_invalid_email_is_refused_by_name(string email)
    {
        var app = await CreateAppAsync();

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword });

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "email");
    }

    [Theory]
    [InlineData("no-such-app-here")]
    [InlineData("UPPER")]
    [InlineData("under_score")]
    [InlineData("-leading-hyphen")]
    public async Task An_unknown_or_invalid_app_id_is_app_not_found_everywhere(string appId)
    {
        await AssertProblemAsync(await PostAsync($"/v1/apps/{appId}/signup", new { email = NewEmail(), password = GoodPassword }),
            HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{appId}/login", new { handle = NewEmail(), password = GoodPassword }),
            HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{appId}/config"), HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{appId}/.well-known/jwks.json"), HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{appId}/.well-known/openid-configuration"), HttpStatusCode.NotFound, "app_not_found");
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("Bearer")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9")]
    [InlineData("a.b.c.d")]
    [InlineData("!!!.???.***")]
    public async Task A_garbage_bearer_token_is_unauthorized(string token)
    {
        var app = await CreateAppAsync();

        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", token), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Theory]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln")]
    public async Task A_garbage_bearer_token_shaped_like_a_jwt_is_unauthorized(string token)
    {
        var app = await CreateAppAsync();

        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", token), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await GetAsync("/v1/admin/apps", token), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_token_with_alg_none_is_unauthorized()
    {
        var app = await CreateAppAsync();
        var token = Str(await SignUpAsync(app), "access_token");
        var (_, payload, _) = Split(token);

        var header = Encode(new JsonObject { ["alg"] = "none", ["typ"] = "JWT" });
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", $"{header}.{Encode(payload)}."),
            HttpStatusCode.Unauthorized, "unauthorized");
        // The same with the kid kept: the algorithm alone must be refused.
        var (realHeader, _, signature) = Split(token);
        realHeader["alg"] = "none";
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", $"{Encode(realHeader)}.{Encode(payload)}."),
            HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", $"{Encode(realHeader)}.{Encode(payload)}.{signature}"),
            HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_token_with_one_signature_character_changed_is_unauthorized()
    {
        var app = await CreateAppAsync();
        var token = Str(await SignUpAsync(app), "access_token");
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));

        var signatureStart = token.LastIndexOf('.') + 1;
        var index = signatureStart + 10;
        var flipped = token[..index] + (token[index] == 'A' ? 'B' : 'A') + token[(index + 1)..];

        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", flipped), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_token_whose_claims_were_edited_is_unauthorized()
    {
        var app = await CreateAppAsync();
        var token = Str(await SignUpAsync(app), "access_token");
        var (header, payload, signature) = Split(token);
        Assert.Equal("user", payload["role"]!.GetValue<string>());

        payload["role"] = "superadmin";
        var forged = $"{token[..token.IndexOf('.')]}.{Encode(payload)}.{signature}";

        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", forged), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await GetAsync("/v1/admin/apps", forged), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("ES256", header["alg"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_token_of_another_app_is_unauthorized()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var otherToken = Str(await SignUpAsync(other), "access_token");

        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", otherToken), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await PatchAsync($"/v1/apps/{app}/me", new { displayName = "Intruder" }, otherToken),
            HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task An_access_token_is_unauthorized_once_it_expired()
    {
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app);
        var token = Str(tokens, "access_token");
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));

        Factory.Clock.Advance(TimeSpan.FromMinutes(16));

        var problem = await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", token), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("expired", Str(problem, "detail"));
        // The session itself lives on: a refresh gives a fresh access token that works.
        var refreshed = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }));
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(refreshed, "access_token")));
    }

    public static TheoryData<string> BadSignUps => new()
    {
        """{ "email": "EMAIL", "password": "short" }""",
        """{ "email": "EMAIL", "password": "password1" }""",
        """{ "email": "EMAIL" }""",
        """{ "email": "EMAIL", "password": "" }""",
        """{ "email": "EMAIL", "password": "correct horse battery staple", "username": "ann" }""",
        """{ "email": "EMAIL", "password": 12345678 }""",
        """{ "email": "EMAIL", "password": "correct horse battery staple", "metadata": "not an object" }""",
        """{ "email": "EMAIL", "password": "correct horse battery staple", "metadata": { "blob": "BLOB" } }""",
        """{ "email": "EMAIL", "password": "correct horse battery staple", "device": "not an object" }""",
        """{ "email": "EMAIL", "password": "correct horse battery staple", "parameters": { "blob": "BLOB" } }""",
        """{ "email": "EMAIL", "password": "correct horse battery staple", """,
    };

    [Theory]
    [MemberData(nameof(BadSignUps))]
    public async Task A_refused_sign_up_stores_nothing_and_the_email_stays_free(string template)
    {
        var app = await CreateAppAsync();
        var email = NewEmail("refused");
        var json = template.Replace("EMAIL", email).Replace("BLOB", new string('x', 17 * 1024));

        var response = await PostRawAsync($"/v1/apps/{app}/signup", json);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        var tokens = await SignUpAsync(app, email);
        Assert.Equal(email, Str(tokens["user"], "email"));
    }

    private static void AssertErrorFor(JsonObject problem, string field) =>
        Assert.True(problem["errors"]?[field] is JsonArray { Count: > 0 }, $"Expected errors.{field}: {problem.ToJsonString()}");

    private static (JsonObject Header, JsonObject Payload, string Signature) Split(string jwt)
    {
        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        return (Decode(parts[0]), Decode(parts[1]), parts[2]);
    }

    private static JsonObject Decode(string part) => JsonNode.Parse(B64.DecodeFromChars(part))!.AsObject();

    private static string Encode(JsonObject json) => B64.EncodeToString(Encoding.UTF8.GetBytes(json.ToJsonString()));
}

[Collection(SqliteCollection.Name)]
public sealed class BadInputTests_Sqlite(SqliteServer server) : BadInputTests(server);

[Collection(PostgresCollection.Name)]
public sealed class BadInputTests_Postgres(PostgresServer server) : BadInputTests(server);
