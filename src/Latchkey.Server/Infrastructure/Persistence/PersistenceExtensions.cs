using Latchkey.Server.Features.Audit;
using Latchkey.Server.Infrastructure.KeyStore;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Latchkey.Server.Infrastructure.Persistence;

public static class PersistenceExtensions
{
    /// <summary>
    /// The main database and the key store, on SQLite (default) or PostgreSQL (a connection
    /// string starting with Host=). The key store defaults to a file in the keys folder (SQLite)
    /// or a sibling database named <c>{database}_keys</c> (PostgreSQL), created on start.
    /// </summary>
    public static IServiceCollection AddLatchkeyPersistence(this IServiceCollection services, LatchkeyOptions options)
    {
        if (options.UsesPostgres)
        {
            var main = PreparePostgres(options.Database);
            var keyStore = PreparePostgres(options.KeyStoreDatabase ?? SiblingPostgresDatabase(main, "_keys"));
            AddMain<PostgresLatchkeyDbContext>(services, o => o.UseNpgsql(main).AddInterceptors(AuditCommitInterceptor.Instance));
            services.AddDbContextPool<KeyStoreDbContext, PostgresKeyStoreDbContext>(o => o.UseNpgsql(keyStore));
        }
        else
        {
            var main = PrepareSqlite(options.Database);
            var keyStore = PrepareSqlite(options.KeyStoreDatabase ?? $"Data Source={Path.Combine(options.KeysDir, "datakeys.db")}");
            var writeGate = new SqliteWriteGate();
            AddMain<SqliteLatchkeyDbContext>(services, o => o.UseSqlite(main).AddInterceptors(new SqliteBusyTimeout(), writeGate, AuditCommitInterceptor.Instance));
            services.AddDbContextPool<KeyStoreDbContext, SqliteKeyStoreDbContext>(o => o.UseSqlite(keyStore).AddInterceptors(new SqliteBusyTimeout(), writeGate));
        }
        return services;
    }

    /// <summary>
    /// Contexts come from a pool, so a unit of work does not build one (its options, the service
    /// provider lookup that compares them, its services): that was a tenth of an authenticated
    /// request's CPU. A leased context starts with no tenant, whoever used it before (fail closed).
    /// </summary>
    private static void AddMain<TContext>(IServiceCollection services, Action<DbContextOptionsBuilder> configure)
        where TContext : LatchkeyDbContext
    {
        services.AddDbContextPool<TContext>(configure);
        services.AddScoped<LatchkeyDbContext>(provider =>
        {
            var db = provider.GetRequiredService<TContext>();
            db.TenantAppId = null;
            return db;
        });
    }

    /// <summary>Applies pending migrations to both databases; nodes may start together (<see cref="MigrateAsync"/>).</summary>
    public static async Task MigrateLatchkeyDatabasesAsync(this IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        foreach (var db in new DbContext[]
                 {
                     scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>(),
                     scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>(),
                 })
        {
            if (db.Database.IsSqlite())
            {
                // WAL lets readers and the one writer work at once; the busy timeout queues writers.
                await db.Database.OpenConnectionAsync(ct);
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
                await db.Database.CloseConnectionAsync();
            }
            await MigrateAsync(db, ct);
        }
    }

    /// <summary>
    /// Note: on PostgreSQL the migration lock is held per migration's transaction, so a node that
    /// starts on a database another node is creating or migrating can try a migration that
    /// the other has just applied. Each migration runs in a transaction, so the failed one left
    /// nothing behind; the next pass reads the history again and goes on after it.
    /// </summary>
    private static async Task MigrateAsync(DbContext db, CancellationToken ct)
    {
        var passes = db.Database.GetMigrations().Count() + 1;
        for (var pass = 1; ; pass++)
        {
            try
            {
                await CreateIfMissingAsync(db, ct);
                await db.Database.MigrateAsync(ct);
                return;
            }
            catch (PostgresException e) when (pass < passes && e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation
                or PostgresErrorCodes.DuplicateColumn or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateObject)
            {
                // Another node created the database or applied this migration in the same instant.
            }
        }
    }

    /// <summary>
    /// Creates a PostgreSQL database that does not exist yet. Note: migrating a missing database
    /// creates it too, but only after a failed connection that EF logs as an error; asking first
    /// expects that failure and logs nothing, so a first start logs no error.
    /// </summary>
    private static async Task CreateIfMissingAsync(DbContext db, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql())
        {
            return;
        }
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(ct))
        {
            try
            {
                await creator.CreateAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Another node created it in the same instant.
            }
        }
        // The same for the migrations' history, which migrating would read (and log as an error) before it creates it.
        await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(ct);
    }

    private static string PrepareSqlite(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = 30, Pooling = true };
        if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }
        return builder.ToString();
    }

    /// <summary>
    /// Prepared statements pay off: every request runs the same few queries. No reset on close:
    /// nothing here sets session state (no SET, no advisory locks, no temporary tables), and the
    /// reset Npgsql otherwise sends was a round trip on the next use of every pooled connection.
    /// </summary>
    private static string PreparePostgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
        }
        if (!builder.ContainsKey("No Reset On Close"))
        {
            builder.NoResetOnClose = true;
        }
        return builder.ToString();
    }

    private static string SiblingPostgresDatabase(string connectionString, string suffix)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Database = (builder.Database ?? builder.Username ?? "postgres") + suffix;
        return builder.ToString();
    }
}
