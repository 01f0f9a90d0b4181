using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// One row of the keyed prefix index that lets admins find users by the start of their email
/// without the email being stored in clear: the blind index (<see cref="ServerKeys.Blind"/>, kind
/// <c>email-prefix</c>, per app) of the email's first <see cref="Length"/> characters, lower-cased.
/// Without the master key the rows tell nothing but which users of an app share a prefix.
/// </summary>
public sealed class UserEmailPrefix
{
    public Guid UserId { get; set; }
    public int Length { get; set; }
    public required string AppId { get; set; }
    public required byte[] Hash { get; set; }
}

/// <summary>The prefixes an email is indexed under, and a typed prefix's search key.</summary>
public static class EmailPrefixes
{
    /// <summary>Shorter prefixes would match too many users to be worth a row each.</summary>
    public const int MinLength = 3;
    /// <summary>Longer searches match on their first <see cref="MaxLength"/> characters, then on the opened emails.</summary>
    public const int MaxLength = 16;

    /// <summary>The search form of an email or a typed start of one: trimmed, NFKC (as emails are stored), lower-case.</summary>
    public static string Fold(string text) => text.Trim().Normalize(System.Text.NormalizationForm.FormKC).ToLowerInvariant();

    /// <summary>The blind index of a folded prefix, or null when it is too short to search by.</summary>
    public static byte[]? Key(ServerKeys keys, string appId, string typed)
    {
        var folded = Fold(typed);
        if (folded.Length < MinLength)
        {
            return null;
        }
        var length = Math.Min(folded.Length, MaxLength);
        if (char.IsHighSurrogate(folded[length - 1]))
        {
            length--;
        }
        return keys.Blind(appId, "email-prefix", folded[..length]);
    }

    /// <summary>
    /// Brings the tracked prefix rows of <paramref name="user"/> in line with <paramref name="email"/>
    /// (null: none). The caller loads the user's existing rows first when they may have some
    /// (<see cref="UserAccounts.ChangeEmailAsync"/>), so the change saves in one transaction.
    /// </summary>
    public static void Sync(LatchkeyDbContext db, ServerKeys keys, User user, string? email)
    {
        var wanted = new Dictionary<int, byte[]>();
        if (email is not null)
        {
            var folded = Fold(email);
            for (var length = MinLength; length <= Math.Min(MaxLength, folded.Length); length++)
            {
                // Note: a prefix never ends inside a surrogate pair (the search key is cut the same way).
                if (!char.IsHighSurrogate(folded[length - 1]))
                {
                    wanted[length] = keys.Blind(user.AppId, "email-prefix", folded[..length]);
                }
            }
        }
        var existing = db.UserEmailPrefixes.Local.Where(p => p.UserId == user.Id).ToList();
        foreach (var row in existing)
        {
            if (wanted.Remove(row.Length, out var hash))
            {
                row.Hash = hash;
            }
            else
            {
                db.UserEmailPrefixes.Remove(row);
            }
        }
        foreach (var (length, hash) in wanted)
        {
            db.UserEmailPrefixes.Add(new UserEmailPrefix { UserId = user.Id, Length = length, AppId = user.AppId, Hash = hash });
        }
    }
}

internal sealed class UserEmailPrefixConfiguration : IEntityTypeConfiguration<UserEmailPrefix>
{
    public void Configure(EntityTypeBuilder<UserEmailPrefix> prefix)
    {
        prefix.ToTable("user_email_prefixes");
        prefix.HasKey(p => new { p.UserId, p.Length });
        prefix.Property(p => p.AppId).HasMaxLength(64);
        prefix.HasIndex(p => new { p.AppId, p.Hash });
        // Erasing a user (or their app) deletes their prefix rows with them.
        prefix.HasOne<User>().WithMany().HasForeignKey(p => p.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
