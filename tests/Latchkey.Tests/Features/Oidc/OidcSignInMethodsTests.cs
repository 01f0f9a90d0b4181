using System.Net;
using System.Net.Http.Json;
using Latchkey.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>
/// X1: the sign-in page offers the app's other ways in besides the password: a code by email or
/// SMS (an unknown address signs up by it where the app lets people), password recovery by code,
/// and a page without any password field for an app that has none; the app's IP ranges hold.
/// </summary>
public abstract class OidcSignInMethodsTests(ServerFixture fixture) : OidcTest(fixture)
{
    private static readonly string[] EveryMethod = ["password", "emailCode", "smsCode"];

    [Fact]
    public async Task A_code_by_email_signs_in_and_an_unknown_address_signs_up_by_it()
    {
        var app = await CreateAppAsync(new { methods = EveryMethod });
        await RegisterAsync(app, "native", NativeRedirect);
        var email = NewEmail();
        await SignUpAsync(app, email);
        using var browser = new OidcBrowser(Factory);
        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge);
        var page = await browser.GetAsync(authorize, Ct);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<label for=\"handle\">Email or phone</label>", html);
        Assert.Contains(">Email or text me a code instead</button>", html);
        Assert.Contains(">Forgot your password?</button>", html);

        var codePage = await browser.SubmitAsync(page, authorize, Step("code-send", ("lk_handle", email)), Ct);
        Assert.Equal(HttpStatusCode.OK, codePage.StatusCode);
        var codeHtml = await codePage.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<label for=\"code\">Code</label>", codeHtml);
        Assert.Contains("It works for 1 minute.</p>", codeHtml);
        var code = CodeFrom(await LatestMessageAsync(app, email, "loginCode"));
        var wrong = await browser.SubmitAsync(codePage, authorize, new Dictionary<string, string> { ["lk_code"] = Other(code) }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var wrongHtml = await wrong.Content.ReadAsStringAsync(Ct);
        Assert.Contains("role=\"alert\"", wrongHtml);
        Assert.DoesNotContain("It works for", wrongHtml);
        var redirect = OidcBrowser.RedirectParameters(await browser.SubmitAsync(wrong, authorize, new Dictionary<string, string> { ["lk_code"] = code }, Ct),
            NativeRedirect);
        var (status, tokens) = await browser.TokenAsync($"/v1/apps/{app}/oauth/token", CodeExchange("native", redirect["code"], verifier), Ct);
        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        var idToken = new JsonWebToken(Str(tokens, "id_token"));
        Assert.Equal(email, idToken.GetClaim("email").Value);
        Assert.Equal(["otp"], idToken.Claims.Where(c => c.Type == "amr").Select(c => c.Value));

        // An address without an account: the code makes one, as the JSON API's code sign-in does.
        using var newcomer = new OidcBrowser(Factory);
        var stranger = NewEmail("new");
        var sent = await newcomer.SubmitAsync(await newcomer.GetAsync(authorize, Ct), authorize, Step("code-send", ("lk_handle", stranger)), Ct);
        var made = OidcBrowser.RedirectParameters(await newcomer.SubmitAsync(sent, authorize,
            new Dictionary<string, string> { ["lk_code"] = CodeFrom(await LatestMessageAsync(app, stranger, "loginCode")) }, Ct), NativeRedirect);
        var (_, newTokens) = await newcomer.TokenAsync($"/v1/apps/{app}/oauth/token", CodeExchange("native", made["code"], verifier), Ct);
        Assert.Equal(stranger, new JsonWebToken(Str(newTokens, "id_token")).GetClaim("email").Value);
    }

    [Fact]
    public async Task A_code_by_sms_signs_in_with_amr_sms()
    {
        var app = await CreateAppAsync(new { methods = EveryMethod });
        await RegisterAsync(app, "native", NativeRedirect);
        using var browser = new OidcBrowser(Factory);
        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge, scope: "openid phone");
        const string phone = "+442079460958";
        var sent = await browser.SubmitAsync(await browser.GetAsync(authorize, Ct), authorize, Step("code-send", ("lk_handle", "+44 20 7946 0958")), Ct);
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var redirect = OidcBrowser.RedirectParameters(await browser.SubmitAsync(sent, authorize,
            new Dictionary<string, string> { ["lk_code"] = CodeFrom(await LatestMessageAsync(app, phone, "loginCode")) }, Ct), NativeRedirect);
        var (_, tokens) = await browser.TokenAsync($"/v1/apps/{app}/oauth/token", CodeExchange("native", redirect["code"], verifier), Ct);
        var idToken = new JsonWebToken(Str(tokens, "id_token"));
        Assert.Equal(phone, idToken.GetClaim("phone_number").Value);
        Assert.Equal(["sms"], idToken.Claims.Where(c => c.Type == "amr").Select(c => c.Value));
    }

    [Fact]
    public async Task A_forgotten_password_is_reset_by_code_on_the_page_and_then_signs_in()
    {
        var (app, email) = await AppWithClientAndUserAsync("native");
        using var browser = new OidcBrowser(Factory);
        var (_, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge);
        var recover = await browser.SubmitAsync(await browser.GetAsync(authorize, Ct), authorize, Step("recover", ("lk_handle", email)), Ct);
        Assert.Contains("Reset your password", await recover.Content.ReadAsStringAsync(Ct));
        var codePage = await browser.SubmitAsync(recover, authorize, new Dictionary<string, string> { ["lk_handle"] = email }, Ct);
        Assert.Contains("<label for=\"new-password\">New password</label>", await codePage.Content.ReadAsStringAsync(Ct));
        var code = CodeFrom(await LatestMessageAsync(app, email, "recoveryCode"));
        const string changed = "a brand new passphrase 7";

        var weak = await browser.SubmitAsync(codePage, authorize, new Dictionary<string, string> { ["lk_code"] = code, ["lk_new_password"] = "short" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Contains("at least", await weak.Content.ReadAsStringAsync(Ct));
        var done = await browser.SubmitAsync(weak, authorize, new Dictionary<string, string> { ["lk_code"] = code, ["lk_new_password"] = changed }, Ct);
        var signInAgain = await done.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Contains("Your password is changed.", signInAgain);

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SignInAsync(done, authorize, email, GoodPassword, Ct)).StatusCode);
        var page = await browser.GetAsync(authorize, Ct);
        OidcBrowser.RedirectParameters(await browser.SignInAsync(page, authorize, email, changed, Ct), NativeRedirect);

        // An unknown address gets the same answer and no message.
        using var other = new OidcBrowser(Factory);
        var unknown = NewEmail("nobody");
        var answer = await other.SubmitAsync(await other.GetAsync(authorize, Ct), authorize, Step("recover-send", ("lk_handle", unknown)), Ct);
        Assert.Contains($"If {unknown} has an account", await answer.Content.ReadAsStringAsync(Ct));
        Assert.Empty(await OutboxAsync(app, unknown));
    }

    [Fact]
    public async Task An_app_without_passwords_shows_no_password_field_and_the_ip_ranges_hold()
    {
        var app = await CreateAppAsync(new { methods = new[] { "emailCode" } });
        await RegisterAsync(app, "native", NativeRedirect);
        using var browser = new OidcBrowser(Factory);
        var (_, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge);
        var html = await (await browser.GetAsync(authorize, Ct)).Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("type=\"password\"", html);
        Assert.Contains("<button type=\"submit\">Email me a code</button>", html);
        Assert.DoesNotContain("Forgot your password?", html);

        var closed = await CreateAppAsync(new { ipRanges = new[] { "192.0.2.0/24" } });
        await RegisterAsync(closed, "native", NativeRedirect);
        var refused = await browser.GetAsync($"/v1/apps/{closed}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Null(refused.Headers.Location);
    }

    [Fact]
    public async Task New_users_sign_up_on_the_page_by_the_apps_flow()
    {
        // Open, no verification: the account is made and signed in at once.
        var (open, existing) = await AppWithClientAndUserAsync("native");
        using var browser = new OidcBrowser(Factory);
        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{open}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge);
        var first = await browser.GetAsync(authorize, Ct);
        Assert.Contains(">New here? Create an account</button>", await first.Content.ReadAsStringAsync(Ct));
        var form = await browser.SubmitAsync(first, authorize, Step("signup"), Ct);
        Assert.Contains("<label for=\"new-password\">Password</label>", await form.Content.ReadAsStringAsync(Ct));
        var taken = await browser.SubmitAsync(form, authorize, new Dictionary<string, string> { ["lk_handle"] = existing, ["lk_new_password"] = GoodPassword }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        Assert.Contains("role=\"alert\"", await taken.Content.ReadAsStringAsync(Ct));
        var email = NewEmail("joined");
        var weak = await browser.SubmitAsync(taken, authorize, new Dictionary<string, string> { ["lk_handle"] = email, ["lk_new_password"] = "short" }, Ct);
        Assert.Contains("at least", await weak.Content.ReadAsStringAsync(Ct));
        var redirect = OidcBrowser.RedirectParameters(await browser.SubmitAsync(weak, authorize,
            new Dictionary<string, string> { ["lk_handle"] = email, ["lk_new_password"] = GoodPassword }, Ct), NativeRedirect);
        var (_, tokens) = await browser.TokenAsync($"/v1/apps/{open}/oauth/token", CodeExchange("native", redirect["code"], verifier), Ct);
        Assert.Equal(email, new JsonWebToken(Str(tokens, "id_token")).GetClaim("email").Value);

        // Registered with codes: nothing is signed in before the code that makes the account.
        var registered = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        await RegisterAsync(registered, "native", NativeRedirect);
        using var other = new OidcBrowser(Factory);
        var registeredAuthorize = $"/v1/apps/{registered}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge);
        var signUp = await other.SubmitAsync(await other.GetAsync(registeredAuthorize, Ct), registeredAuthorize, Step("signup"), Ct);
        var newcomer = NewEmail("registered");
        var pending = await other.SubmitAsync(signUp, registeredAuthorize,
            new Dictionary<string, string> { ["lk_handle"] = newcomer, ["lk_new_password"] = GoodPassword }, Ct);
        Assert.Equal(HttpStatusCode.OK, pending.StatusCode);
        Assert.Contains("A code to finish your", await pending.Content.ReadAsStringAsync(Ct));
        var code = CodeFrom(await LatestMessageAsync(registered, newcomer, "signupCode"));
        var wrong = await other.SubmitAsync(pending, registeredAuthorize, new Dictionary<string, string> { ["lk_code"] = Other(code) }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var done = OidcBrowser.RedirectParameters(await other.SubmitAsync(wrong, registeredAuthorize, new Dictionary<string, string> { ["lk_code"] = code }, Ct),
            NativeRedirect);
        var (status, registeredTokens) = await other.TokenAsync($"/v1/apps/{registered}/oauth/token", CodeExchange("native", done["code"], verifier), Ct);
        Assert.True(status == HttpStatusCode.OK, registeredTokens.ToJsonString());
        Assert.Equal(newcomer, new JsonWebToken(Str(registeredTokens, "id_token")).GetClaim("email").Value);
        // The password chosen at sign-up is the account's.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync($"/v1/apps/{registered}/login", new { handle = newcomer, password = GoodPassword })).StatusCode);
    }

    [Fact]
    public async Task The_page_speaks_the_browsers_language_where_the_app_has_a_template_and_so_do_its_codes()
    {
        var app = await CreateAppAsync(new { methods = EveryMethod });
        await RegisterAsync(app, "native", NativeRedirect);
        var admin = await AdminTokenAsync();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/templates/signInPage/de", JsonContent.Create(new
        {
            subject = "Bei {{appName}} anmelden", text = "Willkommen zurück bei {{appName}}.",
        }), admin)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/templates/loginCode/de", JsonContent.Create(new
        {
            subject = "Dein Code für {{appName}}", text = "Dein Code lautet {{code}}.",
        }), admin)).StatusCode);
        var (_, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge);
        using var browser = new OidcBrowser(Factory);

        async Task<(HttpResponseMessage Page, string Html)> OpenAsync(string url, string? acceptLanguage)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (acceptLanguage is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
            }
            var page = await browser.Http.SendAsync(request, Ct);
            return (page, await page.Content.ReadAsStringAsync(Ct));
        }
        var (german, germanHtml) = await OpenAsync(authorize, "fr;q=0.5, de-AT, en;q=0.8");
        Assert.Contains($"<h1>Bei Test app {app} anmelden</h1>", germanHtml);
        Assert.Contains($"<p>Willkommen zurück bei Test app {app}.</p>", WebUtility.HtmlDecode(germanHtml));
        Assert.Contains($"<h1>Sign in to Test app {app}</h1>", (await OpenAsync(authorize, "fr-CH, fr;q=0.9")).Html);
        Assert.Contains("anmelden</h1>", (await OpenAsync(authorize + "&ui_locales=de", "en")).Html);
        Assert.Contains("Sign in to", (await OpenAsync(authorize, "not a language;;q=x")).Html);

        // A code asked for on the German page comes in German.
        var email = NewEmail("de");
        await SignUpAsync(app, email);
        using var ask = new HttpRequestMessage(HttpMethod.Post, authorize)
        {
            Content = new FormUrlEncodedContent([.. OidcBrowser.HiddenFields(germanHtml), new("lk_handle", email), new("lk_step", "code-send")]),
        };
        ask.Headers.TryAddWithoutValidation("Accept-Language", "de-AT");
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.SendAsync(ask, Ct)).StatusCode);
        Assert.Equal($"Dein Code für Test app {app}", Str(await LatestMessageAsync(app, email, "loginCode"), "subject"));
    }

    /// <summary>A second button's step, as the browser sends it: after the form's hidden one.</summary>
    private static Dictionary<string, string> Step(string step, params (string Name, string Value)[] fields)
    {
        var form = fields.ToDictionary(f => f.Name, f => f.Value);
        form["lk_step"] = step;
        return form;
    }

    private static string Other(string code) => code[0] == '0' ? "1" + code[1..] : "0" + code[1..];
}

[Collection(SqliteCollection.Name)]
public sealed class OidcSignInMethodsTests_Sqlite(SqliteServer server) : OidcSignInMethodsTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OidcSignInMethodsTests_Postgres(PostgresServer server) : OidcSignInMethodsTests(server);
