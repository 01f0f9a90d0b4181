using System.Collections.Concurrent;

namespace Latchkey.Server.Features.Challenges;

/// <summary>
/// Wakes requests waiting for a challenge (GET /signup/{id}?wait=N) when it completes on this
/// node; <see cref="PostgresChallengeListener"/> relays completions from other nodes. Waiters
/// also re-read the database now and then, so a lost notification only delays an answer.
/// </summary>
public sealed class ChallengeSignals
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _waiters = new();

    public async Task WaitAsync(Guid challengeId, TimeSpan timeout, CancellationToken ct)
    {
        var waiter = _waiters.GetOrAdd(challengeId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await waiter.Task.WaitAsync(timeout, TimeProvider.System, ct);
        }
        catch (TimeoutException)
        {
        }
        finally
        {
            _waiters.TryRemove(new KeyValuePair<Guid, TaskCompletionSource>(challengeId, waiter));
        }
    }

    public void Notify(Guid challengeId)
    {
        if (_waiters.TryRemove(challengeId, out var waiter))
        {
            waiter.TrySetResult();
        }
    }
}
