using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Geralt;

namespace Latchkey.Ceiling;

/// <summary>
/// POST /hash: read a login-shaped body and compute one Argon2id hash of its password at the
/// server's cost, on dedicated threads (one per core), so hashing never holds a thread-pool
/// thread and HTTP keeps its own threads. A login or sign-up cannot cost less than this.
/// </summary>
public sealed class DedicatedHasher : IDisposable
{
    private static readonly byte[] Answer = """{"hashed":true}"""u8.ToArray();

    private readonly BlockingCollection<(byte[] Password, TaskCompletionSource Done)> _queue = new();
    private readonly int _memoryKiB;
    private readonly int _iterations;

    public DedicatedHasher(int memoryKiB, int iterations, int threads)
    {
        _memoryKiB = memoryKiB;
        _iterations = iterations;
        for (var i = 0; i < threads; i++)
        {
            new Thread(HashLoop) { IsBackground = true, Name = $"argon2id-{i}" }.Start();
        }
    }

    public async Task HandleAsync(HttpContext http)
    {
        using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        var password = body.RootElement.TryGetProperty("password", out var p) ? p.GetString() : null;
        if (password is null)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((Encoding.UTF8.GetBytes(password), done));
        await done.Task;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(Answer, http.RequestAborted);
    }

    private void HashLoop()
    {
        var hash = new char[Argon2id.HashSize];
        foreach (var (password, done) in _queue.GetConsumingEnumerable())
        {
            try
            {
                Argon2id.ComputeHash(hash, password, _iterations, _memoryKiB * 1024);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
    }

    public void Dispose() => _queue.CompleteAdding();
}
