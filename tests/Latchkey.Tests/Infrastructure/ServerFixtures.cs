namespace Latchkey.Tests.Infrastructure;

/// <summary>A shared server for one database kind; created once per test run and collection.</summary>
public abstract class ServerFixture : IAsyncLifetime
{
    protected ServerFixture(string provider) => Factory = new LatchkeyFactory(TestDatabase.Create(provider));

    public LatchkeyFactory Factory { get; }

    public ValueTask InitializeAsync()
    {
        // Starting the host runs migrations and the bootstrap.
        _ = Factory.Server;
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}

public sealed class SqliteServer() : ServerFixture("sqlite");

public sealed class PostgresServer() : ServerFixture("postgres");

[CollectionDefinition(Name)]
public sealed class SqliteCollection : ICollectionFixture<SqliteServer>
{
    public const string Name = "sqlite";
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
