using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Jobs;

/// <summary>
/// Takes, renews and hands back the lease of a background job in the database, so that of many
/// nodes one runs the job at a time. Every decision is one conditional statement: two nodes
/// asking at once can never both hold a lease.
/// </summary>
public sealed class JobLeases(LatchkeyDbContext db, NodeIdentity node, TimeProvider clock)
{
    /// <summary>
    /// Takes the lease of <paramref name="job"/> for <paramref name="ttl"/> when it is free, expired
    /// or already this node's (then it is renewed); false when another node holds it.
    /// </summary>
    public async Task<bool> TryAcquireAsync(string job, TimeSpan ttl, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + ttl;
        var me = node.Id;
        var taken = await db.JobLeases
            .Where(l => l.Name == job && (l.ExpiresAt <= now || l.Holder == me))
            .ExecuteUpdateAsync(l => l.SetProperty(x => x.Holder, me).SetProperty(x => x.ExpiresAt, until), ct);
        if (taken == 1)
        {
            return true;
        }
        if (await ExistsAsync(job, ct))
        {
            return false;
        }
        var lease = db.JobLeases.Add(new JobLease { Name = job, Holder = me, ExpiresAt = until });
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            lease.State = EntityState.Detached;
            // Another node inserted the first lease in the same instant: the primary key decided.
            if (await ExistsAsync(job, ct))
            {
                return false;
            }
            throw;
        }
    }

    /// <summary>Notes that this node finished a run of <paramref name="job"/> now (while it holds the lease).</summary>
    public async Task RecordRunAsync(string job, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var me = node.Id;
        await db.JobLeases.Where(l => l.Name == job && l.Holder == me)
            .ExecuteUpdateAsync(l => l.SetProperty(x => x.LastRunAt, now), ct);
    }

    /// <summary>
    /// Ends this node's lease at once (when it stops), so another node need not wait for it to
    /// expire. Note: the lease is left expired long ago, not at this node's now, so a node whose
    /// clock lags this one's takes it at once too.
    /// </summary>
    public async Task<bool> ReleaseAsync(string job, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var me = node.Id;
        return await db.JobLeases.Where(l => l.Name == job && l.Holder == me && l.ExpiresAt > now)
            .ExecuteUpdateAsync(l => l.SetProperty(x => x.ExpiresAt, Released), ct) == 1;
    }

    private static readonly DateTime Released = DateTime.UnixEpoch;

    /// <summary>The lease as stored (holder, expiry, last run), or null when the job never ran.</summary>
    public Task<JobLease?> FindAsync(string job, CancellationToken ct) =>
        db.JobLeases.AsNoTracking().FirstOrDefaultAsync(l => l.Name == job, ct);

    private Task<bool> ExistsAsync(string job, CancellationToken ct) => db.JobLeases.AsNoTracking().AnyAsync(l => l.Name == job, ct);
}

public static class JobExtensions
{
    /// <summary>The node's identity and the lease service every leased job uses.</summary>
    public static IServiceCollection AddJobLeases(this IServiceCollection services)
    {
        services.AddSingleton<NodeIdentity>();
        services.AddScoped<JobLeases>();
        return services;
    }
}
