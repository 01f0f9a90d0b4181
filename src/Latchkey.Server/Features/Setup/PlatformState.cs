using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Setup;

/// <summary>One row about the deployment, written on the first start.</summary>
public sealed class PlatformState
{
    public int Id { get; set; } = 1;
    /// <summary>Derived from the master key: a start with another key is refused instead of writing unreadable data.</summary>
    public required byte[] MasterKeyFingerprint { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A one-time setup link's token, stored as its hash, to create the first super admin.</summary>
public sealed class SetupToken
{
    public required byte[] TokenHash { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

internal sealed class PlatformStateConfiguration : IEntityTypeConfiguration<PlatformState>
{
    public void Configure(EntityTypeBuilder<PlatformState> state)
    {
        state.ToTable("platform");
        state.HasKey(s => s.Id);
        state.Property(s => s.Id).ValueGeneratedNever();
    }
}

internal sealed class SetupTokenConfiguration : IEntityTypeConfiguration<SetupToken>
{
    public void Configure(EntityTypeBuilder<SetupToken> token)
    {
        token.ToTable("setup_tokens");
        token.HasKey(t => t.TokenHash);
    }
}
