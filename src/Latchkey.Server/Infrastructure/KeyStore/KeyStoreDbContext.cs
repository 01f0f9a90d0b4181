using Latchkey.Server.Features.Audit;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Infrastructure.KeyStore;

/// <summary>
/// The key store, a database of its own (MISSION P3/P4): per-user data keys (a backup of the main
/// database holds only ciphertext, and deleting a user's row here makes their data unreadable
/// everywhere), and the state every node shares that must not sit beside the data it protects:
/// the Data Protection key ring, the server's stored secrets and the signed audit checkpoints.
/// Everything secret in it is wrapped by a key derived from the master key.
/// </summary>
public abstract class KeyStoreDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<UserDataKey> UserDataKeys => Set<UserDataKey>();

    /// <summary>The ASP.NET Core Data Protection key ring (console cookies, forms); each key's XML sealed by <c>MasterKeyXmlEncryptor</c>.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<StoredSecret> Secrets => Set<StoredSecret>();

    public DbSet<AuditCheckpoint> AuditCheckpoints => Set<AuditCheckpoint>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var key = modelBuilder.Entity<UserDataKey>();
        key.ToTable("user_data_keys");
        key.HasKey(k => k.UserId);
        key.Property(k => k.WrappedKey).IsRequired();
        key.HasIndex(k => k.AppId);

        modelBuilder.Entity<DataProtectionKey>().ToTable("data_protection_keys");

        var secret = modelBuilder.Entity<StoredSecret>();
        secret.ToTable("secrets");
        secret.HasKey(s => s.Name);
        secret.Property(s => s.Name).HasMaxLength(64);

        // Note: configured here and not by an IEntityTypeConfiguration in Features/Audit, which the
        // main database's context would pick up too.
        var checkpoint = modelBuilder.Entity<AuditCheckpoint>();
        checkpoint.ToTable("audit_checkpoints");
        checkpoint.HasKey(c => c.AppId);
        checkpoint.Property(c => c.AppId).HasMaxLength(64);
        checkpoint.Property(c => c.At).HasMaxLength(40);
        checkpoint.Property(c => c.KeyId).HasMaxLength(64);
        checkpoint.Property(c => c.Signature).HasMaxLength(128);
    }
}

public sealed class UserDataKey
{
    public Guid UserId { get; set; }
    public required string AppId { get; set; }
    public required byte[] WrappedKey { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A server-wide secret (e.g. the audit checkpoint signing key), sealed under the wrapping key with its name as associated data.</summary>
public sealed class StoredSecret
{
    public required string Name { get; set; }
    public required byte[] WrappedValue { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class SqliteKeyStoreDbContext(DbContextOptions<SqliteKeyStoreDbContext> options) : KeyStoreDbContext(options);

public sealed class PostgresKeyStoreDbContext(DbContextOptions<PostgresKeyStoreDbContext> options) : KeyStoreDbContext(options);
