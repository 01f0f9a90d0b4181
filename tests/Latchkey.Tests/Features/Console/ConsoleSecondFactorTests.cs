using System.Net;
using Latchkey.Tests.Features.Mfa;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.AdminConsole;

/// <summary>Console sign-in of admins with a second factor, and the MFA policy for admins.</summary>
public abstract class ConsoleSecondFactorTests(ServerFixture fixture) : MfaTest(fixture)
{
    private async Task<string> AdminOfAsync(string app)
    {
        var email = NewEmail("admin");
        await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/users", new { email, password = GoodPassword, role = "admin", emailVerified = true }, await AdminTokenAsync()));
        return email;
    }

    [Fact]
    public async Task An_admin_with_an_authenticator_app_gives_its_code_on_a_second_step()
    {
        var app = await CreateAppAsync();
        var email = await AdminOfAsync(app);
        var (secret, recoveryCodes) = await EnrolTotpAsync(app, Access(await LoginOkAsync(app, email)));
        NextStep();
        using var browser = ConsoleBrowser.Open(Factory);

        var first = await browser.SignInAsync(app, email, GoodPassword, Ct);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Contains("Your password is right.", first.Html);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync($"/console/apps/{app}", Ct)).Status);

        var wrong = await browser.SubmitAsync(first, "SecondFactor", f => f.Set("code", "000000"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.NotNull(wrong.TextOf("f-code-error"));

        var code = await TotpAsync(secret);
        var signedIn = await browser.SubmitAsync(wrong, "SecondFactor", f => f.Set("method", "totp").Set("code", code), Ct);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/console/apps/{app}", Ct)).Status);

        // A recovery code works too, and a forged ticket does not.
        using var second = ConsoleBrowser.Open(Factory);
        var again = await second.SignInAsync(app, email, GoodPassword, Ct);
        var forged = await second.SubmitAsync(again, "SecondFactor", f => f.Set("Ticket", "forged").Set("code", recoveryCodes[0]), Ct);
        Assert.Contains("sign in again", forged.Html);
        var recovered = await second.SubmitAsync(again, "SecondFactor", f => f.Set("method", "recovery").Set("code", recoveryCodes[0]), Ct);
        Assert.Equal(HttpStatusCode.Redirect, recovered.Status);
    }

    [Fact]
    public async Task An_admin_without_the_second_factor_their_policy_requires_is_told_to_enrol()
    {
        var app = await CreateAppAsync(new { mfaPolicy = "requiredForAdmins" });
        var email = await AdminOfAsync(app);
        using var browser = ConsoleBrowser.Open(Factory);
        var signedIn = await browser.SignInAsync(app, email, GoodPassword, Ct);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);

        var page = await browser.GetAsync($"/console/apps/{app}", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, page.Status);
        Assert.Contains("mfa_enrollment_required", page.Html);
        // Signing out still works.
        var logout = await browser.SendAsync(page, page.FormTo("/console/logout"), Ct);
        Assert.Contains("reason=signedout", logout.Location);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ConsoleSecondFactorTests_Sqlite(SqliteServer server) : ConsoleSecondFactorTests(server);

[Collection(PostgresCollection.Name)]
public sealed class ConsoleSecondFactorTests_Postgres(PostgresServer server) : ConsoleSecondFactorTests(server);
