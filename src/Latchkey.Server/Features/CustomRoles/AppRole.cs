using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.CustomRoles;

/// <summary>
/// A custom role an app defines (MISSION U1): a name and the permissions it grants. Permissions
/// are the app's own strings (e.g. <c>orders:read</c>), which its backend reads from the access
/// token, or <see cref="AdminPermissions"/> (<c>admin:…</c>), which open parts of the admin API
/// and console for the role's holders in this app.
/// </summary>
public sealed class AppRole : ITenantOwned
{
    public required string AppId { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public List<string> Permissions { get; set; } = [];
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A custom role held by a user of the same app.</summary>
public sealed class UserRole : ITenantOwned
{
    public Guid UserId { get; set; }
    public required string AppId { get; set; }
    public required string RoleName { get; set; }
    public DateTime AssignedAt { get; set; }
}

internal sealed class AppRoleConfiguration : IEntityTypeConfiguration<AppRole>
{
    public void Configure(EntityTypeBuilder<AppRole> role)
    {
        role.ToTable("app_roles");
        role.HasKey(r => new { r.AppId, r.Name });
        role.Property(r => r.AppId).HasMaxLength(64);
        role.Property(r => r.Name).HasMaxLength(64);
        role.Property(r => r.Description).HasMaxLength(500);
        // Note: stored as a JSON array in one column on both providers (a role has a few dozen at most).
        role.PrimitiveCollection(r => r.Permissions);
        role.HasOne<Apps.App>().WithMany().HasForeignKey(r => r.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class UserRoleConfiguration : IEntityTypeConfiguration<UserRole>
{
    public void Configure(EntityTypeBuilder<UserRole> assignment)
    {
        assignment.ToTable("user_roles");
        assignment.HasKey(r => new { r.UserId, r.RoleName });
        assignment.Property(r => r.AppId).HasMaxLength(64);
        assignment.Property(r => r.RoleName).HasMaxLength(64);
        assignment.HasIndex(r => new { r.AppId, r.RoleName });
        assignment.HasOne<User>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
        assignment.HasOne<AppRole>().WithMany().HasForeignKey(r => new { r.AppId, r.RoleName }).OnDelete(DeleteBehavior.Cascade);
    }
}
