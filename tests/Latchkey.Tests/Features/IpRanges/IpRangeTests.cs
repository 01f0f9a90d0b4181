using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Tests.Features.Delivery;
using Latchkey.Tests.Features.Onboarding;
using Latchkey.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Latchkey.Tests.Features.IpRanges;

/// <summary>
/// S2: an app's ipRanges (CIDR and start–end, IPv4 and IPv6) decide which client addresses reach
/// its endpoints. The in-memory server's peer is 127.0.0.1; a sibling that trusts that peer as a
/// proxy lets X-Forwarded-For set the client address, as a reverse proxy would.
/// </summary>
public abstract class IpRangeTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    private LatchkeyFactory BehindProxy(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["Latchkey:TrustedProxies"] = "127.0.0.1" };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        return SharedSibling(settings);
    }

    private Task<HttpResponseMessage> SendFromAsync(HttpClient client, string forwardedFor, HttpMethod method, string path, object? body = null, string? bearer = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return client.SendAsync(request, Ct);
    }

    private Task<HttpResponseMessage> LoginFromAsync(HttpClient client, string address, string app, string email, string password = GoodPassword) =>
        SendFromAsync(client, address, HttpMethod.Post, $"/v1/apps/{app}/login", new { handle = email, password });

    /// <summary>An app with these ranges and a user made through the admin API (from anywhere).</summary>
    private async Task<(string App, string Email)> AppWithRangesAsync(params string[] ranges)
    {
        var app = await CreateAppAsync(new { ipRanges = ranges });
        var email = NewEmail("ranged");
        await CreateUserAsync(app, new { email, password = GoodPassword, emailVerified = true });
        return (app, email);
    }

    [Fact]
    public async Task CIDR_ranges_let_their_addresses_in_and_refuse_all_others()
    {
        var (app, email) = await AppWithRangesAsync("10.0.0.0/8", "2001:db8::/32");
        var proxy = BehindProxy();
        using var client = proxy.CreateClient();

        await OkJsonAsync(await LoginFromAsync(client, "10.1.2.3", app, email));
        await OkJsonAsync(await LoginFromAsync(client, "10.255.255.255", app, email));
        var v6 = await OkJsonAsync(await LoginFromAsync(client, "2001:db8:ffff::1", app, email));

        await AssertProblemAsync(await LoginFromAsync(client, "11.0.0.1", app, email), HttpStatusCode.Forbidden, "ip_not_allowed");
        await AssertProblemAsync(await LoginFromAsync(client, "2001:db9::1", app, email), HttpStatusCode.Forbidden, "ip_not_allowed");
        await AssertProblemAsync(await SendFromAsync(client, "192.0.2.1", HttpMethod.Get, $"/v1/apps/{app}/config"), HttpStatusCode.Forbidden, "ip_not_allowed");
        await AssertProblemAsync(await SendFromAsync(client, "192.0.2.1", HttpMethod.Post, $"/v1/apps/{app}/token", new { refresh_token = Refresh(v6) }),
            HttpStatusCode.Forbidden, "ip_not_allowed");
        // A token from inside does not open the door outside.
        await AssertProblemAsync(await SendFromAsync(client, "192.0.2.1", HttpMethod.Get, $"/v1/apps/{app}/me", bearer: Access(v6)),
            HttpStatusCode.Forbidden, "ip_not_allowed");
        await OkJsonAsync(await SendFromAsync(client, "10.0.0.1", HttpMethod.Get, $"/v1/apps/{app}/me", bearer: Access(v6)));
        // The public key documents stay open: the app's own servers verify tokens from wherever they run.
        await OkJsonAsync(await SendFromAsync(client, "192.0.2.1", HttpMethod.Get, $"/v1/apps/{app}/.well-known/jwks.json"));
        await OkJsonAsync(await SendFromAsync(client, "192.0.2.1", HttpMethod.Get, $"/v1/apps/{app}/.well-known/openid-configuration"));
    }

    [Theory]
    [InlineData("192.0.2.10-192.0.2.20", "192.0.2.10", true)]
    [InlineData("192.0.2.10-192.0.2.20", "192.0.2.15", true)]
    [InlineData("192.0.2.10-192.0.2.20", "192.0.2.20", true)]
    [InlineData("192.0.2.10-192.0.2.20", "192.0.2.9", false)]
    [InlineData("192.0.2.10-192.0.2.20", "192.0.2.21", false)]
    [InlineData("192.0.2.10 - 192.0.3.5", "192.0.2.200", true)]
    [InlineData("2001:db8::10-2001:db8::20", "2001:db8::1a", true)]
    [InlineData("2001:db8::10-2001:db8::20", "2001:db8::21", false)]
    [InlineData("2001:db8::10-2001:db8::20", "192.0.2.15", false)]
    [InlineData("192.0.2.10-192.0.2.20", "::ffff:192.0.2.15", true)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("::ffff:10.0.0.0/104", "10.9.9.9", true)]
    [InlineData("::ffff:192.0.2.10-::ffff:192.0.2.20", "192.0.2.11", true)]
    [InlineData("0.0.0.0/0", "203.0.113.7", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    public async Task Ranges_compare_addresses_of_both_families(string range, string client, bool allowed)
    {
        var (app, email) = await AppWithRangesAsync(range);
        var proxy = BehindProxy();
        using var http = proxy.CreateClient();

        var response = await LoginFromAsync(http, client, app, email);

        if (allowed)
        {
            await OkJsonAsync(response);
        }
        else
        {
            await AssertProblemAsync(response, HttpStatusCode.Forbidden, "ip_not_allowed");
        }
    }

    [Fact]
    public async Task Without_a_trusted_proxy_a_forged_X_Forwarded_For_is_ignored()
    {
        var (inside, email) = await AppWithRangesAsync("10.0.0.0/8");
        var (loopbackOnly, loopbackUser) = await AppWithRangesAsync("127.0.0.0/8");

        // The default server trusts no proxy: the client is its peer, 127.0.0.1, whatever it claims.
        await AssertProblemAsync(await LoginFromAsync(Client, "10.1.2.3", inside, email), HttpStatusCode.Forbidden, "ip_not_allowed");
        await OkJsonAsync(await LoginFromAsync(Client, "192.0.2.1", loopbackOnly, loopbackUser));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_right_most_untrusted_forwarded_address_counts()
    {
        var (app, email) = await AppWithRangesAsync("10.0.0.0/8");
        var proxy = BehindProxy();
        using var client = proxy.CreateClient();

        await OkJsonAsync(await LoginFromAsync(client, "10.1.2.3", app, email));
        // Two trusted hops: the address before them counts.
        await OkJsonAsync(await LoginFromAsync(client, "10.1.2.3, 127.0.0.1", app, email));
        // A client that writes its own X-Forwarded-For: the proxy appends the real address, which counts.
        await AssertProblemAsync(await LoginFromAsync(client, "10.1.2.3, 192.0.2.1", app, email), HttpStatusCode.Forbidden, "ip_not_allowed");
        // Without the header the peer itself (the proxy's own address) is the client.
        var direct = await client.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }, Ct);
        await AssertProblemAsync(direct, HttpStatusCode.Forbidden, "ip_not_allowed");
    }

    [Fact]
    public async Task An_app_without_ranges_and_other_apps_are_not_affected()
    {
        var (open, email) = await AppWithRangesAsync();
        var (closed, _) = await AppWithRangesAsync("10.0.0.0/8");
        var proxy = BehindProxy();
        using var client = proxy.CreateClient();

        await OkJsonAsync(await LoginFromAsync(client, "192.0.2.1", open, email));
        await OkJsonAsync(await LoginFromAsync(client, "2001:db8::1", open, email));
        await AssertProblemAsync(await LoginFromAsync(client, "192.0.2.1", closed, email), HttpStatusCode.Forbidden, "ip_not_allowed");

        // Clearing the ranges opens the app again: at once on the node that changed it, within
        // seconds on the others (this proxy is another node: its copy of the app lives 2 s).
        await PatchSettingsAsync(closed, new { ipRanges = Array.Empty<string>() });
        await AssertProblemAsync(await LoginFromAsync(Client, "127.0.0.1", closed, email), HttpStatusCode.Unauthorized, "invalid_credentials");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpResponseMessage elsewhere;
        while ((elsewhere = await LoginFromAsync(client, "192.0.2.1", closed, email)).StatusCode == HttpStatusCode.Forbidden)
        {
            Assert.True(DateTime.UtcNow < deadline, "The other node still applies the cleared ranges after 10 s.");
            await Task.Delay(200, Ct);
        }
        await AssertProblemAsync(elsewhere, HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    public static TheoryData<string> MalformedRanges =>
    [
        "10.0.0.0/33",
        "2001:db8::/129",
        "10.0.0.1/8",
        "300.1.2.3/8",
        "10.0.0.0/",
        "10.0.0.0/x",
        "010.0.0.0/8",
        "10.1/16",
        "10.0.0.1",
        "192.0.2.20-192.0.2.10",
        "192.0.2.1-2001:db8::1",
        "192.0.2.1-",
        "fe80::1%eth0/64",
        "example.com/24",
        "",
    ];

    [Theory]
    [MemberData(nameof(MalformedRanges))]
    public async Task Malformed_ranges_are_refused_and_named(string bad)
    {
        var app = await CreateAppAsync(new { ipRanges = new[] { "10.0.0.0/8" } });

        var response = await PatchAsync($"/v1/admin/apps/{app}", new { settings = new { ipRanges = new[] { "192.0.2.0/24", bad } } }, await AdminTokenAsync());

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        var messages = problem["errors"]?["settings.ipRanges"] as JsonArray;
        Assert.True(messages is { Count: 1 }, problem.ToJsonString());
        Assert.Contains($"'{bad}'", messages[0]!.GetValue<string>());
        var settings = (await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}", await AdminTokenAsync())))["settings"]!;
        Assert.Equal("[\"10.0.0.0/8\"]", settings["ipRanges"]!.ToJsonString());
    }

    [Fact]
    public async Task Too_many_ranges_and_a_null_item_are_refused()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        var many = Enumerable.Range(0, 201).Select(i => $"10.{i / 256}.{i % 256}.0/24").ToArray();

        var tooMany = await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}", new { settings = new { ipRanges = many } }, admin),
            HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(tooMany, "settings.ipRanges");
        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}", new { settings = new { ipRanges = many[..200] } }, admin));
        var withNull = await AssertProblemAsync(await PatchRawAsync($"/v1/admin/apps/{app}", """{ "settings": { "ipRanges": ["10.0.0.0/8", null] } }""", admin),
            HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(withNull, "settings.ipRanges");
    }

    [Fact]
    public async Task Per_address_limits_follow_the_forwarded_address_and_group_IPv6_by_64()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("shared");
        await SignUpAsync(app, email);
        var proxy = BehindProxy(new() { ["Latchkey:RateLimits:AddressFailures"] = "2" });
        using var client = proxy.CreateClient();

        foreach (var address in new[] { "192.0.2.1", "2001:db8:0:1::1" })
        {
            for (var i = 0; i < 2; i++)
            {
                await AssertProblemAsync(await LoginFromAsync(client, address, app, NewEmail("guess"), "wrong password"), HttpStatusCode.Unauthorized, "invalid_credentials");
            }
        }

        await AssertProblemAsync(await LoginFromAsync(client, "192.0.2.1", app, email), HttpStatusCode.TooManyRequests, "rate_limited");
        await AssertProblemAsync(await LoginFromAsync(client, "2001:db8:0:1:ffff::2", app, email), HttpStatusCode.TooManyRequests, "rate_limited");
        await OkJsonAsync(await LoginFromAsync(client, "192.0.2.2", app, email));
        await OkJsonAsync(await LoginFromAsync(client, "2001:db8:0:2::1", app, email));
    }

    [Fact]
    public async Task Refusals_and_failures_are_logged_without_handles_or_addresses()
    {
        var (app, email) = await AppWithRangesAsync("10.0.0.0/8");
        var logs = new CapturedLogs();
        var proxy = BehindProxy();
        await using var logged = proxy.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        using var client = logged.CreateClient();

        await AssertProblemAsync(await LoginFromAsync(client, "10.20.30.40", app, email, "wrong password"), HttpStatusCode.Unauthorized, "invalid_credentials");
        await AssertProblemAsync(await LoginFromAsync(client, "198.51.100.7", app, email), HttpStatusCode.Forbidden, "ip_not_allowed");

        Assert.Contains($"Failed password check in app {app}: 1 consecutive failures", logs.Text);
        Assert.Contains($"for app {app}: the client address is outside the app's IP ranges", logs.Text);
        Assert.DoesNotContain(email, logs.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("10.20.30.40", logs.Text);
        Assert.DoesNotContain("198.51.100.7", logs.Text);
    }

    private Task<HttpResponseMessage> PatchRawAsync(string path, string json, string bearer) =>
        SendAsync(HttpMethod.Patch, path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"), bearer);
}

[Collection(SqliteCollection.Name)]
public sealed class IpRangeTests_Sqlite(SqliteServer server) : IpRangeTests(server);

[Collection(PostgresCollection.Name)]
public sealed class IpRangeTests_Postgres(PostgresServer server) : IpRangeTests(server);
