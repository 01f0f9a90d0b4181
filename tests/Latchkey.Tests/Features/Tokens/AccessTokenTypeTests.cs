using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Tokens;

/// <summary>
/// RFC 9068: an access token says what it is in its JOSE header (<c>typ: at+jwt</c>), and a JWT
/// signed with the app's key that says anything else (or nothing) is no access token here.
/// </summary>
public abstract class AccessTokenTypeTests(ServerFixture fixture) : TokenTest(fixture)
{
    [Fact]
    public async Task Access_tokens_are_typed_at_jwt_from_every_grant_and_both_RFC_9068_spellings_are_accepted()
    {
        var app = await CreateAppAsync();
        var server = await ServerKeyAsync(app);
        var email = NewEmail("typed");
        var signUp = await SignUpAsync(app, email);
        var refreshed = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(signUp, "refresh_token") }));

        foreach (var token in new[] { Str(signUp, "access_token"), Str(refreshed, "access_token"), await LoginAccessAsync(app, email) })
        {
            var (header, _) = Open(token);
            Assert.Equal("at+jwt", Str(header, "typ"));
            Assert.Equal("ES256", Str(header, "alg"));
        }

        // A media type: "application/" may be written, and case does not matter (RFC 7515 §4.1.9).
        var real = Str(signUp, "access_token");
        var key = await StolenPrivateKeyAsync(KeyRotationTests.Kid(real));
        foreach (var typ in new[] { "application/at+jwt", "AT+JWT" })
        {
            var (header, payload) = Open(real);
            header["typ"] = typ;
            var token = Sign(key, header, payload);
            await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));
            Assert.True(await IsActiveAsync(app, server, token));
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("JWT")]
    [InlineData("jwt")]
    [InlineData("")]
    [InlineData("id_token+jwt")]
    [InlineData("at+jwe")]
    [InlineData("application/jwt")]
    public async Task A_token_signed_with_the_apps_key_but_not_typed_at_jwt_is_refused(string? typ)
    {
        var app = await CreateAppAsync();
        var server = await ServerKeyAsync(app);
        var real = Str(await SignUpAsync(app), "access_token");
        var kid = KeyRotationTests.Kid(real);
        var key = await StolenPrivateKeyAsync(kid);
        var (header, payload) = Open(real);
        header.Remove("typ");
        if (typ is not null)
        {
            header["typ"] = typ;
        }
        var token = Sign(key, header, payload);

        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", token), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.False(await IsActiveAsync(app, server, token));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AccessTokenTypeTests_Sqlite(SqliteServer server) : AccessTokenTypeTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AccessTokenTypeTests_Postgres(PostgresServer server) : AccessTokenTypeTests(server);
