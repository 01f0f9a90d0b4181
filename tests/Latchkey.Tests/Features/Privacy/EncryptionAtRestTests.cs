using System.Text;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Latchkey.Tests.Features.Privacy;

/// <summary>
/// Personal data is stored only sealed with the user's own key (MISSION P3/P4): the raw main
/// database never holds it in clear, the keys live elsewhere, and destroying a user's key makes
/// their data unreadable.
/// </summary>
public abstract class EncryptionAtRestTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task The_main_database_holds_no_personal_data_in_clear_and_no_user_keys()
    {
        var app = await CreateAppAsync();
        var marker = Guid.NewGuid().ToString("N");
        var local = $"zelda.{marker[..12]}";
        var email = $"{local}@example.com";
        var displayName = $"Zelda Quill {marker[12..24]}";
        var pronouns = $"xe/{marker[24..]}";
        var signUpMetadata = $"coupon-{Guid.NewGuid():N}";
        var profileMetadata = $"tier-{Guid.NewGuid():N}";
        var deviceName = $"Zelda's phone {Guid.NewGuid():N}";

        var tokens = await SignUpAsync(app, email, device: new { id = Guid.NewGuid().ToString(), name = deviceName, platform = "ios" },
            metadata: new { coupon = signUpMetadata });
        var token = Str(tokens, "access_token");
        var userId = Str(tokens["user"], "id");
        var me = await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me",
            new { displayName, pronouns, preferences = new { theme = profileMetadata + "-pref" }, metadata = new { coupon = signUpMetadata, tier = profileMetadata } }, token));
        Assert.Equal(displayName, Str(me, "displayName"));
        Assert.Equal(email, Str(me, "email"));
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword, device = new { name = deviceName } }));

        var dump = await DumpMainDatabaseAsync();

        // The dump is of the right database and holds this user's row.
        Assert.Contains(app, dump.Text, StringComparison.Ordinal);
        Assert.Contains(userId, dump.Text, StringComparison.OrdinalIgnoreCase);
        foreach (var secret in new[] { email, local, displayName, pronouns, signUpMetadata, profileMetadata, deviceName })
        {
            Assert.False(dump.Text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"'{secret}' is in the main database in clear.");
            var hex = Convert.ToHexString(Encoding.UTF8.GetBytes(secret));
            Assert.False(dump.Text.Contains(hex, StringComparison.OrdinalIgnoreCase), $"'{secret}' is in the main database as hex.");
        }
        Assert.DoesNotContain("user_data_keys", dump.Tables);
        Assert.Contains("users", dump.Tables);

        // The keys are in the key store.
        await using var scope = Factory.Services.CreateAsyncScope();
        Assert.NotNull(await scope.ServiceProvider.GetRequiredService<UserKeyring>().FindAsync(Guid.Parse(userId), Ct));
    }

    [Fact]
    public async Task Destroying_a_users_key_makes_their_data_unreadable()
    {
        var admin = await AdminTokenAsync();
        var app = await CreateAppAsync();
        var email = NewEmail("shredded");
        var neighbour = NewEmail("neighbour");
        var tokens = await SignUpAsync(app, email, metadata: new { coupon = "X1" });
        var neighbourId = Str((await SignUpAsync(app, neighbour))["user"], "id");
        var userId = Str(tokens["user"], "id");
        await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { displayName = "Soon unreadable" }, Str(tokens, "access_token")));
        Assert.Equal(email, Str(await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}", admin)), "email"));

        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<UserKeyring>().DestroyAsync(Guid.Parse(userId), Ct);
        }

        var read = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}", admin));
        Assert.Equal(userId, Str(read, "id"));
        Assert.True(read.ContainsKey("email"));
        Assert.Null(read["email"]);
        var listed = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", admin));
        Assert.Null(Assert.Single(listed, u => Str(u, "id") == userId)!["email"]);
        Assert.Equal(neighbour, Str(Assert.Single(listed, u => Str(u, "id") == neighbourId), "email"));
        Assert.Equal(neighbour, Str(await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{neighbourId}", admin)), "email"));
    }

    private sealed record Dump(string Text, IReadOnlyList<string> Tables);

    private Task<Dump> DumpMainDatabaseAsync() => Factory.Database switch
    {
        SqliteTestDatabase sqlite => DumpSqliteAsync(sqlite),
        PostgresTestDatabase postgres => DumpPostgresAsync(postgres),
        var other => throw new InvalidOperationException($"No dump for {other}."),
    };

    /// <summary>The raw bytes of the database file and its write-ahead log, as Latin-1 so every byte is one char.</summary>
    private async Task<Dump> DumpSqliteAsync(SqliteTestDatabase database)
    {
        var text = new StringBuilder();
        foreach (var path in new[] { database.FilePath, database.FilePath + "-wal" })
        {
            if (!File.Exists(path))
            {
                continue;
            }
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            await file.CopyToAsync(memory, Ct);
            text.Append(Encoding.Latin1.GetString(memory.ToArray()));
        }
        Assert.True(text.Length > 0, $"No database file at {database.FilePath}");

        var tables = new List<string>();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = database.FilePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            tables.Add(reader.GetString(0));
        }
        return new Dump(text.ToString(), tables);
    }

    /// <summary>Every row of every table of the main database, as PostgreSQL's text form (bytea shows as \x hex).</summary>
    private async Task<Dump> DumpPostgresAsync(PostgresTestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(Ct);
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", connection))
        await using (var reader = await list.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                tables.Add(reader.GetString(0));
            }
        }
        await using (var anywhere = new NpgsqlCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'user_data_keys'", connection))
        {
            Assert.Equal(0L, (long)(await anywhere.ExecuteScalarAsync(Ct))!);
        }

        var text = new StringBuilder();
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT t::text FROM \"{table.Replace("\"", "\"\"")}\" t", connection);
            await using var reader = await select.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                text.AppendLine(reader.GetString(0));
            }
        }
        return new Dump(text.ToString(), tables);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class EncryptionAtRestTests_Sqlite(SqliteServer server) : EncryptionAtRestTests(server);

[Collection(PostgresCollection.Name)]
public sealed class EncryptionAtRestTests_Postgres(PostgresServer server) : EncryptionAtRestTests(server);
