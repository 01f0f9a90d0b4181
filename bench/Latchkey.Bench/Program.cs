// Latchkey.Bench: a real Latchkey server process on SQLite and PostgreSQL beside ceilings measured in
// the same run (bench/Latchkey.Ceiling), with issue 12's targets as PASS/MISS rows. Run it with
// bench/run.sh. It exits 0 whenever it ran: targets are reported, not enforced.
using System.Runtime.InteropServices;
using Latchkey.Bench;

var options = BenchOptions.Parse(args);
if (options is null)
{
    return 2;
}

using var cancel = new CancellationTokenSource();
// Ctrl+C or SIGTERM stop the load loops; the finally blocks below still stop the servers.
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
var ct = cancel.Token;

var workRoot = Directory.CreateTempSubdirectory("latchkey-bench-");
try
{
    var report = new Report(options) { LoadAtStart = Machine.LoadAverage() };
    Log.Info($"start: {report.LoadAtStart}");

    foreach (var kind in options.Databases)
    {
        if (kind == "postgres" && options.PostgresAdmin is null)
        {
            report.Note($"PostgreSQL skipped: {BenchOptions.PostgresVariable} is not set (bench/run.sh sets it).");
            Log.Info($"skipping PostgreSQL: {BenchOptions.PostgresVariable} is not set");
            continue;
        }
        var workDir = Path.Combine(workRoot.FullName, kind);
        await using BenchDatabase db = kind == "sqlite"
            ? new SqliteBenchDatabase(workDir)
            : new PostgresBenchDatabase(workDir, options.PostgresAdmin!);
        report.Add(await DatabaseRun.RunAsync(db, options, ct));
    }

    report.LoadAtEnd = Machine.LoadAverage();
    Log.Info($"end: {report.LoadAtEnd}");
    Console.Out.Write(report.ToMarkdown());
    return 0;
}
catch (OperationCanceledException) when (ct.IsCancellationRequested)
{
    Log.Info("interrupted");
    return 130;
}
catch (Exception e)
{
    Log.Info($"failed: {e}");
    return 1;
}
finally
{
    try
    {
        workRoot.Delete(recursive: true);
    }
    catch (IOException e)
    {
        Log.Info($"could not remove {workRoot.FullName}: {e.Message}");
    }
}

void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    cancel.Cancel();
}
