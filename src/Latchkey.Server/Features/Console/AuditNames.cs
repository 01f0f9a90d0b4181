using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// The handles of the people audit records name, opened for an admin who may read users'
/// personal data (<see cref="AdminPermissions.UsersRead"/>): users of the record's own app, and
/// console admins for super admins only. Opening them is itself a read of personal data, so it
/// is audited (<see cref="ReadAction"/>, with how many were named, never who).
/// </summary>
public sealed class AuditNames(LatchkeyDbContext db, UserKeyring keyring, AuditLog audit)
{
    public const string ReadAction = "audit.names.read";
    private const int MaxUsers = 200;

    public async Task<IReadOnlyDictionary<Guid, string>> ResolveAsync(AdminCaller admin, IReadOnlyCollection<AuditRecord> records, CancellationToken ct)
    {
        var names = new Dictionary<Guid, string>();
        if (!admin.Can(AdminPermissions.UsersRead) || records.Count == 0)
        {
            return names;
        }
        var wanted = records.SelectMany(r => new[] { (r.AppId, Id: r.ActorUserId), (r.AppId, Id: r.TargetUserId) })
            .Where(p => p.Id is not null).Select(p => (p.AppId, Id: p.Id!.Value)).Distinct().ToList();
        var ids = wanted.Select(w => w.Id).Distinct().Take(MaxUsers).ToList();
        // Note: records of one app name users of other apps only as actors (console admins); the
        // query spans apps on purpose and keeps only those this admin may see.
        var users = await db.Users.IgnoreQueryFilters().AsNoTracking().Where(u => ids.Contains(u.Id)).ToListAsync(ct);
        var readIn = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            var seenIn = wanted.Where(w => w.Id == user.Id).Select(w => w.AppId).Distinct().ToList();
            var allowed = admin.IsSuperAdmin || (user.AppId != Apps.App.ConsoleId && admin.CanManage(user.AppId));
            if (!allowed || await keyring.FindAsync(user.Id, ct) is not { } key)
            {
                continue;
            }
            names[user.Id] = UserProfiles.View(user, key).Handle;
            foreach (var appId in seenIn)
            {
                readIn[appId] = readIn.GetValueOrDefault(appId) + 1;
            }
        }
        foreach (var (appId, count) in readIn)
        {
            audit.Record(admin, appId, ReadAction, null, $"names={count}");
        }
        if (readIn.Count > 0)
        {
            await db.SaveChangesAsync(ct);
        }
        return names;
    }
}
