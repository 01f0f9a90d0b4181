using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Nodes;

/// <summary>
/// Defect 11 of issue 11: N nodes need one secret (the master key) and the databases, nothing
/// else. A second node with an empty keys folder of its own and the master key from the
/// environment reads the first node's cookies and forms (one Data Protection key ring, in the key
/// store) and verifies its audit checkpoints (one signing key, checkpoints in the key store), and
/// the other way round.
/// </summary>
public abstract class NodeStateTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task A_second_node_reads_the_first_nodes_console_forms_and_cookies_and_the_first_reads_its()
    {
        await using var two = Nodes.SecondNode(Factory, out var keysDir);

        // The login form and antiforgery cookie node one made, sent to node two.
        var signedIn = await Nodes.SignInAcrossAsync(Factory, two, Ct);
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, $"Node two refused node one's form: {(int)signedIn.StatusCode} {await signedIn.Content.ReadAsStringAsync(Ct)}");
        var cookie = Nodes.CookiesOf(signedIn);
        Assert.StartsWith("latchkey-console=", cookie);

        // Node two's sign-in cookie on node one, and node one's on node two.
        var onOne = await Nodes.ConsoleHomeAsync(Factory, cookie, Ct);
        Assert.Equal(HttpStatusCode.OK, onOne.StatusCode);
        var fromOne = await Nodes.ConsoleCookieAsync(Factory, Ct);
        Assert.Equal(HttpStatusCode.OK, (await Nodes.ConsoleHomeAsync(two, fromOne, Ct)).StatusCode);

        // Node two keeps nothing of its own: the master key came from the environment, the rest is in the databases.
        Assert.Empty(Directory.GetFileSystemEntries(keysDir));
    }

    [Fact]
    public async Task Each_node_verifies_the_audit_checkpoints_the_other_signed()
    {
        await using var two = Nodes.SecondNode(Factory, out _);
        using var twoClient = two.CreateClient();
        var app = await CreateAppAsync();
        await SignUpAsync(app);
        await SignUpAsync(app);
        var admin = await AdminTokenAsync();

        AssertCheckpointed(await VerifyOnAsync(Client, app, admin), 3);
        AssertCheckpointed(await VerifyOnAsync(twoClient, app, admin), 3);

        // Records appended on node two: node one finds their checkpoint without asking node two.
        for (var i = 0; i < 2; i++)
        {
            Assert.True((await twoClient.PostAsJsonAsync($"/v1/apps/{app}/signup", new { email = NewEmail(), password = GoodPassword }, Ct)).IsSuccessStatusCode);
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonObject onOne;
        while ((onOne = await VerifyOnAsync(Client, app, admin))["checkpoint"]!["seq"]!.GetValue<long>() < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }
        AssertCheckpointed(onOne, 5);

        // One signing key: both nodes publish the same, and it signed the stored checkpoint.
        var keyOne = await OkJsonAsync(await GetAsync("/v1/admin/audit/checkpoint-key", admin));
        var keyTwo = await OkJsonAsync(await SendOnAsync(twoClient, "/v1/admin/audit/checkpoint-key", admin));
        Assert.Equal(Str(keyOne, "keyId"), Str(keyTwo, "keyId"));
        Assert.Equal(Str(keyOne, "publicKeyPem"), Str(keyTwo, "publicKeyPem"));
        await using var scope = Factory.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>().AuditCheckpoints.AsNoTracking().SingleAsync(c => c.AppId == app, Ct);
        Assert.Equal(Str(keyOne, "keyId"), stored.KeyId);
    }

    [Fact]
    public async Task The_keys_folder_holds_only_the_master_key_and_the_key_store_holds_the_rest_wrapped()
    {
        var app = await CreateAppAsync();
        await SignUpAsync(app);
        AssertCheckpointed(await VerifyOnAsync(Client, app, await AdminTokenAsync()), 2);

        var entries = Directory.GetFileSystemEntries(Factory.Database.KeysDir).Select(Path.GetFileName).ToList();
        Assert.Contains("master.key", entries);
        // With SQLite the key store's file (and its WAL files) is there too: a database, backed up with the other.
        Assert.All(entries, name => Assert.True(name == "master.key" || name!.StartsWith("datakeys.db", StringComparison.Ordinal), $"{name} in the keys folder"));

        await using var scope = Factory.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>();
        var signingKey = await store.Secrets.AsNoTracking().SingleAsync(s => s.Name == AuditSigningKey.SecretName, Ct);
        // Wrapped: what the database holds is no private key.
        Assert.ThrowsAny<CryptographicException>(() =>
        {
            using var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(signingKey.WrappedValue, out _);
        });
        Assert.NotEmpty(await store.DataProtectionKeys.AsNoTracking().ToListAsync(Ct));
        Assert.True(await store.AuditCheckpoints.AsNoTracking().AnyAsync(c => c.AppId == app, Ct));
    }

    private static void AssertCheckpointed(JsonObject verification, long seq)
    {
        Assert.True(verification["valid"]!.GetValue<bool>(), verification.ToJsonString());
        Assert.Equal(seq, verification["checked"]!.GetValue<long>());
        Assert.Equal(seq, verification["checkpoint"]?["seq"]?.GetValue<long>());
        Assert.True(verification["checkpoint"]!["signatureValid"]!.GetValue<bool>(), verification.ToJsonString());
    }

    private async Task<JsonObject> VerifyOnAsync(HttpClient client, string app, string admin) =>
        await OkJsonAsync(await SendOnAsync(client, $"/v1/admin/apps/{app}/audit/verify", admin));

    private Task<HttpResponseMessage> SendOnAsync(HttpClient client, string path, string bearer)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client.SendAsync(request, Ct);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class NodeStateTests_Sqlite(SqliteServer server) : NodeStateTests(server);

[Collection(PostgresCollection.Name)]
public sealed class NodeStateTests_Postgres(PostgresServer server) : NodeStateTests(server);
