using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// Notes the new audit heads of a transaction for their checkpoints once it has committed: never
/// before, or a rolled-back append would leave a checkpoint ahead of the chain (a false "truncated").
/// </summary>
internal sealed class AuditCommitInterceptor : DbTransactionInterceptor
{
    public static readonly AuditCommitInterceptor Instance = new();

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        Ended(eventData, committed: true);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Ended(eventData, committed: true);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) =>
        Ended(eventData, committed: false);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Ended(eventData, committed: false);
        return Task.CompletedTask;
    }

    private static void Ended(TransactionEndEventData eventData, bool committed)
    {
        if (eventData.Context is { } db)
        {
            AuditChain.OnTransactionEnded(db, eventData.TransactionId, committed);
        }
    }
}
