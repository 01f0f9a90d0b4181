using Npgsql;

namespace Latchkey.Tests.Infrastructure;

/// <summary>Where a test server keeps its data: a fresh SQLite folder or a fresh PostgreSQL database.</summary>
public abstract class TestDatabase
{
    public abstract string Name { get; }
    /// <summary>LATCHKEY_DATABASE for a server on this database.</summary>
    public abstract string ConnectionString { get; }
    public string KeysDir { get; } = Directory.CreateTempSubdirectory("latchkey-keys-").FullName;

    public static TestDatabase Create(string provider) => provider switch
    {
        "sqlite" => new SqliteTestDatabase(),
        "postgres" => new PostgresTestDatabase(),
        _ => throw new ArgumentOutOfRangeException(nameof(provider)),
    };

    public override string ToString() => Name;
}

public sealed class SqliteTestDatabase : TestDatabase
{
    private readonly string _folder = Directory.CreateTempSubdirectory("latchkey-db-").FullName;
    public override string Name => "sqlite";
    public string FilePath => Path.Combine(_folder, "latchkey.db");
    public override string ConnectionString => $"Data Source={FilePath}";
}

public sealed class PostgresTestDatabase : TestDatabase
{
    public static readonly string Server = Environment.GetEnvironmentVariable("LATCHKEY_TEST_POSTGRES")
        ?? throw new InvalidOperationException(
            "LATCHKEY_TEST_POSTGRES is not set. Run the suite with ./test.sh, which starts a throwaway PostgreSQL cluster.");

    public override string Name => "postgres";
    public string DatabaseName { get; } = "latchkey_test_" + Guid.NewGuid().ToString("N")[..12];
    public override string ConnectionString => new NpgsqlConnectionStringBuilder(Server) { Database = DatabaseName }.ToString();
}
