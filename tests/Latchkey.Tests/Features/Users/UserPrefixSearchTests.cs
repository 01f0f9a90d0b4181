using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests.Features.Users;

/// <summary>An admin finds users by the start of their email through the keyed prefix index; other searches stay exact.</summary>
public abstract class UserPrefixSearchTests(ServerFixture fixture) : ApiTest(fixture)
{
    private async Task<List<string>> FoundEmailsAsync(string admin, string app, string q, bool prefix = true)
    {
        var found = await OkJsonArrayAsync(await GetAsync(
            $"/v1/admin/apps/{app}/users?q={Uri.EscapeDataString(q)}" + (prefix ? "&prefix=true" : ""), admin));
        return found.Select(u => Str(u, "email")).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task The_start_of_an_email_finds_every_user_whose_email_begins_with_it_whatever_its_case()
    {
        var admin = await AdminTokenAsync();
        var app = await CreateAppAsync();
        var stem = $"mar{Guid.NewGuid():N}"[..10];
        var first = $"{stem}ia@example.com";
        var second = $"{stem}ek@example.org";
        await SignUpAsync(app, first);
        await SignUpAsync(app, second);
        await SignUpAsync(app, $"x{stem}@example.com");

        Assert.Equal([second, first], await FoundEmailsAsync(admin, app, stem.ToUpperInvariant()));
        Assert.Equal([first], await FoundEmailsAsync(admin, app, $"{stem}i"));
        Assert.Equal([first], await FoundEmailsAsync(admin, app, first));
        // Past the index's 16 characters the opened emails decide.
        Assert.Equal([first], await FoundEmailsAsync(admin, app, $"{stem}ia@example.c"));
        Assert.Empty(await FoundEmailsAsync(admin, app, $"{stem}ia@example.o"));
    }

    [Fact]
    public async Task Without_prefix_or_with_fewer_than_three_characters_the_search_is_exact()
    {
        var admin = await AdminTokenAsync();
        var app = await CreateAppAsync();
        var email = $"ab{Guid.NewGuid():N}@example.com";
        await SignUpAsync(app, email);

        Assert.Empty(await FoundEmailsAsync(admin, app, email[..8], prefix: false));
        Assert.Empty(await FoundEmailsAsync(admin, app, "ab"));
        Assert.Equal([email], await FoundEmailsAsync(admin, app, email, prefix: false));
        Assert.Equal([email], await FoundEmailsAsync(admin, app, email[..8]));
    }

    [Fact]
    public async Task Another_apps_users_are_not_found_by_prefix()
    {
        var admin = await AdminTokenAsync();
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var email = $"el{Guid.NewGuid():N}@example.com";
        await SignUpAsync(other, email);

        Assert.Empty(await FoundEmailsAsync(admin, app, email[..8]));
        Assert.Equal([email], await FoundEmailsAsync(admin, other, email[..8]));
    }

    [Fact]
    public async Task A_changed_email_is_found_by_its_new_start_only_and_an_erased_user_not_at_all()
    {
        var admin = await AdminTokenAsync();
        var app = await CreateAppAsync();
        var old = $"ol{Guid.NewGuid():N}@example.com";
        var renamed = $"nw{Guid.NewGuid():N}@example.com";
        var userId = Str((await SignUpAsync(app, old))["user"], "id");

        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{userId}", new { email = renamed }, admin));

        Assert.Empty(await FoundEmailsAsync(admin, app, old[..8]));
        Assert.Equal([renamed], await FoundEmailsAsync(admin, app, renamed[..8]));

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/users/{userId}", admin)).StatusCode);

        Assert.Empty(await FoundEmailsAsync(admin, app, renamed[..8]));
    }

    [Fact]
    public async Task Users_stored_before_the_index_are_indexed_when_a_node_starts()
    {
        var admin = await AdminTokenAsync();
        var app = await CreateAppAsync();
        var email = $"bf{Guid.NewGuid():N}@example.com";
        var id = Guid.Parse(Str((await SignUpAsync(app, email))["user"], "id"));
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>().UserEmailPrefixes
                .Where(p => p.UserId == id).ExecuteDeleteAsync(TestContext.Current.CancellationToken);
        }
        Assert.Empty(await FoundEmailsAsync(admin, app, email[..8]));

        await using var restarted = Factory.Sibling(new Dictionary<string, string?>());
        using var client = restarted.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/admin/apps/{app}/users?q={Uri.EscapeDataString(email[..8])}&prefix=true");
        request.Headers.Authorization = new("Bearer", admin);
        var found = await OkJsonArrayAsync(await client.SendAsync(request, TestContext.Current.CancellationToken));

        Assert.Equal(email, Str(Assert.Single(found)!, "email"));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class UserPrefixSearchTests_Sqlite(SqliteServer server) : UserPrefixSearchTests(server);

[Collection(PostgresCollection.Name)]
public sealed class UserPrefixSearchTests_Postgres(PostgresServer server) : UserPrefixSearchTests(server);
