using System.ComponentModel.DataAnnotations;

namespace Latchkey.Server.Features.Plans;

/// <summary>The plan-expiry job (MISSION U4), from <c>Latchkey:Plans:*</c>.</summary>
public sealed class PlanOptions
{
    public const string Section = "Latchkey:Plans";

    /// <summary>How often the node holding the job's lease looks for ended plans and due reminders.</summary>
    [Range(1, 86_400)]
    public int IntervalSeconds { get; set; } = 60;

    /// <summary>Users read per query; a run goes on until none is left, however large the backlog.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>False: this node never runs the job (the other nodes on the database still do).</summary>
    public bool JobEnabled { get; set; } = true;

    public TimeSpan Interval => TimeSpan.FromSeconds(IntervalSeconds);
}
