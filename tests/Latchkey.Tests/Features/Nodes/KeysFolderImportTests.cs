using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Nodes;

/// <summary>
/// An install from before the key store kept its Data Protection keys, audit signing key and
/// checkpoints as files in the keys folder. Its first start on this version moves them into the
/// key store: console cookies stay valid, the chain still verifies against the old checkpoint, and
/// the signing key is the old one. The old layout is made from a real install's key store.
/// </summary>
public abstract class KeysFolderImportTests(string provider)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_first_start_moves_an_old_keys_folder_into_the_key_store_and_loses_nothing()
    {
        var database = TestDatabase.Create(provider);
        var keysDir = database.KeysDir;
        string app, cookie, keyId;
        AuditCheckpoint legacy;
        Microsoft.Extensions.Time.Testing.FakeTimeProvider clock;
        await using (var before = new LatchkeyFactory(database))
        {
            clock = before.Clock;
            using var client = before.CreateClient();
            var admin = await AdminTokenAsync(client);
            app = "k-" + Guid.NewGuid().ToString("N")[..10];
            await SendAsync(client, HttpMethod.Post, "/v1/admin/apps", admin, new { id = app, name = "Old " + app, settings = new { accessMode = "open", signupFlow = "none" } });
            for (var i = 0; i < 2; i++)
            {
                await SendAsync(client, HttpMethod.Post, $"/v1/apps/{app}/signup", null, new { email = $"old{i}.{app}@example.com", password = "an old install's user" });
            }
            Assert.Equal(3, (await SendAsync(client, HttpMethod.Get, $"/v1/admin/apps/{app}/audit/verify", admin))["checkpoint"]!["seq"]!.GetValue<long>());
            await SendAsync(client, HttpMethod.Get, "/v1/admin/apps/console/audit/verify", admin);
            cookie = await Nodes.ConsoleCookieAsync(before, Ct);

            await using var scope = before.Services.CreateAsyncScope();
            (keyId, legacy) = await WriteOldLayoutAsync(scope.ServiceProvider, keysDir, app);
        }

        await using var after = new LatchkeyFactory(database, clock: clock);
        _ = after.Server;

        // The old checkpoint, as it was signed, and the old key.
        using var afterClient = after.CreateClient();
        var token = await AdminTokenAsync(afterClient);
        var verification = await SendAsync(afterClient, HttpMethod.Get, $"/v1/admin/apps/{app}/audit/verify", token);
        Assert.True(verification["valid"]!.GetValue<bool>(), verification.ToJsonString());
        Assert.Equal(3, verification["checkpoint"]!["seq"]!.GetValue<long>());
        Assert.True(verification["checkpoint"]!["signatureValid"]!.GetValue<bool>());
        Assert.Equal(keyId, Str(await SendAsync(afterClient, HttpMethod.Get, "/v1/admin/audit/checkpoint-key", token), "keyId"));
        await using (var scope = after.Services.CreateAsyncScope())
        {
            var stored = await scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>().AuditCheckpoints.AsNoTracking().SingleAsync(c => c.AppId == app, Ct);
            Assert.Equal(legacy.At, stored.At);
            Assert.Equal(legacy.Signature, stored.Signature);
        }
        // The old key ring reads the old cookie. (After the checkpoint checks: the console's home
        // page opens the names in recent events, and that read is a new audit record.)
        Assert.Equal(HttpStatusCode.OK, (await Nodes.ConsoleHomeAsync(after, cookie, Ct)).StatusCode);

        // Read once: the files are set aside for the operator to delete once the key store is backed up.
        foreach (var name in new[] { "dataprotection", "audit-signing-key.pem", "audit-checkpoints" })
        {
            Assert.False(Path.Exists(Path.Combine(keysDir, name)), name);
            Assert.True(Path.Exists(Path.Combine(keysDir, name + ".imported")), name + ".imported");
        }
        await using var again = new LatchkeyFactory(database, clock: clock);
        Assert.Equal(HttpStatusCode.OK, (await Nodes.ConsoleHomeAsync(again, cookie, Ct)).StatusCode);
    }

    /// <summary>
    /// Turns the key store's rows into the files versions before it wrote (the same XML, PEM and
    /// JSON) and empties those tables: the key store of an install that just got this version.
    /// </summary>
    private async Task<(string KeyId, AuditCheckpoint Legacy)> WriteOldLayoutAsync(IServiceProvider services, string keysDir, string app)
    {
        var store = services.GetRequiredService<KeyStoreDbContext>();
        var dataProtection = Directory.CreateDirectory(Path.Combine(keysDir, "dataprotection")).FullName;
        foreach (var key in await store.DataProtectionKeys.AsNoTracking().ToListAsync(Ct))
        {
            await File.WriteAllTextAsync(Path.Combine(dataProtection, key.FriendlyName + ".xml"), key.Xml, Ct);
        }
        var pkcs8 = (await services.GetRequiredService<KeyStoreSecrets>().FindAsync(AuditSigningKey.SecretName, Ct))!;
        using (var signing = ECDsa.Create())
        {
            signing.ImportPkcs8PrivateKey(pkcs8, out _);
            await File.WriteAllTextAsync(Path.Combine(keysDir, "audit-signing-key.pem"), signing.ExportPkcs8PrivateKeyPem() + "\n", Ct);
        }
        var checkpoints = Directory.CreateDirectory(Path.Combine(keysDir, "audit-checkpoints")).FullName;
        var rows = await store.AuditCheckpoints.AsNoTracking().ToListAsync(Ct);
        foreach (var row in rows)
        {
            var file = new { appId = row.AppId, seq = row.Seq, hash = Convert.ToHexStringLower(row.Hash), at = row.At, keyId = row.KeyId, signature = row.Signature };
            await File.WriteAllTextAsync(Path.Combine(checkpoints, row.AppId + ".json"), JsonSerializer.Serialize(file) + "\n", Ct);
            await File.WriteAllTextAsync(Path.Combine(checkpoints, row.AppId + ".lock"), "", Ct);
        }
        await store.DataProtectionKeys.ExecuteDeleteAsync(Ct);
        await store.Secrets.ExecuteDeleteAsync(Ct);
        await store.AuditCheckpoints.ExecuteDeleteAsync(Ct);
        var legacy = rows.Single(r => r.AppId == app);
        return (AuditSigningKey.FromPkcs8(pkcs8).KeyId, legacy);
    }

    private async Task<string> AdminTokenAsync(HttpClient client) =>
        Str(await SendAsync(client, HttpMethod.Post, "/v1/apps/console/login", null,
            new { handle = LatchkeyFactory.AdminEmail, password = LatchkeyFactory.AdminPassword }), "access_token");

    private async Task<JsonObject> SendAsync(HttpClient client, HttpMethod method, string path, string? bearer, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        var answer = await client.SendAsync(request, Ct);
        var text = await answer.Content.ReadAsStringAsync(Ct);
        Assert.True(answer.IsSuccessStatusCode, $"{method} {path}: {(int)answer.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static string Str(JsonNode? node, string name) => node![name]!.GetValue<string>();
}

public sealed class KeysFolderImportTests_Sqlite() : KeysFolderImportTests("sqlite");

public sealed class KeysFolderImportTests_Postgres() : KeysFolderImportTests("postgres");
