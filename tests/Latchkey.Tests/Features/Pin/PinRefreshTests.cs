using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Pin;

/// <summary>S1: a refresh after the app was unloaded or idle needs the PIN; too many wrong ones lock the session.</summary>
public abstract class PinRefreshTests(ServerFixture fixture) : PinTest(fixture)
{
    [Fact]
    public async Task An_unloaded_app_needs_the_pin_and_then_the_same_refresh_token_works()
    {
        var app = await CreateAppAsync(new { pinEnabled = true });
        var tokens = await SignUpAsync(app);
        await SetPinOkAsync(app, Access(tokens), GoodPin);

        Assert.Equal(5, await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(tokens), unloaded: true)));
        // Still locked without the PIN, whatever the client says now.
        await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(tokens)));

        var unlocked = await OkJsonAsync(await RefreshAsync(app, Refresh(tokens), pin: GoodPin));
        Assert.NotEqual(Refresh(tokens), Refresh(unlocked));
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Access(unlocked)));

        // Unlocked: the next refresh needs no PIN, the one after an unload does again.
        var next = await OkJsonAsync(await RefreshAsync(app, Refresh(unlocked)));
        await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(next), unloaded: true));
        await OkJsonAsync(await RefreshAsync(app, Refresh(next), pin: GoodPin, unloaded: true));
    }

    [Fact]
    public async Task A_retry_after_unlocking_answers_the_same_successor()
    {
        var app = await CreateAppAsync(new { pinEnabled = true });
        var tokens = await SignUpAsync(app);
        await SetPinOkAsync(app, Access(tokens), GoodPin);
        await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(tokens), unloaded: true));

        var answer = await OkJsonAsync(await RefreshAsync(app, Refresh(tokens), pin: GoodPin, unloaded: true));
        Factory.Clock.Advance(TimeSpan.FromSeconds(3));
        var retry = await OkJsonAsync(await RefreshAsync(app, Refresh(tokens), pin: GoodPin, unloaded: true));

        Assert.Equal(Refresh(answer), Refresh(retry));
    }

    [Fact]
    public async Task An_app_idle_beyond_its_limit_needs_the_pin()
    {
        var app = await CreateAppAsync(new { pinEnabled = true, idleLimitSeconds = 60 });
        var tokens = await SignUpAsync(app);
        await SetPinOkAsync(app, Access(tokens), GoodPin);

        Factory.Clock.Advance(TimeSpan.FromSeconds(50));
        var active = await OkJsonAsync(await RefreshAsync(app, Refresh(tokens)));
        // Idleness counts from the last refresh, not from the sign-in.
        Factory.Clock.Advance(TimeSpan.FromSeconds(50));
        var stillActive = await OkJsonAsync(await RefreshAsync(app, Refresh(active)));

        Factory.Clock.Advance(TimeSpan.FromSeconds(61));
        await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(stillActive)));
        Assert.Equal(4, await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(stillActive), pin: WrongPin)));
        var unlocked = await OkJsonAsync(await RefreshAsync(app, Refresh(stillActive), pin: GoodPin));
        await OkJsonAsync(await RefreshAsync(app, Refresh(unlocked)));
    }

    [Fact]
    public async Task A_pin_brute_force_locks_the_session_and_the_user_signs_in_again()
    {
        var app = await CreateAppAsync(new { pinEnabled = true, pinMaxAttempts = 3 });
        var email = NewEmail("victim");
        var tokens = await SignUpAsync(app, email);
        await SetPinOkAsync(app, Access(tokens), GoodPin);
        Assert.Equal(3, await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(tokens), unloaded: true)));

        Assert.Equal(2, await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(tokens), pin: "1357")));
        Assert.Equal(1, await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(tokens), pin: "2468")));
        await AssertProblemAsync(await RefreshAsync(app, Refresh(tokens), pin: "3579"), (HttpStatusCode)423, "pin_locked");

        // The session is dead, even for the right PIN and for its access token.
        await AssertProblemAsync(await RefreshAsync(app, Refresh(tokens), pin: GoodPin), (HttpStatusCode)423, "pin_locked");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Access(tokens)), HttpStatusCode.Unauthorized, "session_revoked");
        var actions = await AuditActionsAsync(app);
        Assert.Equal(3, actions.Count(a => a == "security.pin_failed"));
        Assert.Single(actions, a => a == "security.pin_locked");

        // Signing in again works, and the PIN still unlocks the new session.
        var again = await OkJsonAsync(await LoginAsync(app, email));
        await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(again), unloaded: true));
        await OkJsonAsync(await RefreshAsync(app, Refresh(again), pin: GoodPin));
    }

    [Fact]
    public async Task Parallel_guesses_never_get_more_than_the_allowed_attempts()
    {
        var app = await CreateAppAsync(new { pinEnabled = true, pinMaxAttempts = 3 });
        var tokens = await SignUpAsync(app);
        await SetPinOkAsync(app, Access(tokens), GoodPin);
        await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(tokens), unloaded: true));

        string[] guesses = ["1357", "2468", "3579", "4680", "5791", "6802", "7913", "8024"];
        var answers = await Task.WhenAll(guesses.Select(pin => RefreshAsync(app, Refresh(tokens), pin: pin)));

        // 429: the per-user throttle (S5) may also step in once several failures are in.
        var statuses = answers.Select(a => (int)a.StatusCode).ToList();
        Assert.All(statuses, s => Assert.True(s is 401 or 423 or 429, $"Unexpected status {s}"));
        Assert.True(statuses.Count(s => s == 401) <= 2, $"More guesses were checked than allowed: {string.Join(",", statuses)}");
        Assert.Contains(423, statuses);
        await AssertProblemAsync(await RefreshAsync(app, Refresh(tokens), pin: GoodPin), (HttpStatusCode)423, "pin_locked");
        Assert.Equal(3, (await AuditActionsAsync(app)).Count(a => a == "security.pin_failed"));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PinRefreshTests_Sqlite(SqliteServer server) : PinRefreshTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PinRefreshTests_Postgres(PostgresServer server) : PinRefreshTests(server);
