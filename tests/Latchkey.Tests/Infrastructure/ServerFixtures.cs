using System.Collections.Concurrent;

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

    /// <summary>
    /// A sibling server with these settings that lives as long as this fixture, shared by every test
    /// that asks for the same settings (tests must not dispose it).
    /// </summary>
    public LatchkeyFactory SharedSibling(IReadOnlyDictionary<string, string?> settings)
    {
        var key = string.Join("\n", settings.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"));
        return _siblings.GetOrAdd(key, _ => new Lazy<LatchkeyFactory>(() => Factory.Sibling(settings))).Value;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sibling in _siblings.Values.Where(s => s.IsValueCreated))
        {
            await sibling.Value.DisposeAsync();
        }
        await Factory.DisposeAsync();
    }

    private readonly ConcurrentDictionary<string, Lazy<LatchkeyFactory>> _siblings = new();
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
