using System.Net;
using Latchkey.Tests.Features.Mfa;
using Latchkey.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>X1: a user with a second factor gives it on the provider's sign-in page before any code is issued.</summary>
public abstract class OidcSecondFactorTests(ServerFixture fixture) : MfaTest(fixture)
{
    private const string Redirect = "com.example.app:/oauth/callback";

    [Fact]
    public async Task The_sign_in_page_asks_for_the_second_factor_and_the_id_token_says_so()
    {
        var enrolled = await EnrolledUserAsync();
        Assert.Equal(HttpStatusCode.Created, (await PostAsync($"/v1/admin/apps/{enrolled.App}/clients",
            new { clientId = "native", name = "Native", type = "public", redirectUris = new[] { Redirect } }, await AdminTokenAsync())).StatusCode);
        using var browser = new OidcBrowser(Factory);
        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{enrolled.App}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", Redirect, challenge);

        var asked = await browser.SignInAsync(await browser.GetAsync(authorize, Ct), authorize, enrolled.Email, GoodPassword, Ct);
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        var html = await asked.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<label for=\"code\">Code</label>", html);
        Assert.Contains("A code from my authenticator app", html);
        Assert.Contains("A recovery code", html);

        var wrong = await browser.SubmitAsync(asked, authorize, new Dictionary<string, string> { ["lk_method"] = "totp", ["lk_code"] = "000000" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("role=\"alert\"", await wrong.Content.ReadAsStringAsync(Ct));

        var code = OidcBrowser.RedirectParameters(await browser.SubmitAsync(wrong, authorize,
            new Dictionary<string, string> { ["lk_method"] = "totp", ["lk_code"] = await TotpAsync(enrolled.Secret) }, Ct), Redirect)["code"];
        var (status, tokens) = await browser.TokenAsync($"/v1/apps/{enrolled.App}/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["client_id"] = "native", ["code"] = code, ["redirect_uri"] = Redirect, ["code_verifier"] = verifier,
        }, Ct);
        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        var idToken = new JsonWebToken(Str(tokens, "id_token"));
        var amr = idToken.GetPayloadValue<string[]>("amr");
        Assert.Equal(["pwd", "otp"], amr);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OidcSecondFactorTests_Sqlite(SqliteServer server) : OidcSecondFactorTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OidcSecondFactorTests_Postgres(PostgresServer server) : OidcSecondFactorTests(server);
