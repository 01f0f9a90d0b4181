namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// Wakes this node's delivery worker at once (after a message was saved) instead of at its next
/// poll. Other nodes find the message at their own poll, at most one interval later.
/// </summary>
public sealed class DeliverySignal
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the worker will look once, which covers both.
        }
    }

    /// <summary>Waits for a wake-up or, at the latest, for <paramref name="interval"/> (real time).</summary>
    internal Task WaitAsync(TimeSpan interval, CancellationToken ct) => _wake.WaitAsync(interval, ct);
}
