using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latchkey.Tests.Features.Nodes;

/// <summary>
/// The one secret outside the databases: LATCHKEY_MASTER_KEY (base64 or hex, checked at start) or
/// the keys folder's master.key, which nodes starting together create once and read whole. These
/// tests start their own servers on fresh databases and keys folders.
/// </summary>
public abstract class MasterKeyTests(string provider)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_nodes_starting_at_once_on_an_empty_keys_folder_end_up_with_one_master_key()
    {
        var database = TestDatabase.Create(provider);
        Assert.Empty(Directory.GetFileSystemEntries(database.KeysDir));
        await using var one = new LatchkeyFactory(database);
        await using var two = new LatchkeyFactory(database, clock: one.Clock);

        await Task.WhenAll(Task.Run(() => one.Server, Ct), Task.Run(() => two.Server, Ct));

        // Each node opens what the other sealed under the master key: the admin's personal data
        // (a per-user key wrapped by it) and the console's cookies (Data Protection keys sealed by it).
        using var clientOne = one.CreateClient();
        using var clientTwo = two.CreateClient();
        var token = await AdminTokenAsync(clientOne);
        var me = await GetMeAsync(clientTwo, token);
        Assert.Equal(LatchkeyFactory.AdminEmail, me["email"]?.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await Nodes.ConsoleHomeAsync(two, await Nodes.ConsoleCookieAsync(one, Ct), Ct)).StatusCode);
        Assert.Equal(LatchkeyFactory.AdminEmail, (await GetMeAsync(clientOne, await AdminTokenAsync(clientTwo)))["email"]?.GetValue<string>());

        Assert.Equal(["master.key"], Directory.GetFiles(database.KeysDir).Select(Path.GetFileName).Where(n => !n!.StartsWith("datakeys.db", StringComparison.Ordinal)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(database.KeysDir, "master.key")));
        }
    }

    [Theory]
    [InlineData("not a key at all")]
    [InlineData("c2hvcnQ=")]
    [InlineData("00112233445566778899aabbccddeeff00112233445566778899aabbccddee")]
    public async Task A_malformed_LATCHKEY_MASTER_KEY_stops_the_start_and_says_what_a_key_looks_like(string value)
    {
        await using var node = new LatchkeyFactory(TestDatabase.Create(provider), new Dictionary<string, string?> { ["LATCHKEY_MASTER_KEY"] = value });

        var error = Assert.ThrowsAny<Exception>(() => node.Server);

        var message = Messages(error);
        Assert.Contains("LATCHKEY_MASTER_KEY", message);
        Assert.Contains("base64", message);
        Assert.Contains("hex", message);
        Assert.DoesNotContain(value, message);
    }

    [Fact]
    public async Task A_damaged_master_key_file_stops_the_start_and_names_the_file()
    {
        var database = TestDatabase.Create(provider);
        var path = Path.Combine(database.KeysDir, "master.key");
        await File.WriteAllTextAsync(path, "half a ke", Ct);
        await using var node = new LatchkeyFactory(database);

        var message = Messages(Assert.ThrowsAny<Exception>(() => node.Server));

        Assert.Contains(path, message);
        Assert.Contains("base64", message);
    }

    [Fact]
    public async Task A_hex_master_key_is_the_same_key_as_its_base64_spelling()
    {
        var database = TestDatabase.Create(provider);
        var key = RandomNumberGenerator.GetBytes(32);
        string token;
        await using (var hex = new LatchkeyFactory(database, new Dictionary<string, string?> { ["LATCHKEY_MASTER_KEY"] = Convert.ToHexStringLower(key) }))
        {
            token = await AdminTokenAsync(hex.CreateClient());
        }

        // A node given the base64 spelling starts on that database (a different key would be refused) and reads its data.
        await using var base64 = new LatchkeyFactory(database, new Dictionary<string, string?> { ["LATCHKEY_MASTER_KEY"] = Convert.ToBase64String(key) });
        using var client = base64.CreateClient();
        Assert.Equal(LatchkeyFactory.AdminEmail, (await GetMeAsync(client, token))["email"]?.GetValue<string>());
        Assert.Empty(Directory.GetFiles(database.KeysDir, "master.key"));
    }

    private async Task<string> AdminTokenAsync(HttpClient client)
    {
        var answer = await client.PostAsJsonAsync("/v1/apps/console/login", new { handle = LatchkeyFactory.AdminEmail, password = LatchkeyFactory.AdminPassword }, Ct);
        Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync(Ct));
        return JsonNode.Parse(await answer.Content.ReadAsStringAsync(Ct))!["access_token"]!.GetValue<string>();
    }

    private async Task<JsonObject> GetMeAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/apps/console/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var answer = await client.SendAsync(request, Ct);
        var text = await answer.Content.ReadAsStringAsync(Ct);
        Assert.True(answer.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static string Messages(Exception error)
    {
        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(inner => inner.Message));
            }
        }
        return string.Join("\n", messages);
    }
}

public sealed class MasterKeyTests_Sqlite() : MasterKeyTests("sqlite");

public sealed class MasterKeyTests_Postgres() : MasterKeyTests("postgres");

/// <summary>The master key file's creation itself, raced by many would-be nodes at once on fresh folders.</summary>
public sealed class MasterKeyFileTests
{
    [Fact]
    public async Task Nodes_creating_the_master_key_file_at_once_all_read_the_one_key_that_won()
    {
        // Note: the window is a few microseconds wide; the key file before it was written atomically
        // lost this race about once in a hundred rounds.
        var parent = Directory.CreateTempSubdirectory("latchkey-race-").FullName;
        for (var round = 0; round < 300; round++)
        {
            var folder = Path.Combine(parent, round.ToString(System.Globalization.CultureInfo.InvariantCulture), "keys");
            using var start = new Barrier(8);
            var loads = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                return Convert.ToHexString(MasterKey.Load(null, folder, NullLogger.Instance).Derive("test"));
            })).ToList();

            var keys = await Task.WhenAll(loads);

            Assert.Single(keys.Distinct());
            Assert.Equal(["master.key"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
            Assert.Equal(keys[0], Convert.ToHexString(MasterKey.Load(null, folder, NullLogger.Instance).Derive("test")));
        }
        Directory.Delete(parent, recursive: true);
    }
}
