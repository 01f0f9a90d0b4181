namespace Latchkey.Bench;

public sealed record DatabaseResults(string Database, string Settings, string HashCost, NodeResults Node, CeilingResults Ceiling);

/// <summary>
/// One database's run: a Latchkey node on a fresh database through every phase, then the node
/// stopped, its database copied, and the ceiling app started on the copy (with the node's JWKS
/// bytes and Argon2id cost) through the same loads. The two halves run minutes apart at most,
/// under whatever else the machine is doing, which the CPU columns and load averages show.
/// </summary>
public static class DatabaseRun
{
    public static async Task<DatabaseResults> RunAsync(BenchDatabase db, BenchOptions options, CancellationToken ct)
    {
        var idle = await Machine.IdleShareAsync(TimeSpan.FromSeconds(1), ct);
        var node = await NodePhases.RunAsync(db, options, ct);

        Log.Info($"{db.Name}: node stopped; copying its database for the ceiling app");
        var scratch = await db.CloneAsync(ct);
        var cost = await db.HashCostAsync(scratch, ct);
        var (memoryKiB, iterations) = cost ?? (PasswordDefaults.MemoryKiB, PasswordDefaults.Iterations);
        var hashCost = $"Argon2id m={memoryKiB} KiB, t={iterations}, p=1" + (cost is null ? " (the server's defaults: no stored hash found)" : " (read from a stored hash)");
        var ceiling = await CeilingPhases.RunAsync(db, scratch, node.JwksDocument, memoryKiB, iterations, options, ct);

        var settings = await db.DescribeAsync(ct) + (idle is { } share ? $"; CPU {share * 100:0}% idle just before this run" : "");
        return new DatabaseResults(db.Name, settings, hashCost, node, ceiling);
    }
}

/// <summary>The server's PasswordOptions defaults (OWASP: 19 MiB, t=2; libsodium always uses p=1), used when no hash is stored.</summary>
public static class PasswordDefaults
{
    public const int MemoryKiB = 19 * 1024;
    public const int Iterations = 2;
}
