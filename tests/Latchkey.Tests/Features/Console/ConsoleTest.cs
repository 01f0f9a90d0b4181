using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.AdminConsole;

/// <summary>Helpers of the console tests: browsers signed in as a super admin, an app's admin or a plain user.</summary>
public abstract class ConsoleTest(ServerFixture fixture) : ApiTest(fixture)
{
    protected ConsoleBrowser Browser(bool https = false) => ConsoleBrowser.Open(Factory, https);

    /// <summary>A browser signed in to the console as the super admin.</summary>
    protected async Task<ConsoleBrowser> SuperAdminAsync()
    {
        var browser = Browser();
        await SignedInAsync(browser, "console", LatchkeyFactory.AdminEmail, LatchkeyFactory.AdminPassword);
        return browser;
    }

    protected async Task SignedInAsync(ConsoleBrowser browser, string app, string handle, string password)
    {
        var answer = await browser.SignInAsync(app, handle, password, Ct);
        Assert.True(answer.Status == HttpStatusCode.Redirect, $"Sign-in of {handle} through {app} answered {(int)answer.Status}: {answer.Html}");
    }

    /// <summary>A user of <paramref name="app"/> made by the super admin through the admin API; answers the email.</summary>
    protected async Task<(string Email, string Id)> CreateUserAsync(string app, string role = "user")
    {
        var email = NewEmail(role);
        var created = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/users",
            new { email, password = GoodPassword, role, emailVerified = true }, await AdminTokenAsync()));
        return (email, Str(created, "id"));
    }

    /// <summary>A browser signed in to the console as an admin of <paramref name="app"/>, through that app.</summary>
    protected async Task<(ConsoleBrowser Browser, string Email, string Id)> AppAdminAsync(string app)
    {
        var (email, id) = await CreateUserAsync(app, "admin");
        var browser = Browser();
        await SignedInAsync(browser, app, email, GoodPassword);
        return (browser, email, id);
    }

    protected static void AssertReadable(ConsolePage page)
    {
        Assert.Equal("text/html", page.Response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Exception", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("   at Latchkey", page.Html, StringComparison.Ordinal);
        Assert.Contains("role=\"alert\"", page.Html, StringComparison.Ordinal);
    }
}
