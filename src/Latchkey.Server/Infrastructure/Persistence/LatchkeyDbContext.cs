using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.Invitations;
using Latchkey.Server.Features.Jobs;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Features.Oidc;
using Latchkey.Server.Features.OidcClients;
using Latchkey.Server.Features.Passkeys;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.AppServerKeys;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Setup;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Latchkey.Server.Infrastructure.Persistence;

/// <summary>
/// The main database. Each provider has its own subclass so that each keeps its own generated
/// migrations (Migrations/Sqlite, Migrations/Postgres).
/// </summary>
public abstract class LatchkeyDbContext(DbContextOptions options) : DbContext(options)
{
    /// <summary>
    /// The app this unit of work is scoped to: every tenant-owned query sees only its rows. Set
    /// by <see cref="CurrentApp"/> (app routes), <see cref="Features.Auth.AdminCaller"/> (admin
    /// routes of one app) and the console's app pages. Null sees nothing (fail closed): platform
    /// work that spans apps on purpose (jobs, bootstrap, token checks) says so with
    /// <c>IgnoreQueryFilters()</c>.
    /// </summary>
    public string? TenantAppId { get; set; }

    public DbSet<App> Apps => Set<App>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<User> Users => Set<User>();
    public DbSet<UserEmailPrefix> UserEmailPrefixes => Set<UserEmailPrefix>();
    public DbSet<Session> Sessions => Set<Session>();
    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();
    public DbSet<PlatformState> Platform => Set<PlatformState>();
    public DbSet<SetupToken> SetupTokens => Set<SetupToken>();
    public DbSet<Challenge> Challenges => Set<Challenge>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<AppServerKey> AppServerKeys => Set<AppServerKey>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<MessageTemplate> MessageTemplates => Set<MessageTemplate>();
    public DbSet<AuditRecord> AuditRecords => Set<AuditRecord>();
    public DbSet<AuditHead> AuditHeads => Set<AuditHead>();
    public DbSet<AppRole> AppRoles => Set<AppRole>();
    public DbSet<UserRole> UserRoles => Set<UserRole>();
    public DbSet<JobLease> JobLeases => Set<JobLease>();
    public DbSet<RateLimitCounter> RateLimitCounters => Set<RateLimitCounter>();
    public DbSet<MfaFactor> MfaFactors => Set<MfaFactor>();
    public DbSet<RecoveryCode> RecoveryCodes => Set<RecoveryCode>();
    public DbSet<PasskeyCredential> PasskeyCredentials => Set<PasskeyCredential>();
    public DbSet<OidcClient> OidcClients => Set<OidcClient>();
    public DbSet<OidcServerKey> OidcServerKeys => Set<OidcServerKey>();
    public DbSet<CodeRedemption> CodeRedemptions => Set<CodeRedemption>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(LatchkeyDbContext).Assembly,
            type => type.Namespace?.StartsWith("Latchkey.Server.Features", StringComparison.Ordinal) == true);

        FilterByTenant<SigningKey>(modelBuilder);
        FilterByTenant<User>(modelBuilder);
        FilterByTenant<Session>(modelBuilder);
        FilterByTenant<RefreshToken>(modelBuilder);
        FilterByTenant<Challenge>(modelBuilder);
        FilterByTenant<Invitation>(modelBuilder);
        FilterByTenant<AppServerKey>(modelBuilder);
        FilterByTenant<Message>(modelBuilder);
        FilterByTenant<MessageTemplate>(modelBuilder);
        FilterByTenant<MfaFactor>(modelBuilder);
        FilterByTenant<RecoveryCode>(modelBuilder);
        FilterByTenant<PasskeyCredential>(modelBuilder);
        FilterByTenant<AppRole>(modelBuilder);
        FilterByTenant<UserRole>(modelBuilder);
        FilterByTenant<OidcClient>(modelBuilder);
        FilterByTenant<CodeRedemption>(modelBuilder);
    }

    private void FilterByTenant<T>(ModelBuilder modelBuilder) where T : class, ITenantOwned =>
        modelBuilder.Entity<T>().HasQueryFilter(row => TenantAppId != null && row.AppId == TenantAppId);

    /// <summary>A save that adds audit records links them into their apps' hash chains, in one transaction (<see cref="AuditChain"/>).</summary>
    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default) =>
        AuditChain.HasNewRecords(this)
            ? this.GetService<AuditChain>().SaveAsync(this, acceptAllChangesOnSuccess, cancellationToken)
            : base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);

    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        AuditChain.HasNewRecords(this)
            ? throw new InvalidOperationException("Audit records are linked into their chain by SaveChangesAsync; use it.")
            : base.SaveChanges(acceptAllChangesOnSuccess);

    /// <summary>The plain save, once <see cref="AuditChain"/> has linked the new records.</summary>
    internal Task<int> SaveLinkedChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken ct) =>
        base.SaveChangesAsync(acceptAllChangesOnSuccess, ct);
}

public sealed class SqliteLatchkeyDbContext(DbContextOptions<SqliteLatchkeyDbContext> options) : LatchkeyDbContext(options);

public sealed class PostgresLatchkeyDbContext(DbContextOptions<PostgresLatchkeyDbContext> options) : LatchkeyDbContext(options);
