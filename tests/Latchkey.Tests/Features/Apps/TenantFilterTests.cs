using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Apps;

/// <summary>
/// Tenant isolation fails closed: a unit of work that names no app sees no app's rows, and one
/// scoped to an app sees only that app's. Work that spans apps must say so (IgnoreQueryFilters).
/// </summary>
public abstract class TenantFilterTests(ServerFixture fixture) : ApiTest(fixture)
{
    private static List<Type> TenantOwned(LatchkeyDbContext db) =>
        db.Model.GetEntityTypes().Select(e => e.ClrType).Where(t => typeof(ITenantOwned).IsAssignableFrom(t)).ToList();

    [Fact]
    public async Task A_query_without_an_app_sees_no_rows_and_changes_none()
    {
        var app = await CreateAppAsync();
        var user = Guid.Parse(Str((await SignUpAsync(app))["user"], "id"));
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();

        foreach (var type in TenantOwned(db))
        {
            Assert.True(await CountAsync(db, type) == 0, $"{type.Name}: a query without an app saw rows");
        }
        Assert.Equal(0, await db.Users.Where(u => u.Id == user).ExecuteUpdateAsync(u => u.SetProperty(x => x.Disabled, true), Ct));
        // The rows are there for work that says it spans apps, and for the app's own scope.
        Assert.True(await db.Users.IgnoreQueryFilters().AnyAsync(u => u.Id == user, Ct));
        Assert.True(await db.Sessions.IgnoreQueryFilters().AnyAsync(s => s.UserId == user, Ct));
        db.TenantAppId = app;
        var mine = await db.Users.AsNoTracking().SingleAsync(u => u.Id == user, Ct);
        Assert.False(mine.Disabled);
        Assert.True(await db.SigningKeys.AnyAsync(Ct));
    }

    [Fact]
    public async Task A_query_scoped_to_one_app_sees_none_of_another()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var user = Guid.Parse(Str((await SignUpAsync(app))["user"], "id"));
        await SignUpAsync(other);
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();

        db.TenantAppId = other;

        Assert.False(await db.Users.AnyAsync(u => u.Id == user, Ct));
        Assert.All(await db.Users.AsNoTracking().ToListAsync(Ct), u => Assert.Equal(other, u.AppId));
        Assert.All(await db.Sessions.AsNoTracking().ToListAsync(Ct), s => Assert.Equal(other, s.AppId));
        Assert.All(await db.SigningKeys.AsNoTracking().ToListAsync(Ct), k => Assert.Equal(other, k.AppId));
    }

    private static Task<int> CountAsync(LatchkeyDbContext db, Type type) =>
        (Task<int>)typeof(TenantFilterTests).GetMethod(nameof(CountOfAsync), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(type).Invoke(null, [db])!;

    private static Task<int> CountOfAsync<T>(LatchkeyDbContext db) where T : class => db.Set<T>().CountAsync();
}

[Collection(SqliteCollection.Name)]
public sealed class TenantFilterTests_Sqlite(SqliteServer server) : TenantFilterTests(server);

[Collection(PostgresCollection.Name)]
public sealed class TenantFilterTests_Postgres(PostgresServer server) : TenantFilterTests(server);
