using System.Net;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>
/// Look-alike emails (issue 11, defect 8): an address that renders like another user's is taken,
/// invisible characters are refused, and addresses that differ in ASCII stay different people.
/// </summary>
public abstract class LookAlikeEmailTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    /// <summary>A fresh local part of letters a reader knows ("legit" + random ASCII letters).</summary>
    private static string Legit() => "legit" + new string(Guid.NewGuid().ToString("N").Where(char.IsAsciiLetter).Take(8).ToArray());

    [Theory]
    [InlineData("le\u200bgit")]   // ZERO WIDTH SPACE
    [InlineData("le\u00adgit")]   // SOFT HYPHEN
    [InlineData("le\u2060git")]   // WORD JOINER
    [InlineData("le\u200dgit")]   // ZERO WIDTH JOINER
    [InlineData("\u202elegit")]   // RIGHT-TO-LEFT OVERRIDE
    [InlineData("legit\ufe0f")]   // VARIATION SELECTOR-16
    public async Task An_email_with_an_invisible_character_is_refused(string local)
    {
        var app = await CreateAppAsync();

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email = $"{local}@example.com", password = GoodPassword });

        AssertErrorFor(await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request"), "email");
    }

    [Theory]
    [InlineData("cyrillic-e")]     // legit… with a Cyrillic е
    [InlineData("cyrillic-domain")] // …@exаmple.com with a Cyrillic а (stored as punycode)
    [InlineData("cyrillic-i")]     // the i of legit as a Cyrillic і
    [InlineData("roman-fifty")]    // SMALL ROMAN NUMERAL FIFTY: NFKC makes it the same address
    public async Task Signing_up_with_a_look_alike_of_an_existing_email_is_refused_as_taken(string kind)
    {
        var app = await CreateAppAsync();
        var local = Legit();
        var real = $"{local}@example.com";
        await SignUpAsync(app, real);
        var lookAlike = kind switch
        {
            "cyrillic-e" => $"l\u0435{local[2..]}@example.com",
            "cyrillic-domain" => $"{local}@ex\u0430mple.com",
            "cyrillic-i" => $"leg\u0456{local[4..]}@example.com",
            _ => $"\u217c{local[1..]}@example.com",
        };

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email = lookAlike, password = GoodPassword });

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "email_taken");
        Assert.Single(await FindUsersAsync(app, real));
    }

    [Fact]
    public async Task The_real_address_is_taken_once_a_look_alike_signed_up_first()
    {
        var app = await CreateAppAsync();
        var real = Legit() + "@example.com";
        await SignUpAsync(app, "l\u0435" + real[2..]);

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/signup", new { email = real, password = GoodPassword }), HttpStatusCode.Conflict, "email_taken");
    }

    [Theory]
    [InlineData("a.b{0}", "ab{0}")]
    [InlineData("rn{0}", "m{0}")]
    [InlineData("l{0}", "1{0}")]
    [InlineData("o{0}", "0{0}")]
    [InlineData("vv{0}", "w{0}")]
    public async Task Addresses_that_differ_only_in_ascii_are_different_people(string first, string second)
    {
        var app = await CreateAppAsync();
        var tail = Legit();
        var a = await SignUpAsync(app, string.Format(first, tail) + "@example.com");

        var b = await SignUpAsync(app, string.Format(second, tail) + "@example.com");

        Assert.NotEqual(UserId(a), UserId(b));
    }

    [Fact]
    public async Task An_accented_address_is_not_a_look_alike_of_the_plain_one()
    {
        var app = await CreateAppAsync();
        var tail = Legit();
        var plain = await SignUpAsync(app, $"jose{tail}@example.com");

        var accented = await SignUpAsync(app, $"jos\u00e9{tail}@example.com");

        Assert.NotEqual(UserId(plain), UserId(accented));
        Assert.Equal($"jos\u00e9{tail}@example.com", Str(accented["user"], "email"));
    }

    [Fact]
    public async Task A_look_alike_in_another_app_is_no_one_else()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var real = Legit() + "@example.com";
        await SignUpAsync(app, real);

        await SignUpAsync(other, "l\u0435" + real[2..]);
    }

    [Fact]
    public async Task Invitations_admins_and_email_changes_refuse_a_look_alike_as_taken()
    {
        var app = await CreateAppAsync(new { invitationsEnabled = true });
        var real = Legit() + "@example.com";
        var lookAlike = "l\u0435" + real[2..];
        await SignUpAsync(app, real);
        var admin = await AdminTokenAsync();

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = lookAlike }, admin), HttpStatusCode.Conflict, "email_taken");
        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/users", new { email = lookAlike, password = GoodPassword }, admin),
            HttpStatusCode.Conflict, "email_taken");
        var someone = await SignUpAsync(app);
        await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{UserId(someone)}", new { email = lookAlike }, admin),
            HttpStatusCode.Conflict, "email_taken");
        var guestApp = await CreateAppAsync(new { anonymousEnabled = true });
        await SignUpAsync(guestApp, real);
        var guest = await OkJsonAsync(await PostAsync($"/v1/apps/{guestApp}/anonymous", new { }));
        await AssertProblemAsync(await PostAsync($"/v1/apps/{guestApp}/me/upgrade", new { email = lookAlike, password = GoodPassword }, Access(guest)),
            HttpStatusCode.Conflict, "email_taken");
    }

    [Fact]
    public async Task A_look_alike_sign_up_started_before_the_real_address_existed_is_refused_when_it_completes()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var real = Legit() + "@example.com";
        var lookAlike = "l\u0435" + real[2..];
        var (verificationId, code) = await PendingSignupAsync(app, lookAlike);
        await CreateUserAsync(app, new { email = real, password = GoodPassword, emailVerified = true });

        await AssertProblemAsync(await VerifySignupAsync(app, verificationId, code), HttpStatusCode.Conflict, "email_taken");
    }

    [Fact]
    public async Task Users_stored_before_skeletons_existed_get_theirs_at_start()
    {
        var app = await CreateAppAsync();
        var real = Legit() + "@example.com";
        var user = await SignUpAsync(app, real);
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
            var id = Guid.Parse(UserId(user));
            await db.Users.IgnoreQueryFilters().Where(u => u.Id == id).ExecuteUpdateAsync(u => u.SetProperty(x => x.EmailSkeletonIndex, (byte[]?)null), Ct);
        }

        // A node that starts now computes the missing skeleton before it is asked.
        await using var restarted = Factory.Sibling(new Dictionary<string, string?>());
        using var client = restarted.CreateClient();
        var response = await client.PostAsJsonAsync($"/v1/apps/{app}/signup", new { email = "l\u0435" + real[2..], password = GoodPassword }, Ct);

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "email_taken");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class LookAlikeEmailTests_Sqlite(SqliteServer server) : LookAlikeEmailTests(server);

[Collection(PostgresCollection.Name)]
public sealed class LookAlikeEmailTests_Postgres(PostgresServer server) : LookAlikeEmailTests(server);
