namespace Latchkey.Server.Features.Jobs;

/// <summary>
/// A background job that every node schedules and one node runs at a time: at start (catching up
/// after downtime) and then every <see cref="Interval"/> of the injected clock, each turn only
/// when this node takes or renews the job's lease. The lease lives two intervals, so the node
/// that holds it keeps it while it runs, and another takes over soon after it stops.
/// </summary>
/// <remarks>
/// Note: the lease saves work, it does not make a job correct. A run that outlasts its lease may
/// overlap with another node's, so each job still decides every change by a conditional update.
/// </remarks>
public abstract class LeasedJob(IServiceScopeFactory scopes, TimeProvider clock, ILogger logger) : BackgroundService
{
    private static readonly TimeSpan ShortestLease = TimeSpan.FromSeconds(30);

    /// <summary>The lease's name (<see cref="JobLease.Name"/>).</summary>
    protected abstract string JobName { get; }

    protected abstract TimeSpan Interval { get; }

    /// <summary>False: this node never runs the job (other nodes still do).</summary>
    protected virtual bool Enabled => true;

    protected virtual TimeSpan LeaseTime => Interval * 2 > ShortestLease ? Interval * 2 : ShortestLease;

    /// <summary>One run of the job, in its own scope.</summary>
    protected abstract Task RunAsync(IServiceProvider services, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            // Each turn leaves the timer's thread: ticks that come while a turn runs then collapse
            // into one, even when the clock jumps (a resumed VM, a test clock moved by months) and
            // the database driver completes synchronously (SQLite), and host start never waits for a turn.
            await Task.Yield();
            await RunIfLeaseHeldAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One turn: takes or renews the lease, and runs the job when this node holds it. True when it ran.</summary>
    public async Task<bool> RunIfLeaseHeldAsync(CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var leases = scope.ServiceProvider.GetRequiredService<JobLeases>();
            if (!await leases.TryAcquireAsync(JobName, LeaseTime, ct))
            {
                return false;
            }
            await RunAsync(scope.ServiceProvider, ct);
            await leases.RecordRunAsync(JobName, ct);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Job {Job} failed; it runs again in {Interval}", JobName, Interval);
            return false;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!Enabled)
        {
            return;
        }
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<JobLeases>().ReleaseAsync(JobName, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The lease then simply expires.
            logger.LogDebug(e, "Could not hand back the lease of job {Job}", JobName);
        }
    }
}
