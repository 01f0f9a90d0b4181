using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>
/// Every access mode × verification flow × sign-in method, each driven end to end the way a
/// client would: the way in that the combination allows, with codes and links read from what was
/// sent, ending with tokens that open /me and the handle verified where the flow proves it.
/// </summary>
public abstract class OnboardingMatrixTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    public static TheoryData<string, string, string> Combinations()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var mode in new[] { "open", "registered", "inviteOnly" })
        {
            foreach (var flow in new[] { "none", "code", "link" })
            {
                foreach (var method in new[] { "password", "emailCode", "smsCode" })
                {
                    data.Add(mode, flow, method);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Each_mode_flow_and_method_lets_people_in_the_way_the_contract_says(string mode, string flow, string method)
    {
        var settings = new { accessMode = mode, signupFlow = flow, methods = new[] { method } };
        if (mode == "registered" && flow == "none")
        {
            // A registered app verifies everyone: this combination is refused, and nothing changes.
            var refused = await PostAsync("/v1/admin/apps", new { id = "m-" + Guid.NewGuid().ToString("N")[..10], name = "Matrix", settings }, await AdminTokenAsync());
            var problem = await AssertProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request");
            Assert.NotNull(problem["errors"]!["settings.signupFlow"]);
            return;
        }
        var app = await CreateAppAsync(settings);
        var (tokens, verifiedHandle) = mode == "inviteOnly"
            ? await ThroughInvitationAsync(app, method)
            : method == "password" ? await ThroughSignUpAsync(app, mode, flow) : await ThroughCodeAsync(app, method);

        var me = await MeAsync(app, Access(tokens));
        Assert.Equal(UserId(tokens), Str(me, "id"));
        Assert.False(Bool(me, "anonymous"));
        Assert.Equal(verifiedHandle, method == "smsCode" ? Bool(me, "phoneVerified") : Bool(me, "emailVerified"));
    }

    /// <summary>Self sign-up with email and password; answers the tokens and whether the email ends verified.</summary>
    private async Task<(JsonObject Tokens, bool Verified)> ThroughSignUpAsync(string app, string mode, string flow)
    {
        var email = NewEmail("matrix");
        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword });
        if (mode == "open")
        {
            var tokens = await OkJsonAsync(response);
            if (flow == "none")
            {
                Assert.Null(tokens["verification"]);
                await AssertNoMessageAsync(app, email);
                return (tokens, false);
            }
            Assert.Equal(flow, Str(tokens["verification"], "flow"));
            Assert.False(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
            await CompleteAsync(app, email, Str(tokens["verification"], "verificationId"), flow, flow == "code" ? "verifyCode" : "verifyLink");
            return (tokens, true);
        }

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var pending = await OkJsonAsync(response);
        Assert.Null(pending["access_token"]);
        Assert.Empty(await FindUsersAsync(app, email));
        var verified = await CompleteAsync(app, email, Str(pending, "verificationId"), flow, flow == "code" ? "signupCode" : "signupLink");
        return (verified!, true);
    }

    /// <summary>Completes a code (POST /signup/verify) or a link (open it, then collect the tokens once).</summary>
    private async Task<JsonObject?> CompleteAsync(string app, string email, string verificationId, string flow, string kind)
    {
        var message = await LatestMessageAsync(app, email, kind);
        if (flow == "code")
        {
            return await OkJsonAsync(await VerifySignupAsync(app, verificationId, CodeFrom(message)));
        }
        var link = new Uri(LinkFrom(message));
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync(link.PathAndQuery, null, Ct)).StatusCode);
        var collected = await GetAsync($"/v1/apps/{app}/signup/{verificationId}?wait=0");
        return await OkJsonAsync(collected);
    }

    /// <summary>Passwordless: a code to the email or phone signs a new person up and in.</summary>
    private async Task<(JsonObject Tokens, bool Verified)> ThroughCodeAsync(string app, string method)
    {
        var email = NewEmail("coded");
        object body = method == "emailCode" ? new { email } : new { phone = PhoneE164 };
        var sent = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code", body));
        var code = CodeFrom(await LatestMessageAsync(app, method == "emailCode" ? email : PhoneE164, "loginCode"));
        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code/verify", new { challengeId = Str(sent, "challengeId"), code }));
        return (tokens, true);
    }

    /// <summary>Invite-only: self sign-up is refused; an admin's invitation, accepted with its code, is the way in.</summary>
    private async Task<(JsonObject Tokens, bool Verified)> ThroughInvitationAsync(string app, string method)
    {
        var handle = method == "smsCode" ? PhoneE164 : NewEmail("invited");
        object selfSignUp = method == "smsCode" ? new { phone = handle, password = GoodPassword } : new { email = handle, password = GoodPassword };
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/signup", selfSignUp), HttpStatusCode.Forbidden, "invitation_required");

        var invited = await PostAsync($"/v1/apps/{app}/invitations", new { handle, metadata = new { cohort = "matrix" } }, await AdminTokenAsync());
        Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
        var code = CodeFrom(await LatestMessageAsync(app, handle, "invitation"));
        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/invitations/accept",
            method == "password" ? new { handle, code, password = GoodPassword } : (object)new { handle, code }));
        // An admin's invitation grants: its metadata is the app's, read-only to the user.
        Assert.Equal("matrix", Str((await MeAsync(app, Access(tokens)))["appMetadata"], "cohort"));
        return (tokens, true);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OnboardingMatrixTests_Sqlite(SqliteServer server) : OnboardingMatrixTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OnboardingMatrixTests_Postgres(PostgresServer server) : OnboardingMatrixTests(server);
