using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Errors;

/// <summary>
/// How request bodies are read: the HTML form endpoints refuse bodies that are not forms as
/// problems (not 500s), JSON is strict (no repeated keys, no numbers in quotes), and a problem's
/// detail never shows C# type names, parser positions or exception messages.
/// </summary>
public abstract class RequestBodyTests(ServerFixture fixture) : ApiTest(fixture)
{
    public static TheoryData<string, string, int, string> NotForms => new()
    {
        { "/password/reset/page", "json", 415, "unsupported_media_type" },
        { "/password/reset/page", "none", 400, "invalid_request" },
        { "/password/reset/page", "multipart without boundary", 400, "invalid_request" },
        { "/password/reset/page", "multipart cut short", 400, "invalid_request" },
        { "/signup/confirm", "multipart without boundary", 400, "invalid_request" },
        { "/signup/confirm", "multipart cut short", 400, "invalid_request" },
    };

    [Theory]
    [MemberData(nameof(NotForms))]
    public async Task The_html_form_endpoints_answer_a_body_that_is_not_a_form_with_a_problem(string path, string body, int status, string code)
    {
        var app = await CreateAppAsync(new { passwordRecovery = "link" });
        HttpContent? content = body switch
        {
            "json" => new StringContent("""{"challenge":"x","token":"y","newPassword":"z"}""", Encoding.UTF8, "application/json"),
            "multipart without boundary" => Raw("--x\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nabc\r\n--x--", "multipart/form-data"),
            "multipart cut short" => Raw("--b\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nabc", "multipart/form-data; boundary=b"),
            _ => null,
        };

        var response = await SendAsync(HttpMethod.Post, $"/v1/apps/{app}{path}", content, null);

        await AssertProblemAsync(response, (HttpStatusCode)status, code);
    }

    [Fact]
    public async Task The_sign_up_link_still_confirms_with_its_token_in_the_query_and_no_body()
    {
        // A POST without a body (curl -X POST "$LINK", README) is not a bad form: the query holds the token.
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var email = NewEmail("nobody");
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword })).StatusCode);
        var link = new Uri(LinkFrom(await LatestMessageAsync(app, email, "signupLink")));

        var confirmed = await SendAsync(HttpMethod.Post, link.PathAndQuery, null, null);

        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Equal("text/html", confirmed.Content.Headers.ContentType?.MediaType);
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
    }

    [Fact]
    public async Task A_repeated_key_is_refused_and_names_its_field()
    {
        var app = await CreateAppAsync();
        var first = NewEmail("first");
        var second = NewEmail("second");

        var response = await PostRawAsync($"/v1/apps/{app}/signup",
            $$"""{ "email": "{{first}}", "password": "{{GoodPassword}}", "email": "{{second}}" }""");

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "email");
        AssertNoInternals(problem);
        // Nothing was created under either address.
        await SignUpAsync(app, first);
        await SignUpAsync(app, second);
    }

    [Theory]
    [InlineData("""{ "tier": "gold", "tier": "free" }""")]
    [InlineData("""{ "nested": { "a": 1, "a": 2 } }""")]
    [InlineData("""{ "list": [{ "x": 1, "x": 2 }] }""")]
    public async Task A_repeated_key_inside_free_form_metadata_is_refused(string metadata)
    {
        var app = await CreateAppAsync();
        var email = NewEmail("meta");

        var response = await PostRawAsync($"/v1/apps/{app}/signup",
            $$"""{ "email": "{{email}}", "password": "{{GoodPassword}}", "metadata": {{metadata}} }""");

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "metadata");
        AssertNoInternals(problem);
        await SignUpAsync(app, email);
    }

    [Fact]
    public async Task Metadata_keys_that_differ_only_in_case_are_two_keys()
    {
        var app = await CreateAppAsync();

        var tokens = await OkJsonAsync(await PostRawAsync($"/v1/apps/{app}/signup",
            $$"""{ "email": "{{NewEmail("case")}}", "password": "{{GoodPassword}}", "metadata": { "Tier": "gold", "tier": "free" } }"""));

        var me = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(tokens, "access_token")));
        Assert.Equal("gold", me["metadata"]?["Tier"]?.GetValue<string>());
        Assert.Equal("free", me["metadata"]?["tier"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_number_sent_as_a_string_is_refused()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();

        var invitation = await PostRawAsync($"/v1/apps/{app}/invitations",
            $$"""{ "handle": "{{NewEmail("invitee")}}", "expiresInSeconds": "3600" }""", admin);
        var id = "t-" + Guid.NewGuid().ToString("N")[..10];
        var settings = await PostRawAsync("/v1/admin/apps",
            $$"""{ "id": "{{id}}", "name": "Strict", "settings": { "accessMode": "open", "signupFlow": "none", "codeTimeoutSeconds": "60" } }""", admin);

        var problem = await AssertProblemAsync(invitation, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "expiresInSeconds");
        AssertNoInternals(problem);
        problem = await AssertProblemAsync(settings, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "settings.codeTimeoutSeconds");
        AssertNoInternals(problem);
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{id}", admin), HttpStatusCode.NotFound, "app_not_found");
    }

    [Theory]
    [InlineData("""{ "email": 1, "password": "correct horse battery staple" }""", "email")]
    [InlineData("""{ "email": "a@example.com", "password": "correct horse battery staple", "device": { "name": 7 } }""", "device.name")]
    [InlineData("""{ "email": "a@example.com", "password": "correct horse battery staple", "metadata": [1, 2] }""", "metadata")]
    [InlineData("""{ "email": "a@example.com", "password": "correct horse battery staple", "device": "phone" }""", "device")]
    public async Task A_value_of_the_wrong_type_names_its_field_and_no_csharp_type(string json, string field)
    {
        var app = await CreateAppAsync();

        var problem = await AssertProblemAsync(await PostRawAsync($"/v1/apps/{app}/signup", json), HttpStatusCode.BadRequest, "invalid_request");

        AssertErrorFor(problem, field);
        AssertNoInternals(problem);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{ "email": "a@example.com", "password": """)]
    [InlineData("[1, 2]")]
    [InlineData("\"a string\"")]
    [InlineData("""{ "email": "a@example.com" } trailing""")]
    public async Task A_body_that_is_not_the_json_object_says_so_without_parser_positions(string json)
    {
        var app = await CreateAppAsync();

        var problem = await AssertProblemAsync(await PostRawAsync($"/v1/apps/{app}/login", json), HttpStatusCode.BadRequest, "invalid_request");

        AssertNoInternals(problem);
    }

    [Fact]
    public async Task A_query_value_of_the_wrong_type_names_the_parameter_and_not_its_csharp_type()
    {
        var app = await CreateAppAsync();

        var wait = await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/signup/{Guid.NewGuid()}?wait=soon"), HttpStatusCode.BadRequest, "invalid_request");
        var limit = await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/audit?limit=lots", await AdminTokenAsync()), HttpStatusCode.BadRequest, "invalid_request");

        AssertErrorFor(wait, "wait");
        AssertNoInternals(wait);
        Assert.DoesNotContain("soon", wait.ToJsonString());
        AssertErrorFor(limit, "limit");
        AssertNoInternals(limit);
    }

    [Fact]
    public async Task Every_bad_field_is_named_at_once_in_camel_case()
    {
        var app = await CreateAppAsync();

        var problem = await AssertProblemAsync(await PostRawAsync($"/v1/apps/{app}/password/reset", $$"""{ "email": "{{new string('a', 400)}}", "code": "{{new string('1', 40)}}" }"""),
            HttpStatusCode.BadRequest, "invalid_request");

        AssertErrorFor(problem, "email");
        AssertErrorFor(problem, "code");
        AssertErrorFor(problem, "newPassword");
        AssertNoInternals(problem);
    }

    private static ByteArrayContent Raw(string text, string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static void AssertErrorFor(JsonObject problem, string field) =>
        Assert.True(problem["errors"]?[field] is JsonArray { Count: > 0 }, $"Expected errors.{field}: {problem.ToJsonString()}");

    /// <summary>No C# type names, parser positions or framework wording, in the detail or in the messages per field.</summary>
    private static void AssertNoInternals(JsonObject problem)
    {
        var texts = new List<string> { problem["detail"]!.GetValue<string>() };
        texts.AddRange((problem["errors"] as JsonObject ?? []).SelectMany(e => e.Value!.AsArray().Select(m => m!.GetValue<string>())));
        foreach (var text in texts)
        {
            foreach (var leak in new[] { "System.", "Latchkey.", "Microsoft.", "LineNumber", "BytePosition", "Path: $", "Nullable", "Int32", "parameter \"" })
            {
                Assert.False(text.Contains(leak, StringComparison.Ordinal), $"'{leak}' in: {text}");
            }
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class RequestBodyTests_Sqlite(SqliteServer server) : RequestBodyTests(server);

[Collection(PostgresCollection.Name)]
public sealed class RequestBodyTests_Postgres(PostgresServer server) : RequestBodyTests(server);
