using System.Net;
using Latchkey.Tests.Features.Onboarding;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.RateLimits;

/// <summary>Helpers of the S5 tests: password attempts on any node, and the 429 they may answer.</summary>
public abstract class RateLimitTest(ServerFixture fixture) : OnboardingTest(fixture)
{
    protected const string WrongPassword = "not the password at all";

    protected Task<HttpResponseMessage> LoginOnAsync(HttpClient client, string app, string handle, string password) =>
        client.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle, password }, Ct);

    protected async Task WrongPasswordsAsync(string app, string handle, int times, HttpClient? client = null)
    {
        for (var i = 0; i < times; i++)
        {
            await AssertProblemAsync(await LoginOnAsync(client ?? Client, app, handle, WrongPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
        }
    }

    /// <summary>Asserts 429 rate_limited with a Retry-After delay; answers the delay in seconds.</summary>
    protected static async Task<int> AssertRateLimitedAsync(HttpResponseMessage response, int? seconds = null)
    {
        var problem = await AssertProblemAsync(response, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem["type"]!.GetValue<string>());
        Assert.Equal("Too many requests", problem["title"]!.GetValue<string>());
        var delay = response.Headers.RetryAfter?.Delta;
        Assert.True(delay is { TotalSeconds: >= 1 }, $"Expected a Retry-After delay, got {response.Headers.RetryAfter}");
        if (seconds is not null)
        {
            Assert.Equal(seconds.Value, (int)delay.Value.TotalSeconds);
        }
        return (int)delay.Value.TotalSeconds;
    }
}
