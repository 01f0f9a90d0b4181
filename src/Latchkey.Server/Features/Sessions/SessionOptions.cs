using System.ComponentModel.DataAnnotations;

namespace Latchkey.Server.Features.Sessions;

/// <summary>The session cleanup job, from <c>Latchkey:Sessions:*</c>.</summary>
public sealed class SessionOptions
{
    public const string Section = "Latchkey:Sessions";

    /// <summary>
    /// Days an ended session (revoked, or expired) is kept before the cleanup job deletes it with
    /// its last refresh token; until then that token is refused with the reason the session ended.
    /// </summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>How often the node holding the job's lease looks for rows to delete.</summary>
    [Range(1, 86_400)]
    public int IntervalSeconds { get; set; } = 3600;

    /// <summary>Rows deleted per statement; a run goes on until none is left, however large the backlog.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>False: this node never runs the job (the other nodes on the database still do).</summary>
    public bool JobEnabled { get; set; } = true;

    public TimeSpan Retention => TimeSpan.FromDays(RetentionDays);
    public TimeSpan Interval => TimeSpan.FromSeconds(IntervalSeconds);
}
