using Latchkey.Server.Infrastructure.Persistence;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// At start, links audit records written before the chain existed into their apps' chains
/// (<see cref="AuditChain.LinkUnchainedAsync"/>). A failure is logged, not fatal: the records stay
/// readable, verify reports them as <c>unchained</c>, and the next start tries again.
/// </summary>
internal sealed class AuditBackfill(IServiceScopeFactory scopes, AuditChain chain, ILogger<AuditBackfill> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await chain.LinkUnchainedAsync(scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>(), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not link the audit records written before the chain; verify reports them as unchained");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
