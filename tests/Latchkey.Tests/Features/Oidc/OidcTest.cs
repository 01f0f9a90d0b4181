using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>What the provider's tests share: an app with a public client and a user, and the code exchange's form.</summary>
public abstract class OidcTest(ServerFixture fixture) : ApiTest(fixture)
{
    protected const string NativeRedirect = "com.example.app:/oauth/callback";

    protected async Task<(string App, string Email)> AppWithClientAndUserAsync(string clientId)
    {
        var app = await CreateAppAsync();
        await RegisterAsync(app, clientId, NativeRedirect);
        var email = NewEmail();
        await SignUpAsync(app, email);
        return (app, email);
    }

    protected async Task RegisterAsync(string app, string clientId, params string[] redirectUris) =>
        Assert.Equal(HttpStatusCode.Created, (await PostAsync($"/v1/admin/apps/{app}/clients",
            new { clientId, name = clientId, type = "public", redirectUris }, await AdminTokenAsync())).StatusCode);

    protected static Dictionary<string, string> CodeExchange(string clientId, string code, string verifier, string redirectUri = NativeRedirect) => new()
    {
        ["grant_type"] = "authorization_code",
        ["client_id"] = clientId,
        ["code"] = code,
        ["redirect_uri"] = redirectUri,
        ["code_verifier"] = verifier,
    };

}
