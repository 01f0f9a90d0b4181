using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Infrastructure.Persistence;

/// <summary>
/// The in-process queue of SQLite writers: every write lands, and a turn whose end EF does not
/// report (a transaction disposed unfinished, a cancelled BEGIN) does not hold up the next writer.
/// </summary>
public sealed class SqliteWriteGateTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"latchkey-gate-{Guid.NewGuid():N}.db");
    private readonly SqliteWriteGate _gate = new();

    private sealed class Row
    {
        public int Id { get; set; }
        public string Name { get; set; } = "";
    }

    private sealed class Rows(DbContextOptions<Rows> options) : DbContext(options)
    {
        public DbSet<Row> Names => Set<Row>();
    }

    private Rows Open() => new(new DbContextOptionsBuilder<Rows>()
        .UseSqlite($"Data Source={_file}")
        .AddInterceptors(_gate)
        .Options);

    /// <summary>Longer than any write here takes by far, shorter than the gate's own 30 s give-up.</summary>
    private static CancellationToken Soon() =>
        CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token).Token;

    [Fact]
    public async Task Many_writers_at_once_all_land()
    {
        await using (var db = Open())
        {
            await db.Database.EnsureCreatedAsync(Soon());
        }

        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            await using var db = Open();
            if (i % 2 == 0)
            {
                db.Names.Add(new Row { Name = $"saved {i}" });
                await db.SaveChangesAsync(Soon());
            }
            else
            {
                await using var transaction = await db.Database.BeginTransactionAsync(Soon());
                await db.Database.ExecuteSqlAsync($"INSERT INTO Names (Name) VALUES ({$"in a transaction {i}"})", Soon());
                await transaction.CommitAsync(Soon());
            }
        }));

        await using var reader = Open();
        Assert.Equal(40, await reader.Names.CountAsync(Soon()));
    }

    [Fact]
    public async Task A_transaction_disposed_unfinished_does_not_hold_up_the_next_writer()
    {
        await using var first = Open();
        await first.Database.EnsureCreatedAsync(Soon());
        await first.Database.OpenConnectionAsync(Soon());
        var transaction = await first.Database.BeginTransactionAsync(Soon());
        await first.Database.ExecuteSqlAsync($"INSERT INTO Names (Name) VALUES ('rolled back')", Soon());
        // Neither committed nor rolled back: SQLite rolls it back, EF tells no interceptor.
        await transaction.DisposeAsync();

        await using var second = Open();
        await second.Database.ExecuteSqlAsync($"INSERT INTO Names (Name) VALUES ('kept')", Soon());

        Assert.Equal(["kept"], await second.Names.Select(r => r.Name).ToListAsync(Soon()));
    }

    [Fact]
    public async Task A_begin_cancelled_while_it_waited_for_its_turn_leaves_the_turn_to_others()
    {
        await using var holder = Open();
        await holder.Database.EnsureCreatedAsync(Soon());
        var held = await holder.Database.BeginTransactionAsync(Soon());
        await using var impatient = Open();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient.Database.BeginTransactionAsync(giveUp.Token));
        await held.CommitAsync(Soon());

        await using var next = Open();
        await next.Database.ExecuteSqlAsync($"INSERT INTO Names (Name) VALUES ('after')", Soon());

        Assert.Equal(1, await next.Names.CountAsync(Soon()));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var path in new[] { _file, _file + "-wal", _file + "-shm" })
        {
            File.Delete(path);
        }
    }
}
