using Latchkey.Server.Features.Jobs;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Plans;

/// <summary>
/// Runs <see cref="PlanExpiry.RunOnceAsync"/> on the node that holds the <c>plans</c> lease: when
/// the node starts and then every <see cref="PlanOptions.IntervalSeconds"/> of the injected clock.
/// </summary>
public sealed class PlanJob(IServiceScopeFactory scopes, IOptions<PlanOptions> options, TimeProvider clock, ILogger<PlanJob> logger)
    : LeasedJob(scopes, clock, logger)
{
    public const string Name = "plans";

    protected override string JobName => Name;
    protected override TimeSpan Interval => options.Value.Interval;
    protected override bool Enabled => options.Value.JobEnabled;

    protected override Task RunAsync(IServiceProvider services, CancellationToken ct) =>
        services.GetRequiredService<PlanExpiry>().RunOnceAsync(ct);
}
