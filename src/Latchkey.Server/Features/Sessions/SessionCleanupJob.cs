using Latchkey.Server.Features.Jobs;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Sessions;

/// <summary>Runs <see cref="SessionCleanup"/> on the node that holds the <c>sessions</c> lease, every <see cref="SessionOptions.IntervalSeconds"/>.</summary>
public sealed class SessionCleanupJob(IServiceScopeFactory scopes, IOptions<SessionOptions> options, TimeProvider clock, ILogger<SessionCleanupJob> logger)
    : LeasedJob(scopes, clock, logger)
{
    public const string Name = "sessions";

    protected override string JobName => Name;
    protected override TimeSpan Interval => options.Value.Interval;
    protected override bool Enabled => options.Value.JobEnabled;

    protected override Task RunAsync(IServiceProvider services, CancellationToken ct) =>
        services.GetRequiredService<SessionCleanup>().RunOnceAsync(ct);
}
