using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.RateLimits;

/// <summary>A rate-limit or proxy setting that cannot work stops the server at start, saying what is wrong.</summary>
public abstract class RateLimitOptionsTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Theory]
    [InlineData("Latchkey:RateLimits:LockAfterFailures", "101", "LockAfterFailures")]
    [InlineData("Latchkey:RateLimits:FreeFailures", "0", "FreeFailures")]
    [InlineData("Latchkey:RateLimits:LockAfterFailures", "3", "FreeFailures must be below LockAfterFailures")]
    [InlineData("Latchkey:RateLimits:LockAfterFailures", "5", "FreeFailures must be below LockAfterFailures")]
    [InlineData("Latchkey:RateLimits:FirstDelaySeconds", "1000", "FirstDelaySeconds at most MaxDelaySeconds")]
    [InlineData("Latchkey:RateLimits:AddressFailures", "0", "AddressFailures")]
    [InlineData("Latchkey:TrustedProxies", "10.0.0.1, proxy.internal", "not valid: proxy.internal")]
    [InlineData("Latchkey:TrustedProxies", "10.0.0.1/33", "LATCHKEY_TRUSTED_PROXIES")]
    public async Task A_bad_setting_stops_the_start_with_a_clear_message(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["Latchkey:RateLimits:FreeFailures"] = "5", [key] = value };
        await using var node = Factory.Sibling(settings);

        var error = Record.Exception(() => node.Services);

        Assert.NotNull(error);
        Assert.Contains(expected, error.ToString());
    }

    [Fact]
    public async Task Trusted_proxies_take_addresses_and_networks_of_both_families()
    {
        await using var node = Factory.Sibling(new Dictionary<string, string?> { ["Latchkey:TrustedProxies"] = " 10.0.0.5, 192.168.0.0/16,::1,2001:db8::/32 " });
        using var client = node.CreateClient();

        Assert.True((await client.GetAsync("/healthz", Ct)).IsSuccessStatusCode);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class RateLimitOptionsTests_Sqlite(SqliteServer server) : RateLimitOptionsTests(server);

[Collection(PostgresCollection.Name)]
public sealed class RateLimitOptionsTests_Postgres(PostgresServer server) : RateLimitOptionsTests(server);
