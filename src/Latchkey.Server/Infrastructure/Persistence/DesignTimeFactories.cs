using Latchkey.Server.Infrastructure.KeyStore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Latchkey.Server.Infrastructure.Persistence;

// Used only by `dotnet ef migrations add`: the connection strings are never opened.

internal sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteLatchkeyDbContext>
{
    public SqliteLatchkeyDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteLatchkeyDbContext>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresLatchkeyDbContext>
{
    public PostgresLatchkeyDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresLatchkeyDbContext>().UseNpgsql("Host=localhost;Database=design").Options);
}

internal sealed class SqliteKeyStoreDesignFactory : IDesignTimeDbContextFactory<SqliteKeyStoreDbContext>
{
    public SqliteKeyStoreDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteKeyStoreDbContext>().UseSqlite("Data Source=design-keys.db").Options);
}

internal sealed class PostgresKeyStoreDesignFactory : IDesignTimeDbContextFactory<PostgresKeyStoreDbContext>
{
    public PostgresKeyStoreDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresKeyStoreDbContext>().UseNpgsql("Host=localhost;Database=design_keys").Options);
}
