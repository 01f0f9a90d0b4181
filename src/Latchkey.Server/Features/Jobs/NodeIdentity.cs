namespace Latchkey.Server.Features.Jobs;

/// <summary>
/// This process among the nodes sharing a database: the name it holds job leases under. Random
/// per process, so a restarted node never mistakes its predecessor's lease for its own.
/// </summary>
public sealed class NodeIdentity
{
    public NodeIdentity()
    {
        var id = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        // The random part must survive: cut the machine name, not the end.
        Id = id.Length <= MaxLength ? id : id[^MaxLength..];
    }

    /// <summary>The length of <see cref="JobLease.Holder"/>.</summary>
    public const int MaxLength = 128;

    public string Id { get; }
}
