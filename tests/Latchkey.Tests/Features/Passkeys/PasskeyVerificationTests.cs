using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Passkeys;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Passkeys;

/// <summary>
/// Every verification path of passkey registration, passwordless sign-in and the passkey second
/// factor, through HTTP, judged by the server and by npm @simplewebauthn/server alike.
/// The in-process server's public URL is http://localhost, so the origin is that and the RP id localhost.
/// </summary>
public abstract class PasskeyVerificationTests(ServerFixture fixture) : ApiTest(fixture)
{
    internal const string Origin = "http://localhost";
    internal const string RpId = "localhost";

    [Fact]
    public async Task Registrations_are_accepted_and_refused_as_simplewebauthn_judges_them()
    {
        // The server's clock runs ahead of real time (tests move it): attestation certificates are
        // judged by it, simplewebauthn judges them by real time, and both must accept.
        Factory.Clock.Advance(TimeSpan.FromDays(2));
        var app = await CreateAppAsync();
        var bearer = Str(await SignUpAsync(app), "access_token");
        var check = new CrossCheck();
        var first = new SoftAuthenticator();

        async Task Try(string name, SoftAuthenticator authenticator, Tamper? tamper, string? expectedCheck, bool independent = true)
        {
            var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/passkeys/options", new { attestation = "direct" }, bearer));
            var response = authenticator.Register(Str(options, "challenge"), Origin, RpId, tamper, Factory.Clock.GetUtcNow());
            var answer = await PostAsync($"/v1/apps/{app}/me/passkeys", new { ceremonyId = Str(options, "ceremonyId"), credential = response }, bearer);
            await check.AddAsync(name, answer, expectedCheck, independent ? CrossCheck.Registration(response, Str(options, "challenge"), Origin, RpId) : null);
        }

        await Try("none, ES256", first, null, null);
        await Try("packed self attestation, ES256", new SoftAuthenticator(), new Tamper { Format = "packed-self" }, null);
        var certified = new SoftAuthenticator();
        await Try("packed x5c attestation naming the AAGUID", certified, new Tamper { Format = "packed-x5c", CertificateAaguid = certified.Aaguid }, null);
        await Try("packed x5c attestation without the AAGUID extension", new SoftAuthenticator(), new Tamper { Format = "packed-x5c" }, null);
        await Try("none, RS256", new SoftAuthenticator("RS256"), null, null);
        await Try("packed self attestation, EdDSA", new SoftAuthenticator("EdDSA"), new Tamper { Format = "packed-self" }, null);
        await Try("no user verification (preferred, not required)", new SoftAuthenticator(), new Tamper { Flags = SoftAuthenticator.UP | SoftAuthenticator.AT }, null);

        await Try("wrong origin", new SoftAuthenticator(), new Tamper { Origin = "https://evil.example" }, PasskeyChecks.Origin);
        await Try("wrong challenge", new SoftAuthenticator(), new Tamper { Challenge = SoftAuthenticator.B64(new byte[32]) }, PasskeyChecks.Challenge);
        await Try("wrong client data type", new SoftAuthenticator(), new Tamper { Type = "webauthn.get" }, PasskeyChecks.Type);
        await Try("another RP id", new SoftAuthenticator(), new Tamper { RpId = "evil.example" }, PasskeyChecks.RpId);
        await Try("no user presence", new SoftAuthenticator(), new Tamper { Flags = SoftAuthenticator.UV | SoftAuthenticator.AT }, PasskeyChecks.UserPresence);
        await Try("backed up but not backup eligible", new SoftAuthenticator(),
            new Tamper { Flags = SoftAuthenticator.UP | SoftAuthenticator.UV | SoftAuthenticator.AT | SoftAuthenticator.BS }, PasskeyChecks.Flags);
        await Try("tampered self-attestation signature", new SoftAuthenticator(), new Tamper { Format = "packed-self", BreakSignature = true }, PasskeyChecks.Attestation);
        var tampered = new SoftAuthenticator();
        await Try("tampered x5c attestation signature", tampered,
            new Tamper { Format = "packed-x5c", CertificateAaguid = tampered.Aaguid, BreakSignature = true }, PasskeyChecks.Attestation);
        await Try("attestation certificate without OU=Authenticator Attestation", new SoftAuthenticator(),
            new Tamper { Format = "packed-x5c", CertificateOu = "Something Else" }, PasskeyChecks.Attestation);
        await Try("attestation certificate naming another AAGUID", new SoftAuthenticator(),
            new Tamper { Format = "packed-x5c", CertificateAaguid = Guid.NewGuid() }, PasskeyChecks.Attestation);
        var selfSigned = new SoftAuthenticator();
        await Try("'none' with a statement", selfSigned,
            new Tamper { Statement = SoftAuthenticator.Cbor(w => { w.WriteStartMap(1); w.WriteTextString("alg"); w.WriteInt32(-7); w.WriteEndMap(); }) },
            PasskeyChecks.Attestation);
        await Try("an algorithm not offered (ES384)", new SoftAuthenticator("ES384"), null, PasskeyChecks.Algorithm);

        // The relying party's own checks, which a stateless verifier leaves to it.
        await Try("id and rawId name another credential than the authenticator data", new SoftAuthenticator(), new Tamper { OtherRawId = true },
            PasskeyChecks.CredentialId, independent: false);
        await Try("a credential already registered", first, null, PasskeyChecks.CredentialTaken, independent: false);

        await check.AssertAgreeAsync(Ct);
        var listed = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/passkeys", bearer));
        Assert.Equal(7, listed.Count);
        Assert.Contains(listed, p => Str(p, "attestationFormat") == "packed");
        Assert.Contains(listed, p => Str(p, "credentialId") == first.Id && Str(p, "attestationFormat") == "none");
        Assert.Equal(14, await RefusalsAsync(app));
    }

    [Fact]
    public async Task Passwordless_assertions_are_accepted_and_refused_as_simplewebauthn_judges_them()
    {
        var app = await CreateAppAsync();
        var signedUp = await SignUpAsync(app);
        var userId = Str(signedUp["user"], "id");
        var authenticator = new SoftAuthenticator();
        var handle = await RegisterAsync(app, Str(signedUp, "access_token"), authenticator);
        var check = new CrossCheck();
        long stored = 0;
        JsonObject? lastAccepted = null;
        string? lastCeremony = null, lastChallenge = null;

        async Task Try(string name, Tamper? tamper, string? expectedCheck, SoftAuthenticator? other = null, bool independent = true, bool replay = false)
        {
            var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/passkey/options", new { }));
            var ceremonyId = Str(options, "ceremonyId");
            var challenge = Str(options, "challenge");
            Assert.Equal("required", Str(options, "userVerification"));
            Assert.Empty(options["allowCredentials"]!.AsArray());
            var response = replay ? lastAccepted! : (other ?? authenticator).Assert(challenge, Origin, RpId, handle, tamper);
            var answer = await PostAsync($"/v1/apps/{app}/login/passkey", new { ceremonyId, credential = response });
            var tokens = await check.AddAsync(name, answer, expectedCheck,
                independent ? CrossCheck.Authentication(response, challenge, Origin, RpId, true, authenticator, stored) : null);
            if (tokens is not null)
            {
                Assert.Equal(userId, Str(tokens["user"], "id"));
                stored = authenticator.Counter;
                (lastAccepted, lastCeremony, lastChallenge) = (response, ceremonyId, challenge);
            }
        }

        await Try("a valid assertion", null, null);
        await Try("the next valid assertion", null, null);
        await Try("the same response again, for a new ceremony", null, PasskeyChecks.Challenge, replay: true);
        await Try("a counter that did not increase", new Tamper { Counter = (uint)stored }, PasskeyChecks.Counter);
        await Try("a counter that went back (a cloned authenticator)", new Tamper { Counter = (uint)stored - 1 }, PasskeyChecks.Counter);
        await Try("wrong origin", new Tamper { Origin = "https://evil.example" }, PasskeyChecks.Origin);
        await Try("wrong challenge", new Tamper { Challenge = SoftAuthenticator.B64(new byte[32]) }, PasskeyChecks.Challenge);
        await Try("wrong client data type", new Tamper { Type = "webauthn.create" }, PasskeyChecks.Type);
        await Try("another RP id", new Tamper { RpId = "evil.example" }, PasskeyChecks.RpId);
        await Try("tampered signature", new Tamper { BreakSignature = true }, PasskeyChecks.Signature);
        await Try("no user verification", new Tamper { Flags = SoftAuthenticator.UP }, PasskeyChecks.UserVerification);
        await Try("no user presence", new Tamper { Flags = SoftAuthenticator.UV }, PasskeyChecks.UserPresence);
        await Try("valid again after the refusals", null, null);

        // The relying party's own checks, which a stateless verifier leaves to it.
        var replayed = await PostAsync($"/v1/apps/{app}/login/passkey", new { ceremonyId = lastCeremony, credential = lastAccepted });
        await check.AddAsync("the accepted response again, for its own (used) ceremony", replayed, PasskeyChecks.Ceremony,
            CrossCheck.Authentication(lastAccepted!, lastChallenge!, Origin, RpId, true, authenticator, stored));
        await Try("a passkey this app does not know", null, PasskeyChecks.UnknownCredential, other: new SoftAuthenticator(), independent: false);
        await Try("another user's handle", new Tamper { UserHandle = SoftAuthenticator.B64(Guid.NewGuid().ToByteArray()) }, PasskeyChecks.UserHandle, independent: false);

        await check.AssertAgreeAsync(Ct);
        Assert.Equal(13, await RefusalsAsync(app));
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var cloned = await db.AuditRecords.CountAsync(r => r.AppId == app && r.Action == PasskeyService.RefusedAction && r.Detail!.StartsWith("check=counter"), Ct);
        Assert.Equal(2, cloned);
        db.TenantAppId = app;
        var credential = await db.PasskeyCredentials.SingleAsync(c => c.AppId == app, Ct);
        Assert.Equal(stored, credential.SignCount);
        Assert.NotNull(credential.LastUsedAt);
    }

    [Fact]
    public async Task Passkeys_with_other_algorithms_and_without_a_counter_sign_in()
    {
        var app = await CreateAppAsync();
        var bearer = Str(await SignUpAsync(app), "access_token");
        var check = new CrossCheck();
        foreach (var authenticator in new[] { new SoftAuthenticator("RS256"), new SoftAuthenticator("EdDSA"), new SoftAuthenticator(counts: false) })
        {
            var handle = await RegisterAsync(app, bearer, authenticator);
            for (var i = 0; i < 2; i++)
            {
                var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/passkey/options", new { }));
                var response = authenticator.Assert(Str(options, "challenge"), Origin, RpId, handle);
                var answer = await PostAsync($"/v1/apps/{app}/login/passkey", new { ceremonyId = Str(options, "ceremonyId"), credential = response });
                await check.AddAsync($"{authenticator.Algorithm}{(authenticator.Counts ? "" : " without a counter")} #{i + 1}", answer, null,
                    CrossCheck.Authentication(response, Str(options, "challenge"), Origin, RpId, true, authenticator, authenticator.Counts ? i : 0));
            }
        }
        await check.AssertAgreeAsync(Ct);
    }

    [Fact]
    public async Task A_passkey_completes_a_sign_in_as_the_second_factor()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("mfa");
        var signedUp = await SignUpAsync(app, email);
        var authenticator = new SoftAuthenticator();
        await RegisterAsync(app, Str(signedUp, "access_token"), authenticator);
        var stranger = new SoftAuthenticator();
        await RegisterAsync(app, Str(await SignUpAsync(app), "access_token"), stranger);
        var check = new CrossCheck();
        long stored = 0;

        async Task Try(string name, Tamper? tamper, string? expectedCheck, SoftAuthenticator? other = null, bool independent = true)
        {
            var refused = await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }),
                HttpStatusCode.Unauthorized, "mfa_required");
            Assert.Contains("passkey", refused["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
            var mfaToken = Str(refused, "mfaToken");
            var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/mfa/passkey/options", new { mfaToken }));
            Assert.Equal(authenticator.Id, Str(Assert.Single(options["allowCredentials"]!.AsArray()), "id"));
            Assert.Equal("preferred", Str(options, "userVerification"));
            var challenge = Str(options, "challenge");
            var assertion = (other ?? authenticator).Assert(challenge, Origin, RpId, userHandle: null, tamper);
            var answer = await PostAsync($"/v1/apps/{app}/login/mfa", new { mfaToken, method = "passkey", assertion });
            var tokens = await check.AddAsync(name, answer, expectedCheck,
                independent ? CrossCheck.Authentication(assertion, challenge, Origin, RpId, false, authenticator, stored) : null);
            if (tokens is not null)
            {
                Assert.Equal(Str(signedUp["user"], "id"), Str(tokens["user"], "id"));
                stored = authenticator.Counter;
            }
        }

        await Try("a valid assertion", null, null);
        await Try("wrong origin", new Tamper { Origin = "https://evil.example" }, PasskeyChecks.Origin);
        await Try("tampered signature", new Tamper { BreakSignature = true }, PasskeyChecks.Signature);
        await Try("a counter that went back", new Tamper { Counter = 0 }, PasskeyChecks.Counter);
        await Try("user presence without verification is enough here", new Tamper { Flags = SoftAuthenticator.UP }, null);
        await Try("a challenge this sign-in never issued", new Tamper { Challenge = SoftAuthenticator.B64(new byte[32]) }, PasskeyChecks.Ceremony);
        await Try("valid again", null, null);
        await Try("another user's passkey", null, PasskeyChecks.UnknownCredential, other: stranger, independent: false);

        await check.AssertAgreeAsync(Ct);
        Assert.Equal(5, await RefusalsAsync(app));
    }

    /// <summary>Registers a passkey (attestation none) for the bearer's user; answers the WebAuthn user handle.</summary>
    internal async Task<string> RegisterAsync(string app, string bearer, SoftAuthenticator authenticator, string? name = null)
    {
        var options = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/passkeys/options", new { }, bearer));
        var response = authenticator.Register(Str(options, "challenge"), Origin, RpId);
        var created = await PostAsync($"/v1/apps/{app}/me/passkeys", new { ceremonyId = Str(options, "ceremonyId"), credential = response, name }, bearer);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return Str(options["user"], "id");
    }

    internal async Task<int> RefusalsAsync(string app)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        return await db.AuditRecords.CountAsync(r => r.AppId == app && r.Action == PasskeyService.RefusedAction, Ct);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PasskeyVerificationTests_Sqlite(SqliteServer server) : PasskeyVerificationTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PasskeyVerificationTests_Postgres(PostgresServer server) : PasskeyVerificationTests(server);
