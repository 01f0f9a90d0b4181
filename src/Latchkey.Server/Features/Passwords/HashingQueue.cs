using System.Diagnostics;

namespace Latchkey.Server.Features.Passwords;

/// <summary>Which queue a hash waits in.</summary>
public enum HashLane
{
    /// <summary>Checking a secret someone presents: password sign-ins, PINs, and re-hashing what they proved.</summary>
    SignIn,
    /// <summary>Hashing a new secret: sign-ups, invitations, upgrades, resets, admin changes.</summary>
    SignUp,
}

/// <summary>
/// Argon2id runs on a few dedicated threads (not the thread pool, which must stay free to answer
/// every other request), fed by one bounded queue per <see cref="HashLane"/> and served in turn: a
/// flood of sign-ups fills only its own lane and gets at most every other free thread while
/// sign-ins wait, so it cannot starve them. A hash that would wait longer than the bound (the
/// hashes ahead of it over the threads, at the measured time per hash), or find its lane full,
/// is refused at once (the caller answers 429) instead of letting latency grow. The threads run
/// below normal priority, so while they saturate the cores, token refreshes, JWKS and the 429s
/// themselves still get the CPU they need.
/// (This bounds one node's CPU; it holds no security state.)
/// </summary>
internal sealed class HashingQueue : IDisposable
{
    // Note: a plain monitor, because System.Threading.Lock has no Wait/Pulse.
    private readonly object _gate = new();
    private readonly Queue<Work>[] _lanes = [new(), new()];
    /// <summary>Requests of each lane admitted (<see cref="TryAdmit"/>) and not finished yet.</summary>
    private readonly int[] _admitted = new int[2];
    private readonly int _threads;
    private readonly int _maxQueued;
    private readonly double _maxWaitMilliseconds;
    /// <summary>The time one hash takes, a moving average of the last few (0 until one ran).</summary>
    private double _hashMilliseconds;
    private int _idle;
    private int _nextLane;
    private bool _stopped;

    public HashingQueue(int threads, int maxQueued, TimeSpan maxWait)
    {
        _threads = threads;
        _maxQueued = maxQueued;
        _maxWaitMilliseconds = maxWait.TotalMilliseconds;
        for (var i = 0; i < threads; i++)
        {
            new Thread(Serve) { IsBackground = true, Name = $"latchkey-hashing-{i}" }.Start();
        }
    }

    /// <summary>
    /// Admits a request that will hash in <paramref name="lane"/>, before it does any other work:
    /// false when the requests of its lane already admitted would keep it waiting past the bound
    /// (its lane gets every thread when the other lane has nobody admitted, half of them
    /// otherwise), or when as many are admitted as the threads and the queue hold. A refused request
    /// answers 429 at once, before its database work, instead of queueing behind the hashes ahead
    /// of it. An admitted one calls <see cref="Leave"/> when it is done.
    /// </summary>
    public bool TryAdmit(HashLane lane)
    {
        lock (_gate)
        {
            var mine = _admitted[(int)lane];
            var share = _admitted[1 - (int)lane] == 0 ? _threads : Math.Max(1.0, _threads / 2.0);
            if (mine >= _threads
                && (mine >= _threads + _maxQueued || (mine + 1.0) / share * _hashMilliseconds > _maxWaitMilliseconds))
            {
                return false;
            }
            _admitted[(int)lane] = mine + 1;
            return true;
        }
    }

    /// <summary>An admitted request of <paramref name="lane"/> is done (answered, hashed or not).</summary>
    public void Leave(HashLane lane)
    {
        lock (_gate)
        {
            _admitted[(int)lane]--;
        }
    }

    /// <summary>Runs <paramref name="work"/> on a hashing thread; false when its lane is full (nothing was queued).</summary>
    public bool TryRun<T>(HashLane lane, Func<T> work, CancellationToken ct, out Task<T> result)
    {
        var item = new Work<T>(work, ct);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            var queue = _lanes[(int)lane];
            // A lane holds MaxQueued waiting hashes, besides those an idle thread takes at once.
            var waiting = _lanes[0].Count + _lanes[1].Count;
            var mustWait = _idle <= waiting;
            if (mustWait && (queue.Count >= _maxQueued || (waiting + 1.0) / _threads * _hashMilliseconds > _maxWaitMilliseconds))
            {
                result = Task.FromResult(default(T)!);
                return false;
            }
            queue.Enqueue(item);
            Monitor.Pulse(_gate);
        }
        result = item.Task;
        return true;
    }

    private void Serve()
    {
        LowerPriority.OfCurrentThread();
        while (true)
        {
            Work item;
            lock (_gate)
            {
                _idle++;
                while (!_stopped && _lanes[0].Count == 0 && _lanes[1].Count == 0)
                {
                    Monitor.Wait(_gate);
                }
                _idle--;
                if (_stopped)
                {
                    return;
                }
                // Lanes take turns: the one not served last goes first, if it has work.
                var lane = _lanes[_nextLane].Count > 0 ? _nextLane : 1 - _nextLane;
                item = _lanes[lane].Dequeue();
                _nextLane = 1 - lane;
            }
            var started = Stopwatch.GetTimestamp();
            if (!item.Run())
            {
                // A request that gave up while waiting: nothing was hashed, nothing to measure.
                continue;
            }
            var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            lock (_gate)
            {
                _hashMilliseconds = _hashMilliseconds == 0 ? took : 0.8 * _hashMilliseconds + 0.2 * took;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            foreach (var lane in _lanes)
            {
                while (lane.TryDequeue(out var item))
                {
                    item.Abandon();
                }
            }
            Monitor.PulseAll(_gate);
        }
    }

    private abstract class Work
    {
        /// <summary>Runs the work; false when its request had already given up.</summary>
        public abstract bool Run();
        public abstract void Abandon();
    }

    private sealed class Work<T> : Work
    {
        private readonly Func<T> _work;
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _cancel;

        public Work(Func<T> work, CancellationToken ct)
        {
            _work = work;
            // A request that gave up while waiting is answered at once; its thread skips it later.
            _cancel = ct.Register(() => _done.TrySetCanceled(ct));
        }

        public Task<T> Task => _done.Task;

        public override bool Run()
        {
            _cancel.Dispose();
            if (_done.Task.IsCompleted)
            {
                return false;
            }
            try
            {
                _done.TrySetResult(_work());
            }
            catch (Exception e)
            {
                _done.TrySetException(e);
            }
            return true;
        }

        public override void Abandon()
        {
            _cancel.Dispose();
            _done.TrySetException(new ObjectDisposedException(nameof(HashingQueue)));
        }
    }
}
