using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.RateLimits;

/// <summary>
/// S5 on one-time codes: each challenge allows codeMaxAttempts guesses, and the guesses at one
/// handle also count across all its challenges (and invitations), so asking for fresh codes does
/// not buy an attacker fresh guesses. Sending is limited too, decided by the database.
/// </summary>
public abstract class CodeThrottleTests(ServerFixture fixture) : RateLimitTest(fixture)
{
    private static readonly string[] EmailCodes = ["password", "emailCode"];

    [Fact]
    public async Task Guesses_at_sign_in_codes_add_up_across_challenges()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = EmailCodes });
        var email = NewEmail("coded");
        await SignUpAsync(app, email);

        var (first, firstCode) = await RequestCodeAsync(app, email);
        var wrong = WrongCode(firstCode);
        for (var i = 0; i < 4; i++)
        {
            await AssertProblemAsync(await VerifyAsync(app, first, wrong), HttpStatusCode.BadRequest, "code_invalid");
        }
        await AssertProblemOneOfAsync(await VerifyAsync(app, first, wrong),
            (HttpStatusCode.BadRequest, "code_invalid"), (HttpStatusCode.TooManyRequests, "too_many_attempts"));

        // A fresh code after the resend pause: its first wrong guess is the handle's sixth.
        Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        var (second, secondCode) = await RequestCodeAsync(app, email);
        await AssertProblemAsync(await VerifyAsync(app, second, WrongCode(secondCode)), HttpStatusCode.BadRequest, "code_invalid");
        await AssertRateLimitedAsync(await VerifyAsync(app, second, WrongCode(secondCode)), 2);
        await AssertRateLimitedAsync(await VerifyAsync(app, second, secondCode), 2);

        Factory.Clock.Advance(TimeSpan.FromSeconds(2));
        await OkJsonAsync(await VerifyAsync(app, second, secondCode));
    }

    [Fact]
    public async Task Guesses_at_a_handle_without_a_code_count_like_wrong_codes()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("norecovery");

        for (var i = 0; i < 5; i++)
        {
            await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/password/reset", new { email, code = "123456", newPassword = OtherPassword }),
                HttpStatusCode.BadRequest, "code_invalid");
        }

        await AssertRateLimitedAsync(await PostAsync($"/v1/apps/{app}/password/reset", new { email, code = "123456", newPassword = OtherPassword }), 1);
    }

    [Fact]
    public async Task Guesses_at_invitation_codes_add_up_across_invitations()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", codeMaxAttempts = 3 });
        var admin = await AdminTokenAsync();
        var email = NewEmail("invited");

        for (var round = 0; round < 2; round++)
        {
            var code = await InviteAsync(app, email, admin);
            for (var i = 0; i < 2; i++)
            {
                await AssertProblemAsync(await AcceptAsync(app, email, WrongCode(code)), HttpStatusCode.BadRequest, "code_invalid");
            }
        }
        var last = await InviteAsync(app, email, admin);
        await AssertProblemAsync(await AcceptAsync(app, email, WrongCode(last)), HttpStatusCode.BadRequest, "code_invalid");

        await AssertRateLimitedAsync(await AcceptAsync(app, email, last), 1);
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await OkJsonAsync(await AcceptAsync(app, email, last));
    }

    [Fact]
    public async Task Simultaneous_code_requests_send_one_code()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = EmailCodes });
        var email = NewEmail("hurried");
        await SignUpAsync(app, email);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync($"/v1/apps/{app}/login/code", new { email })));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.Accepted))
        {
            await AssertRateLimitedAsync(refused);
        }
        await LatestMessageAsync(app, email, "loginCode");
        Assert.Single(await OutboxAsync(app, email), m => Str(m, "kind") == "loginCode");
    }

    private async Task<(string ChallengeId, string Code)> RequestCodeAsync(string app, string email)
    {
        var (answer, code) = await SendCodeAsync(app, email, "loginCode", () => PostAsync($"/v1/apps/{app}/login/code", new { email }));
        return (Str(answer, "challengeId"), code);
    }

    private async Task<string> InviteAsync(string app, string email, string admin)
    {
        // The newest invitation is the one that counts; the fake clock stands still unless moved.
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        return (await SendCodeAsync(app, email, "invitation", () => PostAsync($"/v1/apps/{app}/invitations", new { handle = email }, admin))).Code;
    }

    /// <summary>Sends a code and answers it once its message is in the outbox (delivery may run after the answer).</summary>
    private async Task<(System.Text.Json.Nodes.JsonObject Answer, string Code)> SendCodeAsync(string app, string email, string kind, Func<Task<HttpResponseMessage>> send)
    {
        var before = (await OutboxAsync(app, email)).Count;
        var answer = await OkJsonAsync(await send());
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((await OutboxAsync(app, email)).Count == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }
        return (answer, CodeFrom(await LatestMessageAsync(app, email, kind)));
    }

    private Task<HttpResponseMessage> VerifyAsync(string app, string challengeId, string code) =>
        PostAsync($"/v1/apps/{app}/login/code/verify", new { challengeId, code });

    private Task<HttpResponseMessage> AcceptAsync(string app, string email, string code) =>
        PostAsync($"/v1/apps/{app}/invitations/accept", new { handle = email, code, password = GoodPassword });

    private static string WrongCode(string code) => code == "000000" ? "000001" : "000000";
}

[Collection(SqliteCollection.Name)]
public sealed class CodeThrottleTests_Sqlite(SqliteServer server) : CodeThrottleTests(server);

[Collection(PostgresCollection.Name)]
public sealed class CodeThrottleTests_Postgres(PostgresServer server) : CodeThrottleTests(server);
