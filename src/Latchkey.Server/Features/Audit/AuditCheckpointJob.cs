using Latchkey.Server.Features.Jobs;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// On the node that holds the <c>audit-checkpoints</c> lease, at start and then every
/// <see cref="AuditOptions.CheckpointIntervalSeconds"/>: checkpoints every chain head that is
/// ahead of its checkpoint, e.g. one whose node stopped before it wrote it. Two queries a run.
/// </summary>
public sealed class AuditCheckpointJob(IServiceScopeFactory scopes, AuditCheckpoints checkpoints, IOptions<AuditOptions> options, TimeProvider clock,
    ILogger<AuditCheckpointJob> logger) : LeasedJob(scopes, clock, logger)
{
    public const string Name = "audit-checkpoints";

    protected override string JobName => Name;
    protected override TimeSpan Interval => options.Value.CheckpointInterval;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var heads = await services.GetRequiredService<LatchkeyDbContext>().AuditHeads.AsNoTracking().Where(h => h.Seq > 0).ToListAsync(ct);
        var stored = await checkpoints.StoredSeqsAsync(ct);
        foreach (var head in heads.Where(h => !stored.TryGetValue(h.AppId, out var seq) || seq < h.Seq))
        {
            checkpoints.Note(head.AppId, head.Seq, head.Hash);
        }
        await checkpoints.FlushAsync(null, ct);
    }
}
