using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Pin;

/// <summary>S1: setting, replacing, removing and checking the PIN; what a PIN may be.</summary>
public abstract class PinSettingTests(ServerFixture fixture) : PinTest(fixture)
{
    [Fact]
    public async Task An_app_without_pins_refuses_to_set_one_and_ignores_unloaded()
    {
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app);

        await AssertProblemAsync(await SetPinAsync(app, Access(tokens), GoodPin), HttpStatusCode.Forbidden, "forbidden");

        await OkJsonAsync(await RefreshAsync(app, Refresh(tokens), unloaded: true));
    }

    [Fact]
    public async Task Without_a_pin_an_unloaded_app_refreshes_as_usual()
    {
        var app = await CreateAppAsync(new { pinEnabled = true, idleLimitSeconds = 60 });
        var tokens = await SignUpAsync(app);
        Factory.Clock.Advance(TimeSpan.FromMinutes(5));

        await OkJsonAsync(await RefreshAsync(app, Refresh(tokens), unloaded: true));
    }

    [Fact]
    public async Task Trivial_or_malformed_pins_are_refused()
    {
        var app = await CreateAppAsync(new { pinEnabled = true });
        var tokens = await SignUpAsync(app);
        string[] bad =
        [
            "", "123", "1234567890123", "12a4", " 4829", "48 29", "\u0664\u0668\u0662\u0669", // Arabic-Indic digits
            "0000", "1111", "999999", "1234", "4321", "7890", "0123456789", "1212", "123123", "505050", "2580", "1004",
        ];

        foreach (var pin in bad)
        {
            var problem = await AssertProblemAsync(await SetPinAsync(app, Access(tokens), pin), HttpStatusCode.BadRequest, "invalid_request");
            Assert.True(problem["errors"]?["pin"] is not null, $"'{pin}': {problem.ToJsonString()}");
        }
        var tooLong = await SetPinAsync(app, Access(tokens), new string('7', 65));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);

        // None of them was stored: the app still refreshes without asking.
        await OkJsonAsync(await RefreshAsync(app, Refresh(tokens), unloaded: true));
        await SetPinOkAsync(app, Access(tokens), "90210");
    }

    [Fact]
    public async Task Replacing_a_pin_needs_the_current_one()
    {
        var app = await CreateAppAsync(new { pinEnabled = true });
        var tokens = await SignUpAsync(app);
        await SetPinOkAsync(app, Access(tokens), GoodPin);
        Factory.Clock.Advance(TimeSpan.FromMinutes(11));

        var missing = await AssertProblemAsync(await SetPinAsync(app, Access(tokens), OtherPin), HttpStatusCode.BadRequest, "invalid_request");
        Assert.NotNull(missing["errors"]?["currentPin"]);
        Assert.Equal(4, await AssertPinRequiredAsync(await SetPinAsync(app, Access(tokens), OtherPin, currentPin: WrongPin)));
        await SetPinOkAsync(app, Access(tokens), OtherPin, currentPin: GoodPin);

        // The right current PIN reset the count; the old PIN is now a wrong one.
        Assert.Equal(5, await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(tokens), unloaded: true)));
        Assert.Equal(4, await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(tokens), pin: GoodPin)));
        await OkJsonAsync(await RefreshAsync(app, Refresh(tokens), pin: OtherPin));
    }

    [Fact]
    public async Task A_user_who_forgot_the_pin_signs_in_again_and_sets_a_new_one()
    {
        var app = await CreateAppAsync(new { pinEnabled = true });
        var email = NewEmail("forgetful");
        var first = await SignUpAsync(app, email);
        await SetPinOkAsync(app, Access(first), GoodPin);
        Factory.Clock.Advance(TimeSpan.FromMinutes(11));

        var again = await OkJsonAsync(await LoginAsync(app, email));
        await SetPinOkAsync(app, Access(again), OtherPin);

        // The new PIN is the user's, on every session.
        await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(first), unloaded: true));
        await OkJsonAsync(await RefreshAsync(app, Refresh(first), pin: OtherPin));
    }

    [Fact]
    public async Task Removing_a_pin_needs_the_current_one_and_stops_the_questions()
    {
        var app = await CreateAppAsync(new { pinEnabled = true });
        var tokens = await SignUpAsync(app);
        await SetPinOkAsync(app, Access(tokens), GoodPin);
        Factory.Clock.Advance(TimeSpan.FromMinutes(11));

        await AssertProblemAsync(await SendAsync(HttpMethod.Delete, $"/v1/apps/{app}/me/pin", JsonContent.Create(new { }), Access(tokens)),
            HttpStatusCode.BadRequest, "invalid_request");
        await AssertPinRequiredAsync(await SendAsync(HttpMethod.Delete, $"/v1/apps/{app}/me/pin", JsonContent.Create(new { currentPin = WrongPin }), Access(tokens)));
        var removed = await SendAsync(HttpMethod.Delete, $"/v1/apps/{app}/me/pin", JsonContent.Create(new { currentPin = GoodPin }), Access(tokens));
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);

        await OkJsonAsync(await RefreshAsync(app, Refresh(tokens), unloaded: true));
    }

    [Fact]
    public async Task An_app_that_locks_its_own_ui_checks_the_pin()
    {
        var app = await CreateAppAsync(new { pinEnabled = true, pinMaxAttempts = 3 });
        var tokens = await SignUpAsync(app);
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/me/pin/verify", new { pin = GoodPin }, Access(tokens)), HttpStatusCode.NotFound, "not_found");
        await SetPinOkAsync(app, Access(tokens), GoodPin);

        Assert.Equal(2, await AssertPinRequiredAsync(await PostAsync($"/v1/apps/{app}/me/pin/verify", new { pin = WrongPin }, Access(tokens))));
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync($"/v1/apps/{app}/me/pin/verify", new { pin = GoodPin }, Access(tokens))).StatusCode);

        // The right PIN reset the count.
        Assert.Equal(2, await AssertPinRequiredAsync(await PostAsync($"/v1/apps/{app}/me/pin/verify", new { pin = WrongPin }, Access(tokens))));
        Assert.Equal(1, await AssertPinRequiredAsync(await PostAsync($"/v1/apps/{app}/me/pin/verify", new { pin = WrongPin }, Access(tokens))));
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/me/pin/verify", new { pin = WrongPin }, Access(tokens)), (HttpStatusCode)423, "pin_locked");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Access(tokens)), HttpStatusCode.Unauthorized, "session_revoked");
    }

    [Fact]
    public async Task An_admin_pre_fills_a_pin_that_the_user_then_unlocks_with()
    {
        var app = await CreateAppAsync(new { pinEnabled = true });
        var tokens = await SignUpAsync(app);
        var userId = Str(tokens["user"], "id");
        var admin = await AdminTokenAsync();

        var trivial = await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{userId}", new { pin = "1111" }, admin),
            HttpStatusCode.BadRequest, "invalid_request");
        Assert.NotNull(trivial["errors"]?["pin"]);
        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{userId}", new { pin = "5093" }, admin));

        await AssertPinRequiredAsync(await RefreshAsync(app, Refresh(tokens), unloaded: true));
        await OkJsonAsync(await RefreshAsync(app, Refresh(tokens), pin: "5093"));
        Assert.Contains("user.update", await AuditActionsAsync(app));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PinSettingTests_Sqlite(SqliteServer server) : PinSettingTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PinSettingTests_Postgres(PostgresServer server) : PinSettingTests(server);
