using System.Collections.Concurrent;
using System.Data.Common;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Latchkey.Tests.Infrastructure;

/// <summary>
/// Watches the database work of a server: counts its round trips (commands, transaction
/// statements, savepoints) and lets a test act at one exact point, e.g. revoke a session right
/// after a refresh read it as live. Attach it with <see cref="Attach"/>.
/// </summary>
public sealed class DatabaseProbe : IDbCommandInterceptor, IDbTransactionInterceptor, IDbConnectionInterceptor
{
    private readonly ConcurrentQueue<string> _trips = new();
    private readonly ConcurrentQueue<string> _opens = new();
    private Func<DbCommand, bool>? _when;
    private Func<Task>? _then;

    /// <summary>A server on <paramref name="factory"/>'s database, keys and clock whose contexts report to this probe.</summary>
    public Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> Attach(LatchkeyFactory factory) =>
        factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
        {
            services.ConfigureDbContext<SqliteLatchkeyDbContext>(o => o.AddInterceptors(this));
            services.ConfigureDbContext<PostgresLatchkeyDbContext>(o => o.AddInterceptors(this));
            services.ConfigureDbContext<SqliteKeyStoreDbContext>(o => o.AddInterceptors(this));
            services.ConfigureDbContext<PostgresKeyStoreDbContext>(o => o.AddInterceptors(this));
        }));

    /// <summary>Every round trip since the last <see cref="Reset"/>, in order, each as its first line of SQL.</summary>
    public IReadOnlyList<string> Trips => [.. _trips];

    /// <summary>Connections opened since the last <see cref="Reset"/>.</summary>
    public int Opens => _opens.Count;

    public void Reset()
    {
        _trips.Clear();
        _opens.Clear();
    }

    /// <summary>Once, when the results of the first command matching <paramref name="when"/> have been read, awaits <paramref name="then"/>.</summary>
    public void OnceAfterReading(Func<DbCommand, bool> when, Func<Task> then)
    {
        _when = when;
        _then = then;
    }

    private void Trip(string what) => _trips.Enqueue(what.Split('\n')[0].Trim());

    public ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Trip(command.CommandText);
        return ValueTask.FromResult(result);
    }

    public ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Trip(command.CommandText);
        return ValueTask.FromResult(result);
    }

    public ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Trip(command.CommandText);
        return ValueTask.FromResult(result);
    }

    public async ValueTask<InterceptionResult> DataReaderClosingAsync(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        if (_when is { } when && when(command) && Interlocked.Exchange(ref _then, null) is { } then)
        {
            _when = null;
            await then();
        }
        return result;
    }

    public ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData,
        InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        Trip("BEGIN");
        return ValueTask.FromResult(result);
    }

    public ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Trip("COMMIT");
        return ValueTask.FromResult(result);
    }

    public ValueTask<InterceptionResult> TransactionRollingBackAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Trip("ROLLBACK");
        return ValueTask.FromResult(result);
    }

    public ValueTask<InterceptionResult> CreatingSavepointAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Trip("SAVEPOINT");
        return ValueTask.FromResult(result);
    }

    public ValueTask<InterceptionResult> ReleasingSavepointAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Trip("RELEASE SAVEPOINT");
        return ValueTask.FromResult(result);
    }

    public ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default)
    {
        _opens.Enqueue(connection.Database);
        return ValueTask.FromResult(result);
    }
}
