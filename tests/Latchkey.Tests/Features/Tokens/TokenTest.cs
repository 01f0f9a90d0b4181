using System.Buffers.Text;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sealed = Latchkey.Server.Infrastructure.Crypto.Sealed;
using ServerKeys = Latchkey.Server.Infrastructure.Crypto.ServerKeys;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Tokens;

/// <summary>
/// Helpers of the token tests: introspection as an app's server calls it, the JWKS, and tokens
/// signed by hand with an app key's private half, as someone who stole it (read from the
/// database and unwrapped with the master key) would sign them: any header, any claims, any expiry.
/// </summary>
public abstract class TokenTest(ServerFixture fixture) : ApiTest(fixture)
{
    protected sealed record ServerKey(string Id, string Secret);

    protected async Task<ServerKey> ServerKeyAsync(string app)
    {
        var created = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "backend" }, await AdminTokenAsync()));
        return new ServerKey(Str(created, "id"), Str(created, "secret"));
    }

    /// <summary>Whether introspection calls the token active (and that its answer is only that when not).</summary>
    protected async Task<bool> IsActiveAsync(string app, ServerKey key, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/oauth/introspect")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("token", token)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key.Id}:{key.Secret}")));
        var answer = await OkJsonAsync(await Client.SendAsync(request, Ct));
        var active = answer["active"]!.GetValue<bool>();
        if (!active)
        {
            Assert.Equal("""{"active":false}""", answer.ToJsonString());
        }
        return active;
    }

    protected async Task<List<string>> JwksKidsAsync(string app) =>
        (await OkJsonAsync(await GetAsync($"/v1/apps/{app}/.well-known/jwks.json")))["keys"]!.AsArray().Select(k => Str(k, "kid")).ToList();

    protected async Task<string> LoginAccessAsync(string app, string email) =>
        Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword })), "access_token");

    /// <summary>The private half of a signing key, as the database and the master key hold it.</summary>
    protected async Task<ECDsa> StolenPrivateKeyAsync(string kid)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var row = await db.SigningKeys.IgnoreQueryFilters().AsNoTracking().SingleAsync(k => k.Id == kid, Ct);
        var wrapping = scope.ServiceProvider.GetRequiredService<ServerKeys>().Wrapping;
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Sealed.Open(wrapping, row.WrappedPrivateKey, $"signing-key:{row.AppId}:{row.Id}"), out _);
        return ecdsa;
    }

    /// <summary>
    /// A copy of <paramref name="token"/> signed again with <paramref name="key"/> (ES256): the
    /// header's kid named <paramref name="kid"/>, and the claims as <paramref name="edit"/> leaves them.
    /// </summary>
    protected static string Resign(string token, ECDsa key, string kid, Action<JsonObject>? edit = null)
    {
        var (header, payload) = Open(token);
        header["kid"] = kid;
        edit?.Invoke(payload);
        return Sign(key, header, payload);
    }

    /// <summary>A JWS over exactly this header and payload text (neither need be valid JSON).</summary>
    protected static string Sign(ECDsa key, string header, string payload)
    {
        var input = $"{Encode(header)}.{Encode(payload)}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{input}.{Base64Url.EncodeToString(signature)}";
    }

    protected static string Sign(ECDsa key, JsonObject header, JsonObject payload) => Sign(key, header.ToJsonString(), payload.ToJsonString());

    protected static (JsonObject Header, JsonObject Payload) Open(string jwt)
    {
        var parts = jwt.Split('.');
        return (JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject(), JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject());
    }

    protected static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    protected long UnixNow => Factory.Clock.GetUtcNow().ToUnixTimeSeconds();

    protected static DateTimeOffset Time(JsonNode? node, string name) =>
        DateTimeOffset.Parse(Str(node, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
