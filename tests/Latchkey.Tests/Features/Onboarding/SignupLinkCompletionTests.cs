using System.Data.Common;
using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>
/// Issue 11, defect 10: confirming a link completes the challenge and creates (or verifies) its
/// user in one transaction, so the app polling GET /signup/{id} sees "pending" or its tokens,
/// never a completed verification without a user.
/// </summary>
public abstract class SignupLinkCompletionTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    [Fact]
    public async Task A_poll_while_the_user_is_being_created_answers_pending_and_then_the_tokens()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var email = NewEmail("midway");
        var verificationId = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword })), "verificationId");
        var link = Local(LinkFrom(await LatestMessageAsync(app, email, "signupLink")));
        var gate = new UserInsertGate();
        // The person's browser reaches a node whose insert of the new user is held at the gate.
        await using var confirming = Factory.Sibling(services => services.AddInterceptorToLatchkeyDb(gate));
        using var browser = confirming.CreateClient();

        var confirm = browser.PostAsync(link, null, Ct);
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        HttpResponseMessage midway;
        try
        {
            midway = await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0");
        }
        finally
        {
            gate.Release.TrySetResult();
        }

        var text = await midway.Content.ReadAsStringAsync(Ct);
        Assert.True(midway.StatusCode == HttpStatusCode.Accepted, $"While the user was being created the poll answered {(int)midway.StatusCode}: {text}");
        Assert.Equal("pending", Str(JsonNode.Parse(text), "status"));
        await AssertHtmlAsync(await confirm, HttpStatusCode.OK);
        var tokens = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0"));
        Assert.Equal(email, Str(tokens["user"], "email"));
    }

    [Fact]
    public async Task A_link_whose_user_cannot_be_created_stays_unused_and_the_waiter_is_not_told_it_was_collected()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var email = NewEmail("raced");
        var verificationId = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword })), "verificationId");
        var link = Local(LinkFrom(await LatestMessageAsync(app, email, "signupLink")));
        // The address became someone's while the link waited in the mailbox.
        var other = await CreateUserAsync(app, new { email, password = GoodPassword, emailVerified = true });

        await AssertHtmlAsync(await SendAsync(HttpMethod.Post, link, null, null), HttpStatusCode.Conflict);

        var poll = await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0");
        Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
        // Once the address is free again, the same link still works.
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/users/{Str(other, "id")}", await AdminTokenAsync())).StatusCode);
        await AssertHtmlAsync(await SendAsync(HttpMethod.Post, link, null, null), HttpStatusCode.OK);
        Assert.Equal(email, Str((await OkJsonAsync(await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0")))["user"], "email"));
    }
}

/// <summary>Holds the first INSERT into users until the test releases it.</summary>
internal sealed class UserInsertGate : DbCommandInterceptor
{
    private int _armed = 1;

    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await HoldAsync(command);
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await HoldAsync(command);
        return result;
    }

    private async Task HoldAsync(DbCommand command)
    {
        var text = command.CommandText;
        if ((text.Contains("INSERT INTO \"users\"", StringComparison.Ordinal) || text.Contains("INSERT INTO users ", StringComparison.Ordinal))
            && Interlocked.Exchange(ref _armed, 0) == 1)
        {
            Reached.TrySetResult();
            await Release.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}

internal static class GateRegistration
{
    /// <summary>Adds an interceptor to this server's main database context, whichever the provider.</summary>
    public static IServiceCollection AddInterceptorToLatchkeyDb(this IServiceCollection services, IInterceptor interceptor)
    {
        services.ConfigureDbContext<SqliteLatchkeyDbContext>(o => o.AddInterceptors(interceptor));
        services.ConfigureDbContext<PostgresLatchkeyDbContext>(o => o.AddInterceptors(interceptor));
        return services;
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SignupLinkCompletionTests_Sqlite(SqliteServer server) : SignupLinkCompletionTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SignupLinkCompletionTests_Postgres(PostgresServer server) : SignupLinkCompletionTests(server);
