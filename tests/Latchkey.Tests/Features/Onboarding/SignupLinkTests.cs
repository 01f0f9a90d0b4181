using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>
/// A3 sign-up verified by a clickable link: the app waits (or polls) and is signed in as soon as
/// the link is confirmed, on whichever node the person's browser reached.
/// </summary>
public abstract class SignupLinkTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    [Fact]
    public async Task A_registered_app_mails_a_link_whose_page_confirms_the_sign_up_with_a_button()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var email = NewEmail("link");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword, metadata = new { source = "mail" } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var pending = await OkJsonAsync(response);
        Assert.Null(pending["access_token"]);
        Assert.Equal("link", Str(pending, "flow"));
        Assert.Equal(3600, pending["expiresIn"]!.GetValue<int>());
        var verificationId = Str(pending, "verificationId");
        await AssertNoUserAsync(app, email);
        var link = LinkFrom(await LatestMessageAsync(app, email, "signupLink"));
        Assert.StartsWith($"/v1/apps/{app}/signup/confirm?token=", Local(link));
        // The link holds only its own secret: whoever sees it cannot collect the app's tokens.
        Assert.DoesNotContain(verificationId, link);

        // Mail scanners open links too: the page only offers a button, it confirms nothing.
        var page = await AssertHtmlAsync(await GetAsync(Local(link)), HttpStatusCode.OK);
        var form = FormOf(page);
        Assert.Equal("post", form.Method, ignoreCase: true);
        await AssertPendingAsync(app, verificationId);
        await AssertNoUserAsync(app, email);

        // The person presses the button: the browser posts the form.
        var target = string.IsNullOrEmpty(form.Action) ? new Uri(link) : new Uri(new Uri(link), form.Action);
        Assert.Equal(new Uri(link).AbsolutePath, target.AbsolutePath);
        var confirmed = await AssertHtmlAsync(await PostFormAsync(target.PathAndQuery, form.Inputs), HttpStatusCode.OK);
        Assert.True(confirmed.Contains("confirmed", StringComparison.OrdinalIgnoreCase) || confirmed.Contains("verified", StringComparison.OrdinalIgnoreCase),
            $"The page does not say the sign-up is confirmed: {confirmed}");

        var answer = await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var tokens = await OkJsonAsync(answer);
        Assert.Equal(email, Str(tokens["user"], "email"));
        var me = await MeAsync(app, Access(tokens));
        Assert.True(Bool(me, "emailVerified"));
        Assert.Equal("mail", Str(me["metadata"], "source"));
        // Tokens are handed out once only.
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0"), HttpStatusCode.BadRequest, "code_invalid");
        Assert.Equal(UserId(tokens), UserId(await LoginOkAsync(app, email)));
    }

    [Fact]
    public async Task Posting_the_link_itself_with_an_empty_body_confirms_it()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var email = NewEmail("plainpost");
        var verificationId = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword })), "verificationId");
        var link = LinkFrom(await LatestMessageAsync(app, email, "signupLink"));

        await AssertHtmlAsync(await SendAsync(HttpMethod.Post, Local(link), null, null), HttpStatusCode.OK);

        var tokens = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0"));
        Assert.Equal(email, Str(tokens["user"], "email"));
    }

    [Fact]
    public async Task Polling_without_waiting_answers_pending_at_once()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var verificationId = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email = NewEmail("poll"), password = GoodPassword })),
            "verificationId");
        var clock = Stopwatch.StartNew();

        await AssertPendingAsync(app, verificationId);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"wait=0 took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_waiting_app_is_signed_in_as_soon_as_the_link_is_confirmed()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var email = NewEmail("waiter");
        var verificationId = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword })), "verificationId");
        var link = LinkFrom(await LatestMessageAsync(app, email, "signupLink"));

        var tokens = await WaitWhileConfirmingAsync(Client, app, verificationId, () => Client.PostAsync(Local(link), null, Ct));

        Assert.Equal(email, Str(tokens["user"], "email"));
        Assert.True(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0"), HttpStatusCode.BadRequest, "code_invalid");
    }

    [Fact]
    public async Task A_link_confirmed_on_another_node_wakes_the_app_waiting_on_this_one()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var email = NewEmail("twonodes");
        var verificationId = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword })), "verificationId");
        var link = LinkFrom(await LatestMessageAsync(app, email, "signupLink"));
        await using var other = Factory.Sibling(new Dictionary<string, string?>());
        using var otherClient = other.CreateClient();

        var tokens = await WaitWhileConfirmingAsync(Client, app, verificationId, () => otherClient.PostAsync(Local(link), null, Ct));

        Assert.Equal(email, Str(tokens["user"], "email"));
        // The other node knows the tokens were handed out.
        var again = await otherClient.GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0", Ct);
        await AssertProblemAsync(again, HttpStatusCode.BadRequest, "code_invalid");
    }

    [Fact]
    public async Task An_open_app_with_link_verification_signs_in_at_once_and_the_link_verifies_the_email()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "link" });
        var email = NewEmail("openlink");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokens = await OkJsonAsync(response);
        var verification = tokens["verification"]!;
        Assert.Equal("link", Str(verification, "flow"));
        Assert.Equal(3600, verification["expiresIn"]!.GetValue<int>());
        var link = LinkFrom(await LatestMessageAsync(app, email, "verifyLink"));
        Assert.StartsWith($"/v1/apps/{app}/signup/confirm?token=", Local(link));
        Assert.DoesNotContain(Str(verification, "verificationId"), link);
        Assert.False(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));

        await AssertHtmlAsync(await GetAsync(Local(link)), HttpStatusCode.OK);
        Assert.False(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
        await AssertHtmlAsync(await SendAsync(HttpMethod.Post, Local(link), null, null), HttpStatusCode.OK);

        Assert.True(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
    }

    [Fact]
    public async Task An_expired_link_shows_an_error_page_and_the_waiting_app_learns_it_expired()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var email = NewEmail("stale");
        var verificationId = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword })), "verificationId");
        var link = LinkFrom(await LatestMessageAsync(app, email, "signupLink"));

        Factory.Clock.Advance(TimeSpan.FromSeconds(3601));

        await AssertHtmlAsync(await SendAsync(HttpMethod.Post, Local(link), null, null), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0"), HttpStatusCode.BadRequest, "code_expired");
        await AssertNoUserAsync(app, email);
    }

    /// <summary>A token of the right shape that is not the one sent: one character changed.</summary>
    private static string ForgedLike(string token) => (token[0] == 'A' ? "B" : "A") + token[1..];

    [Fact]
    public async Task A_link_with_a_wrong_token_confirms_nothing()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var email = NewEmail("forged");
        var verificationId = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword })), "verificationId");
        var link = LinkFrom(await LatestMessageAsync(app, email, "signupLink"));

        var realToken = new Uri(link).Query.Split("token=")[1];
        var forged = await SendAsync(HttpMethod.Post, $"/v1/apps/{app}/signup/confirm?token={ForgedLike(realToken)}", null, null);

        var status = (int)forged.StatusCode;
        Assert.True(status is >= 400 and < 500, $"A forged token answered {status}");
        Assert.Equal("text/html", forged.Content.Headers.ContentType?.MediaType);
        await AssertPendingAsync(app, verificationId);
        await AssertNoUserAsync(app, email);
        await AssertHtmlAsync(await SendAsync(HttpMethod.Post, Local(link), null, null), HttpStatusCode.OK);
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0"));
    }

    [Fact]
    public async Task A_link_of_one_app_does_not_confirm_through_another()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var other = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var email = NewEmail("wrongapp");
        var verificationId = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword })), "verificationId");
        var link = Local(LinkFrom(await LatestMessageAsync(app, email, "signupLink")));

        var elsewhere = await SendAsync(HttpMethod.Post, link.Replace($"/v1/apps/{app}/", $"/v1/apps/{other}/"), null, null);

        Assert.True((int)elsewhere.StatusCode is >= 400 and < 500, $"Another app's link answered {(int)elsewhere.StatusCode}");
        await AssertClientErrorAsync(await GetAsync($"/v1/apps/{other}/signup/{verificationId}?wait=0"));
        await AssertPendingAsync(app, verificationId);
        await AssertNoUserAsync(other, email);
    }

    private async Task AssertPendingAsync(string app, string verificationId)
    {
        var response = await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202 pending, got {(int)response.StatusCode}: {text}");
        Assert.Equal("pending", Str(JsonNode.Parse(text), "status"));
    }

    /// <summary>
    /// Starts a long poll (wait=20) on <paramref name="waiter"/>, checks it is really waiting, runs
    /// <paramref name="confirm"/>, and answers the tokens the waiting request got. The waiting
    /// request must answer within 10 s of real time after the confirmation.
    /// </summary>
    private async Task<JsonObject> WaitWhileConfirmingAsync(HttpClient waiter, string app, string verificationId, Func<Task<HttpResponseMessage>> confirm)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = waiter.GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=20", cancel.Token);
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(700), Ct);
            if (waiting.IsCompleted)
            {
                var early = await waiting;
                Assert.Fail($"wait=20 answered {(int)early.StatusCode} before the link was confirmed: {await early.Content.ReadAsStringAsync(Ct)}");
            }

            await AssertHtmlAsync(await confirm(), HttpStatusCode.OK);

            var first = await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(10), Ct));
            Assert.True(first == waiting, "The waiting request did not answer within 10 s of the link being confirmed.");
            var answer = await waiting;
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            return await OkJsonAsync(answer);
        }
        finally
        {
            await cancel.CancelAsync();
            try
            {
                await waiting;
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
            {
                // The long poll was cut short on purpose.
            }
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SignupLinkTests_Sqlite(SqliteServer server) : SignupLinkTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SignupLinkTests_Postgres(PostgresServer server) : SignupLinkTests(server);
