// Latchkey.Bench: sign-ups, logins, refreshes and JWKS fetches per second against a real server
// process on SQLite and PostgreSQL, each beside the limit the hardware sets for it. Run it with
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
    var report = new Report(options);

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
