using Latchkey.Server.Features.Passwords;

namespace Latchkey.Tests.Features.Passwords;

/// <summary>
/// Admission to the hashing queue, which login and sign-up ask first thing so that an overloaded
/// node answers 429 before its database work (issue 12's overload target).
/// </summary>
public sealed class HashingAdmissionTests
{
    [Fact]
    public void A_lane_admits_as_many_requests_as_its_threads_and_queue_hold_and_no_more()
    {
        using var queue = new HashingQueue(threads: 2, maxQueued: 3, maxWait: TimeSpan.FromMinutes(1));

        var admitted = Enumerable.Range(0, 10).Count(_ => queue.TryAdmit(HashLane.SignIn));

        Assert.Equal(5, admitted);
    }

    [Fact]
    public void A_request_that_finished_makes_room_for_the_next()
    {
        using var queue = new HashingQueue(threads: 1, maxQueued: 0, maxWait: TimeSpan.FromMinutes(1));
        Assert.True(queue.TryAdmit(HashLane.SignIn));
        Assert.False(queue.TryAdmit(HashLane.SignIn));

        queue.Leave(HashLane.SignIn);

        Assert.True(queue.TryAdmit(HashLane.SignIn));
    }

    [Fact]
    public void A_flood_of_sign_ups_does_not_keep_sign_ins_out()
    {
        using var queue = new HashingQueue(threads: 2, maxQueued: 2, maxWait: TimeSpan.FromMinutes(1));
        while (queue.TryAdmit(HashLane.SignUp))
        {
        }

        Assert.True(queue.TryAdmit(HashLane.SignIn));
    }

    [Fact]
    public async Task Once_a_hash_took_its_time_a_request_that_would_wait_past_the_bound_is_refused()
    {
        using var queue = new HashingQueue(threads: 1, maxQueued: 100, maxWait: TimeSpan.FromMilliseconds(50));
        // One hash that takes 40 ms teaches the queue what a hash costs; the only thread takes the
        // next one after it noted that time, so once the next is done the queue knows.
        var ct = TestContext.Current.CancellationToken;
        Assert.True(queue.TryRun(HashLane.SignIn, () => { Thread.Sleep(40); return 0; }, ct, out var slow));
        await slow;
        Assert.True(queue.TryRun(HashLane.SignIn, () => 0, ct, out var next));
        await next;

        Assert.True(queue.TryAdmit(HashLane.SignIn));
        // The queue now puts a hash at 32–40 ms, so a second admitted request would wait 64–80 ms
        // for the only thread: past the 50 ms bound.
        Assert.False(queue.TryAdmit(HashLane.SignIn));
    }
}
