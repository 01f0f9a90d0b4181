using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.RateLimits;

/// <summary>
/// What anyone may make an app send (SMS pumping, sign-up floods): budgets per client address, per
/// app and per SMS country, spent in the database before anything is sent or hashed, and a list of
/// the only countries SMS go to. A sibling server behind a trusted proxy lets X-Forwarded-For name
/// the client address, and small budgets keep the tests short.
/// </summary>
public abstract class SendBudgetTests(ServerFixture fixture) : RateLimitTest(fixture)
{
    private static readonly string[] SmsAndEmailCodes = ["password", "emailCode", "smsCode"];

    private LatchkeyFactory Node(Dictionary<string, string?> limits)
    {
        limits["Latchkey:TrustedProxies"] = "127.0.0.1";
        return Factory.Sibling(limits);
    }

    private Task<HttpResponseMessage> PostFromAsync(HttpClient client, string address, string path, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Forwarded-For", address);
        return client.SendAsync(request, Ct);
    }

    /// <summary>A London number nobody has in this app (Ofcom's range for drama, 020 7946 0000–0999).</summary>
    private static string UkPhone() => "+4420794" + Random.Shared.Next(60000, 61000).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A US number in libphonenumber's example range (201-555-01xx).</summary>
    private static string UsPhone() => "+1201555" + Random.Shared.Next(100, 200).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Sms_codes_to_unknown_phones_stop_at_the_address_budget_before_anything_is_sent()
    {
        var app = await CreateAppAsync(new { methods = SmsAndEmailCodes });
        await using var node = Node(new() { ["Latchkey:SendLimits:AddressSends"] = "3" });
        using var client = node.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await PostFromAsync(client, "203.0.113.7", $"/v1/apps/{app}/login/code", new { phone = UkPhone() })).StatusCode);
        }
        var pumped = UkPhone();
        var refused = await PostFromAsync(client, "203.0.113.7", $"/v1/apps/{app}/login/code", new { phone = pumped });

        Assert.InRange(await AssertRateLimitedAsync(refused), 3590, 3600);
        await AssertNoMessageAsync(app, pumped);
        // Emails spend the same budget; another address has its own.
        await AssertRateLimitedAsync(await PostFromAsync(client, "203.0.113.7", $"/v1/apps/{app}/login/code", new { email = NewEmail("pumped") }));
        Assert.Equal(HttpStatusCode.Accepted, (await PostFromAsync(client, "203.0.113.8", $"/v1/apps/{app}/login/code", new { phone = pumped })).StatusCode);
        await LatestMessageAsync(app, pumped, "loginCode");
        Factory.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Accepted, (await PostFromAsync(client, "203.0.113.7", $"/v1/apps/{app}/login/code", new { phone = UkPhone() })).StatusCode);
    }

    [Fact]
    public async Task Each_sms_country_and_the_whole_app_have_their_own_budgets_whatever_the_address()
    {
        var app = await CreateAppAsync(new { methods = SmsAndEmailCodes });
        await using var node = Node(new() { ["Latchkey:SendLimits:CountrySms"] = "2", ["Latchkey:SendLimits:AppSends"] = "4" });
        using var client = node.CreateClient();
        var address = 0;
        Task<HttpResponseMessage> AskAsync(object body) => PostFromAsync(client, $"198.51.100.{++address}", $"/v1/apps/{app}/login/code", body);

        Assert.Equal(HttpStatusCode.Accepted, (await AskAsync(new { phone = UkPhone() })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await AskAsync(new { phone = UkPhone() })).StatusCode);
        await AssertRateLimitedAsync(await AskAsync(new { phone = UkPhone() }));
        Assert.Equal(HttpStatusCode.Accepted, (await AskAsync(new { phone = UsPhone() })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await AskAsync(new { email = NewEmail("fourth") })).StatusCode);

        // Four sent: the app's budget is spent, for every channel and address.
        var fifth = NewEmail("fifth");
        await AssertRateLimitedAsync(await AskAsync(new { email = fifth }));
        await AssertNoMessageAsync(app, fifth);
    }

    [Fact]
    public async Task Sms_go_only_to_the_countries_the_server_allows()
    {
        var registered = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code", methods = SmsAndEmailCodes });
        await using var node = Node(new() { ["Latchkey:SendLimits:SmsCountries"] = "gb, IE" });
        using var client = node.CreateClient();
        var us = UsPhone();

        await AssertProblemAsync(await PostFromAsync(client, "203.0.113.9", $"/v1/apps/{registered}/login/code", new { phone = us }),
            HttpStatusCode.Forbidden, "sms_country_not_allowed");
        await AssertProblemAsync(await PostFromAsync(client, "203.0.113.9", $"/v1/apps/{registered}/signup", new { phone = us, password = GoodPassword }),
            HttpStatusCode.Forbidden, "sms_country_not_allowed");
        await AssertNoMessageAsync(registered, us);

        var uk = UkPhone();
        Assert.Equal(HttpStatusCode.Accepted, (await PostFromAsync(client, "203.0.113.9", $"/v1/apps/{registered}/signup", new { phone = uk, password = GoodPassword })).StatusCode);
        await LatestMessageAsync(registered, uk, "signupCode");
    }

    [Fact]
    public async Task Sign_ups_from_one_address_stop_at_its_budget_and_other_addresses_go_on()
    {
        var registered = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var open = await CreateAppAsync();
        await using var node = Node(new() { ["Latchkey:SendLimits:AddressSignups"] = "3" });
        using var client = node.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            await OkJsonAsync(await PostFromAsync(client, "203.0.113.20", $"/v1/apps/{registered}/signup", new { email = NewEmail("flood"), password = GoodPassword }));
            await OkJsonAsync(await PostFromAsync(client, "203.0.113.20", $"/v1/apps/{open}/signup", new { email = NewEmail("flood"), password = GoodPassword }));
        }
        var fourth = NewEmail("flood");

        await AssertRateLimitedAsync(await PostFromAsync(client, "203.0.113.20", $"/v1/apps/{registered}/signup", new { email = fourth, password = GoodPassword }));
        await AssertRateLimitedAsync(await PostFromAsync(client, "203.0.113.20", $"/v1/apps/{open}/signup", new { email = fourth, password = GoodPassword }));
        await AssertNoMessageAsync(registered, fourth);
        await AssertNoUserAsync(open, fourth);
        await OkJsonAsync(await PostFromAsync(client, "203.0.113.21", $"/v1/apps/{open}/signup", new { email = fourth, password = GoodPassword }));
    }

    [Fact]
    public async Task A_sign_up_flood_that_fills_the_hashing_queue_does_not_turn_sign_ins_away()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("member");
        await SignUpAsync(app, email);
        await using var node = Node(new()
        {
            ["Latchkey:Passwords:MaxConcurrent"] = "1",
            ["Latchkey:Passwords:MaxQueued"] = "2",
            ["Latchkey:SendLimits:AddressSignups"] = "100000",
        });
        using var client = node.CreateClient();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var floodRefused = 0;
        var flood = Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var answer = await client.PostAsJsonAsync($"/v1/apps/{app}/signup", new { email = NewEmail("flood"), password = GoodPassword }, CancellationToken.None);
                if (answer.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Assert.True(answer.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
                    Interlocked.Increment(ref floodRefused);
                }
            }
        })).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref floodRefused) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Ct);
        }

        var logins = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            logins.Add(await LoginOnAsync(client, app, email, GoodPassword));
        }
        await stop.CancelAsync();
        await Task.WhenAll(flood);

        Assert.True(floodRefused > 0, "The sign-up flood never filled its hashing queue.");
        foreach (var login in logins)
        {
            await OkJsonAsync(login);
        }
    }

    [Theory]
    [InlineData("Latchkey:SendLimits:SmsCountries", "GB, XX", "not known: XX")]
    [InlineData("Latchkey:SendLimits:AddressSends", "0", "AddressSends")]
    [InlineData("Latchkey:SendLimits:WindowSeconds", "10", "WindowSeconds")]
    public async Task A_bad_send_limit_stops_the_start_with_a_clear_message(string key, string value, string expected)
    {
        await using var node = Factory.Sibling(new Dictionary<string, string?> { [key] = value });

        var error = Record.Exception(() => node.Services);

        Assert.NotNull(error);
        Assert.Contains(expected, error.ToString());
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SendBudgetTests_Sqlite(SqliteServer server) : SendBudgetTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SendBudgetTests_Postgres(PostgresServer server) : SendBudgetTests(server);
