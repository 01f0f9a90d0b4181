using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Latchkey.Bench;

/// <summary>A fresh database for one server run, on one engine; it removes what it created.</summary>
public abstract class BenchDatabase : IAsyncDisposable
{
    protected BenchDatabase(string workDir) => WorkDir = Directory.CreateDirectory(workDir).FullName;

    public abstract string Name { get; }
    /// <summary>CEILING_DB_KIND: sqlite or postgres.</summary>
    public abstract string Kind { get; }
    /// <summary>Where the server of this run keeps its keys and log.</summary>
    public string WorkDir { get; }
    /// <summary>LATCHKEY_DATABASE for the server.</summary>
    public abstract string ServerConnectionString { get; }

    /// <summary>
    /// Copies the server's database once the server has stopped, for the ceiling app's raw write:
    /// the real refresh_tokens table with its indexes, foreign key and rows, on the same engine
    /// with the server's connection settings. Answers the copy's connection string.
    /// </summary>
    public abstract Task<string> CloneAsync(CancellationToken ct);

    public abstract DbConnection Connect(string connectionString);

    /// <summary>
    /// The Argon2id cost the server really used (m= and t= of a stored hash in the copy), so the
    /// hash ceiling follows the server's configuration; null when no password hash is stored.
    /// </summary>
    public async Task<(int MemoryKiB, int Iterations)?> HashCostAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = Connect(connectionString);
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = """SELECT "PasswordHash" FROM users WHERE "PasswordHash" LIKE '$argon2id$%' LIMIT 1""";
        if (await command.ExecuteScalarAsync(ct) is not string hash)
        {
            return null;
        }
        var match = System.Text.RegularExpressions.Regex.Match(hash, @"\$m=(\d+),t=(\d+),");
        return match.Success
            ? (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;
    }

    /// <summary>The durability settings in force, for the report: they decide what a commit costs.</summary>
    public abstract Task<string> DescribeAsync(CancellationToken ct);

    public abstract ValueTask DisposeAsync();
}

public sealed class SqliteBenchDatabase(string workDir) : BenchDatabase(workDir)
{
    private string DbFile => Path.Combine(WorkDir, "latchkey.db");
    private string ScratchFile => Path.Combine(WorkDir, "scratch.db");

    public override string Name => "SQLite";
    public override string Kind => "sqlite";
    public override string ServerConnectionString => $"Data Source={DbFile}";

    public override DbConnection Connect(string connectionString) => new SqliteConnection(connectionString);

    public override async Task<string> CloneAsync(CancellationToken ct)
    {
        await using (var source = new SqliteConnection($"Data Source={DbFile};Pooling=False"))
        {
            await source.OpenAsync(ct);
            await using var vacuum = source.CreateCommand();
            vacuum.CommandText = "VACUUM INTO $target";
            vacuum.Parameters.AddWithValue("$target", ScratchFile);
            await vacuum.ExecuteNonQueryAsync(ct);
        }

        // The same connection settings as the server (PersistenceExtensions.PrepareSqlite), plus the
        // foreign keys EF Core switches on for every connection it opens.
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = ScratchFile,
            DefaultTimeout = 30,
            Pooling = true,
            ForeignKeys = true,
        }.ToString();
        await using (var scratch = new SqliteConnection(connectionString))
        {
            await scratch.OpenAsync(ct);
            await using var wal = scratch.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(ct);
        }
        return connectionString;
    }

    public override async Task<string> DescribeAsync(CancellationToken ct)
    {
        await using var connection = new SqliteConnection($"Data Source={DbFile};Pooling=False;Mode=ReadOnly");
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version(), (SELECT journal_mode FROM pragma_journal_mode), (SELECT synchronous FROM pragma_synchronous)";
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var synchronous = reader.GetInt32(2) switch { 0 => "OFF", 1 => "NORMAL", 2 => "FULL", 3 => "EXTRA", var n => n.ToString(CultureInfo.InvariantCulture) };
        return $"SQLite {reader.GetString(0)}, journal_mode={reader.GetString(1)}, synchronous={synchronous}";
    }

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the files open; the temp folder is removed by the caller.
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}

public sealed class PostgresBenchDatabase : BenchDatabase
{
    private readonly string _admin;
    private readonly string _name = "latchkey_bench_" + Guid.NewGuid().ToString("N")[..12];
    private bool _cloned;

    public PostgresBenchDatabase(string workDir, string adminConnectionString) : base(workDir)
    {
        // Admin commands (create, drop) must not leave pooled connections behind in the databases.
        _admin = new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ToString();
    }

    public override string Name => "PostgreSQL";
    public override string Kind => "postgres";
    private string ScratchName => _name + "_scratch";

    // The server picks PostgreSQL only for a connection string that starts with Host=.
    public override string ServerConnectionString => WithDatabase(_name, pooling: null);

    public override DbConnection Connect(string connectionString) => new NpgsqlConnection(connectionString);

    public override async Task<string> CloneAsync(CancellationToken ct)
    {
        // A template copy fails while anyone is still connected to the source; the server has
        // just exited, but its backends may take a moment to go.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ExecuteAsync($"CREATE DATABASE \"{ScratchName}\" TEMPLATE \"{_name}\"", ct);
                _cloned = true;
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 20)
            {
                await ExecuteAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{_name}'", ct);
                await Task.Delay(250, ct);
            }
        }
        // The server's connection settings (PersistenceExtensions.PreparePostgres): auto-prepared statements.
        return new NpgsqlConnectionStringBuilder(WithDatabase(ScratchName, pooling: true)) { MaxAutoPrepare = 64 }.ToString();
    }

    public override async Task<string> DescribeAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes')",
            connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return $"PostgreSQL {reader.GetString(0)}, fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}, full_page_writes={reader.GetString(3)}";
    }

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        foreach (var name in new[] { _name, _name + "_keys", ScratchName })
        {
            if (name == ScratchName && !_cloned)
            {
                continue;
            }
            try
            {
                await ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", CancellationToken.None);
            }
            catch (NpgsqlException e)
            {
                Log.Info($"could not drop database {name}: {e.Message}");
            }
        }
    }

    private string WithDatabase(string database, bool? pooling)
    {
        var builder = new NpgsqlConnectionStringBuilder(_admin) { Database = database, Pooling = pooling ?? true };
        if (pooling is null)
        {
            builder.Remove("Pooling");
        }
        var host = builder.Host;
        builder.Remove("Host");
        return $"Host={host};{builder}";
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
