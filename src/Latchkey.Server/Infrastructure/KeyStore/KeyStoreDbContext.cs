using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Infrastructure.KeyStore;

/// <summary>
/// Per-user data keys, in a database of their own (MISSION P3/P4): a backup of the main database
/// holds only ciphertext, and deleting a user's row here makes their data unreadable everywhere.
/// </summary>
public abstract class KeyStoreDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<UserDataKey> UserDataKeys => Set<UserDataKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var key = modelBuilder.Entity<UserDataKey>();
        key.ToTable("user_data_keys");
        key.HasKey(k => k.UserId);
        key.Property(k => k.WrappedKey).IsRequired();
        key.HasIndex(k => k.AppId);
    }
}

public sealed class UserDataKey
{
    public Guid UserId { get; set; }
    public required string AppId { get; set; }
    public required byte[] WrappedKey { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class SqliteKeyStoreDbContext(DbContextOptions<SqliteKeyStoreDbContext> options) : KeyStoreDbContext(options);

public sealed class PostgresKeyStoreDbContext(DbContextOptions<PostgresKeyStoreDbContext> options) : KeyStoreDbContext(options);
