namespace Latchkey.Server.Features.Audit;

/// <summary>
/// Writes the heads this node's commits noted (<see cref="AuditCheckpoints.Note"/>) off the
/// request path: woken by a note, it writes the newest head of each app, so heads noted while a
/// write is under way are written together on the next turn. On a graceful stop it writes what
/// is left; after a crash <see cref="AuditCheckpointJob"/> catches up.
/// </summary>
internal sealed class AuditCheckpointWriter(AuditCheckpoints checkpoints, ILogger<AuditCheckpointWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await checkpoints.Noted.WaitToReadAsync(stoppingToken))
            {
                checkpoints.Noted.TryRead(out _);
                await checkpoints.FlushAsync(null, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await checkpoints.FlushAsync(null, cancellationToken);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not write the last audit checkpoints before stopping; the checkpoint job writes them");
        }
    }
}
