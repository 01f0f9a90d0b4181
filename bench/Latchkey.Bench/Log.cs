using System.Globalization;

namespace Latchkey.Bench;

/// <summary>Progress goes to stderr, so stdout carries only the report.</summary>
public static class Log
{
    public static void Info(string message) =>
        Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {message}");

    public static void Phase(string database, PhaseResult result) =>
        Info(string.Create(CultureInfo.InvariantCulture,
            $"{database}: {result.Name}: {result.OpsPerSecond:0.0} ops/s, p50 {result.P50Ms:0.0} ms, p99 {result.P99Ms:0.0} ms, {result.ErrorCount} errors{Report.ErrorDetail(result)}; CPU {Report.Cpu(result.Cpu)}"));
}
