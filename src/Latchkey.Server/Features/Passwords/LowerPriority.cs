using System.Runtime.InteropServices;

namespace Latchkey.Server.Features.Passwords;

/// <summary>
/// Lowers the scheduling priority of the calling thread, for CPU-bound work that must yield to
/// request handling. .NET's <see cref="Thread.Priority"/> is not applied on Linux, so there the
/// thread's nice value is raised (setpriority on its thread id, which needs no privilege).
/// </summary>
internal static class LowerPriority
{
    /// <summary>Nice 10: under full load the kernel gives a normal thread about ten times its share.</summary>
    private const int Nice = 10;
    private const int PrioProcess = 0;

    public static void OfCurrentThread()
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                _ = SetPriority(PrioProcess, GetThreadId(), Nice);
            }
            else
            {
                Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
            }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or PlatformNotSupportedException)
        {
            // An unusual libc: the threads keep normal priority, as before.
        }
    }

    // Note: DllImport, not LibraryImport, which would need unsafe code for two int calls.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "setpriority")]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetThreadId();
#pragma warning restore SYSLIB1054
}
