using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.RateLimits;

/// <summary>
/// S5 per source address and app: a failure budget per window, whatever accounts the failures aim
/// at. A sibling server with a small budget keeps the tests short; it shares the database and clock.
/// </summary>
public abstract class AddressLimitTests(ServerFixture fixture) : RateLimitTest(fixture)
{
    private LatchkeyFactory Node(int failures, int windowSeconds = 60) => SharedSibling(new Dictionary<string, string?>
    {
        ["Latchkey:RateLimits:AddressFailures"] = failures.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Latchkey:RateLimits:AddressWindowSeconds"] = windowSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    [Fact]
    public async Task An_address_that_fails_too_often_in_an_app_waits_until_the_window_ends()
    {
        var app = await CreateAppAsync();
        var elsewhere = await CreateAppAsync();
        var email = NewEmail("sprayed");
        await SignUpAsync(app, email);
        await SignUpAsync(elsewhere, email);
        var node = Node(failures: 10);
        using var client = node.CreateClient();

        // A password spray: one guess at each of many accounts, so no account counter ever trips.
        for (var i = 0; i < 10; i++)
        {
            await WrongPasswordsAsync(app, NewEmail("sprayed"), 1, client);
        }

        await AssertRateLimitedAsync(await LoginOnAsync(client, app, email, GoodPassword), 60);
        await OkJsonAsync(await LoginOnAsync(client, elsewhere, email, GoodPassword));
        Factory.Clock.Advance(TimeSpan.FromSeconds(59));
        await AssertRateLimitedAsync(await LoginOnAsync(client, app, email, GoodPassword), 1);
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await OkJsonAsync(await LoginOnAsync(client, app, email, GoodPassword));
    }

    [Fact]
    public async Task Successes_cost_nothing_from_the_budget()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("busy");
        await SignUpAsync(app, email);
        var node = Node(failures: 3);
        using var client = node.CreateClient();

        for (var i = 0; i < 10; i++)
        {
            await OkJsonAsync(await LoginOnAsync(client, app, email, GoodPassword));
        }
        await WrongPasswordsAsync(app, NewEmail("stranger"), 2, client);
        await OkJsonAsync(await LoginOnAsync(client, app, email, GoodPassword));
    }

    [Fact]
    public async Task A_hundred_unknown_refresh_tokens_from_an_address_never_refuse_a_valid_one_from_it()
    {
        // Carrier NAT: thousands of phones share one address, and some of them send stale tokens.
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app);
        for (var i = 0; i < 100; i++)
        {
            await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = UnknownToken() }),
                HttpStatusCode.Unauthorized, "refresh_token_invalid");
        }

        var refreshed = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(tokens) }));

        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(refreshed) }));
        // Unknown tokens from that address are what its budget throttles.
        await AssertRateLimitedAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = UnknownToken() }));
    }

    [Fact]
    public async Task Unknown_refresh_tokens_and_bad_server_keys_spend_the_address_budget()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var key = await CreatedJsonAsync(await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "backend" }, await AdminTokenAsync()));
        var email = NewEmail("member");
        await CreateUserAsync(app, new { email, password = GoodPassword, emailVerified = true });
        var tokens = await LoginOkAsync(app, email);
        var node = Node(failures: 4);
        using var client = node.CreateClient();

        var forged = Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await AssertProblemAsync(await client.PostAsJsonAsync($"/v1/apps/{app}/token", new { refresh_token = forged }, Ct),
            HttpStatusCode.Unauthorized, "refresh_token_invalid");
        await AssertProblemAsync(await client.PostAsJsonAsync($"/v1/apps/{app}/token", new { refresh_token = "not-even-base64!" }, Ct),
            HttpStatusCode.Unauthorized, "refresh_token_invalid");
        await AssertProblemAsync(await InviteWithKeyAsync(client, app, Str(key, "id"), "wrong secret"), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await InviteWithKeyAsync(client, app, "no-such-key", Str(key, "secret")), HttpStatusCode.Unauthorized, "unauthorized");

        // A spent address gets 429 for unknown refresh tokens and for server keys, but a found refresh token still refreshes.
        await AssertRateLimitedAsync(await client.PostAsJsonAsync($"/v1/apps/{app}/token", new { refresh_token = forged }, Ct));
        await AssertRateLimitedAsync(await InviteWithKeyAsync(client, app, Str(key, "id"), Str(key, "secret")));
        tokens = await OkJsonAsync(await client.PostAsJsonAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(tokens) }, Ct));
        Factory.Clock.Advance(TimeSpan.FromSeconds(60));
        await AssertProblemAsync(await client.PostAsJsonAsync($"/v1/apps/{app}/token", new { refresh_token = forged }, Ct),
            HttpStatusCode.Unauthorized, "refresh_token_invalid");
        await OkJsonAsync(await client.PostAsJsonAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(tokens) }, Ct));
        await CreatedJsonAsync(await InviteWithKeyAsync(client, app, Str(key, "id"), Str(key, "secret")));
    }

    private static string UnknownToken() =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private Task<HttpResponseMessage> InviteWithKeyAsync(HttpClient client, string app, string keyId, string secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/invitations") { Content = JsonContent.Create(new { handle = NewEmail("invitee") }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{keyId}:{secret}")));
        return client.SendAsync(request, Ct);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AddressLimitTests_Sqlite(SqliteServer server) : AddressLimitTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AddressLimitTests_Postgres(PostgresServer server) : AddressLimitTests(server);
