using System.Runtime.InteropServices;

namespace Latchkey.Server.Infrastructure.Crypto;

/// <summary>
/// Creates a file that others only ever see whole, and only once: the content is written and
/// flushed to disk under a temporary name (mode 0600 from the start), then published with
/// <c>link(2)</c>, which fails when the name exists (the O_EXCL rule, atomic on every local file
/// system and NFS), and the temporary name is removed.
/// </summary>
/// <remarks>
/// Note: <see cref="File.Move(string, string, bool)"/> without overwrite is a check followed by
/// <c>rename(2)</c> on Unix, so two processes can both "win" and the second silently replaces the
/// first one's file after the first has read it. On Windows it is MoveFileEx without replace, which
/// is atomic, so it is used there.
/// </remarks>
internal static class ExclusiveFile
{
    /// <summary>True when this call created <paramref name="path"/>; false when it existed already (its content is left alone).</summary>
    public static bool TryCreate(string path, ReadOnlySpan<byte> content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            return Publish(temporary, path);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static bool Publish(string temporary, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                File.Move(temporary, path, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
        }
        if (Link(temporary, path) == 0)
        {
            return true;
        }
        var error = Marshal.GetLastPInvokeError();
        if (error == EExist)
        {
            return false;
        }
        throw new IOException($"Could not create {path}: {Marshal.GetPInvokeErrorMessage(error)} (errno {error}).");
    }

    private const int EExist = 17;

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string created);
}
