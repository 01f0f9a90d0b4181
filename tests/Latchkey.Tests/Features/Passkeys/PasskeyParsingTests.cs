using System.Formats.Cbor;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Passkeys;

namespace Latchkey.Tests.Features.Passkeys;

/// <summary>
/// The CBOR, COSE and client data parsing under broken input: every truncation and every bit
/// flip of real responses, and hand-made wrong types, end in a <see cref="PasskeyCheckException"/>
/// (400 passkey_invalid over HTTP), never in another exception (a 500).
/// </summary>
public sealed class PasskeyParsingTests
{
    private const string Challenge = "Y2VyZW1vbnktY2hhbGxlbmdlLWZvci10aGUtcGFyc2VyLXRlc3Rz";
    private static readonly PasskeyExpectation Registration = new(Challenge, ["http://localhost"], "localhost", false);
    private static readonly DateTime Now = DateTime.UtcNow;

    [Fact]
    public void Every_truncation_and_bit_flip_of_an_attestation_object_is_refused_or_verified_never_thrown()
    {
        var authenticator = new SoftAuthenticator();
        var response = authenticator.Register(Challenge, "http://localhost", "localhost",
            new Tamper { Format = "packed-x5c", CertificateAaguid = authenticator.Aaguid });
        Assert.Equal("packed", WebAuthnVerifier.VerifyRegistration(Parse(response), Registration, Now).Format);

        var bytes = SoftAuthenticator.FromB64(response["response"]!["attestationObject"]!.GetValue<string>());
        var outcomes = Mutations(bytes).Select(mutated =>
        {
            var changed = response.DeepClone().AsObject();
            changed["response"]!["attestationObject"] = SoftAuthenticator.B64(mutated);
            return Outcome(() => WebAuthnVerifier.VerifyRegistration(Parse(changed), Registration, Now));
        }).ToList();

        // Every truncation is malformed; flips are refused for one reason or another (or verify,
        // where they hit certificate bytes that do not matter without trust anchors).
        Assert.All(outcomes.Take(bytes.Length), o => Assert.Equal(PasskeyChecks.Malformed, o));
        Assert.Contains(PasskeyChecks.Attestation, outcomes);
        Assert.Contains(PasskeyChecks.RpId, outcomes);
    }

    [Fact]
    public void Every_truncation_and_bit_flip_of_an_assertion_is_refused_never_thrown()
    {
        var authenticator = new SoftAuthenticator();
        var assertion = authenticator.Assert(Challenge, "http://localhost", "localhost", userHandle: null);
        var expected = Registration with { RequireUserVerification = true };
        Assert.Equal(1u, WebAuthnVerifier.VerifyAssertion(Parse(assertion), expected, authenticator.CoseKey, 0).SignCount);

        foreach (var field in new[] { "authenticatorData", "clientDataJSON", "signature" })
        {
            var bytes = SoftAuthenticator.FromB64(assertion["response"]![field]!.GetValue<string>());
            foreach (var mutated in Mutations(bytes))
            {
                var changed = assertion.DeepClone().AsObject();
                changed["response"]![field] = SoftAuthenticator.B64(mutated);
                var outcome = Outcome(() => WebAuthnVerifier.VerifyAssertion(Parse(changed), expected, authenticator.CoseKey, 0));
                Assert.NotEqual("verified", outcome);
            }
        }
        // The stored key itself, truncated or flipped (a corrupt row): refused, not thrown.
        foreach (var key in Mutations(authenticator.CoseKey))
        {
            Assert.NotEqual("verified", Outcome(() => WebAuthnVerifier.VerifyAssertion(Parse(assertion), expected, key, 0)));
        }
    }

    public static TheoryData<string, string> BrokenKeys => new()
    {
        { "an array, not a map", "80" },
        { "a map cut short", "a5010203" },
        { "kty as text", "a2" + "0163454332" + "0326" },
        { "x and y as integers", "a5" + "0102" + "0326" + "2001" + "2101" + "2201" },
        { "a label twice", "a2" + "0102" + "0102" },
        { "bytes after the map", "a0" + "00" },
        { "an unknown key type", "a2" + "0104" + "0326" },
        { "ES256 on another curve", "a5" + "0102" + "0326" + "2002" + "215820" + Zeros + "225820" + Zeros },
        { "a point not on P-256", "a5" + "0102" + "0326" + "2001" + "215820" + One + "225820" + One },
        { "RS256 with a 24-bit modulus", "a4" + "0103" + "03390100" + "2043010001" + "2143010001" },
        { "an indefinite-length map cut short", "bf" },
        { "nothing", "" },
    };

    private const string Zeros = "ZEROS";
    private const string One = "ONE";

    [Theory]
    [MemberData(nameof(BrokenKeys))]
    public void A_broken_COSE_key_is_refused(string what, string hex)
    {
        var bytes = Convert.FromHexString(hex.Replace(Zeros, new string('0', 64), StringComparison.Ordinal)
            .Replace(One, new string('0', 62) + "01", StringComparison.Ordinal));
        var refused = Assert.Throws<PasskeyCheckException>(() => CoseKey.Parse(bytes));
        Assert.True(refused.Check is PasskeyChecks.Malformed or PasskeyChecks.Algorithm, $"{what}: {refused.Check}");
    }

    public static TheoryData<string, string> BrokenAuthenticatorData => new()
    {
        { "36 bytes", Hash + "00" + "000000" },
        { "AT without attested data", Hash + "41" + "00000000" },
        { "a credential id longer than the data", Hash + "41" + "00000000" + Aaguid + "0010" + "00" },
        { "a credential id longer than 1023 bytes", Hash + "41" + "00000000" + Aaguid + "0400" + new string('0', 2048) + "a0" },
        { "a zero-length credential id", Hash + "41" + "00000000" + Aaguid + "0000" + "a0" },
        { "a credential key that is not CBOR", Hash + "41" + "00000000" + Aaguid + "0001" + "aa" + "1f" },
        { "a credential key cut short", Hash + "41" + "00000000" + Aaguid + "0001" + "aa" + "a501" },
        { "no credential key", Hash + "41" + "00000000" + Aaguid + "0001" + "aa" },
        { "ED with extensions that are not a map", Hash + "81" + "00000000" + "01" },
        { "ED without extensions", Hash + "81" + "00000000" },
        { "bytes after the data", Hash + "01" + "00000000" + "a0" },
    };

    private static readonly string Hash = new('0', 64);
    private static readonly string Aaguid = new('0', 32);

    [Theory]
    [MemberData(nameof(BrokenAuthenticatorData))]
    public void Broken_authenticator_data_is_malformed(string what, string hex)
    {
        var refused = Assert.Throws<PasskeyCheckException>(() => AuthenticatorData.Parse(Convert.FromHexString(hex)));
        Assert.True(refused.Check == PasskeyChecks.Malformed, $"{what}: {refused.Check}");
    }

    public static TheoryData<string> BrokenAttestationObjects => new(AttestationObjects.Keys);

    private static readonly Dictionary<string, Action<CborWriter, byte[]>> AttestationObjects = new()
    {
        ["an integer key"] = (w, _) => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteInt32(2); w.WriteEndMap(); },
        ["fmt as bytes"] = (w, _) => { w.WriteStartMap(1); w.WriteTextString("fmt"); w.WriteByteString([1]); w.WriteEndMap(); },
        ["authData as text"] = (w, _) => { w.WriteStartMap(1); w.WriteTextString("authData"); w.WriteTextString("x"); w.WriteEndMap(); },
        ["attStmt as an array"] = (w, _) => { w.WriteStartMap(1); w.WriteTextString("attStmt"); w.WriteStartArray(0); w.WriteEndArray(); w.WriteEndMap(); },
        ["no authData"] = (w, _) => { w.WriteStartMap(2); w.WriteTextString("fmt"); w.WriteTextString("none"); w.WriteTextString("attStmt"); w.WriteStartMap(0); w.WriteEndMap(); w.WriteEndMap(); },
        ["fmt twice"] = (w, _) => { w.WriteStartMap(2); w.WriteTextString("fmt"); w.WriteTextString("none"); w.WriteTextString("fmt"); w.WriteTextString("none"); w.WriteEndMap(); },
        ["packed alg as text"] = (w, authData) => Packed(w, authData, s => { s.WriteTextString("alg"); s.WriteTextString("ES256"); }),
        ["packed x5c as bytes"] = (w, authData) => Packed(w, authData, s => { s.WriteTextString("x5c"); s.WriteByteString([1, 2]); }),
        ["packed x5c holding an integer"] = (w, authData) => Packed(w, authData, s => { s.WriteTextString("x5c"); s.WriteStartArray(1); s.WriteInt32(3); s.WriteEndArray(); }),
        ["packed with an integer key"] = (w, authData) => Packed(w, authData, s => { s.WriteInt32(1); s.WriteInt32(2); }),
    };

    private static void Packed(CborWriter w, byte[] authData, Action<CborWriter> statement)
    {
        w.WriteStartMap(3);
        w.WriteTextString("fmt");
        w.WriteTextString("packed");
        w.WriteTextString("attStmt");
        w.WriteStartMap(1);
        statement(w);
        w.WriteEndMap();
        w.WriteTextString("authData");
        w.WriteByteString(authData);
        w.WriteEndMap();
    }

    [Theory]
    [MemberData(nameof(BrokenAttestationObjects))]
    public void A_broken_attestation_object_is_refused(string what)
    {
        var response = new SoftAuthenticator().Register(Challenge, "http://localhost", "localhost");
        var valid = new CborReader(SoftAuthenticator.FromB64(response["response"]!["attestationObject"]!.GetValue<string>()));
        valid.ReadStartMap();
        byte[] authData = [];
        while (valid.PeekState() != CborReaderState.EndMap)
        {
            if (valid.ReadTextString() == "authData")
            {
                authData = valid.ReadByteString();
            }
            else
            {
                valid.SkipValue();
            }
        }
        response["response"]!["attestationObject"] = SoftAuthenticator.B64(SoftAuthenticator.Cbor(w => AttestationObjects[what](w, authData)));
        var outcome = Outcome(() => WebAuthnVerifier.VerifyRegistration(Parse(response), Registration, Now));
        Assert.True(outcome is PasskeyChecks.Malformed or PasskeyChecks.Attestation, $"{what}: {outcome}");
    }

    public static TheoryData<string, string> BrokenClientData => new()
    {
        { "not JSON", "{" },
        { "an array", "[]" },
        { "a numeric challenge", """{"type":"webauthn.create","challenge":1,"origin":"http://localhost"}""" },
        { "no origin", """{"type":"webauthn.create","challenge":"Y2VyZW1vbnktY2hhbGxlbmdlLWZvci10aGUtcGFyc2VyLXRlc3Rz"}""" },
        { "a property twice", """{"type":"webauthn.create","type":"webauthn.create","challenge":"x","origin":"x"}""" },
        { "too deep", new string('[', 100) },
        { "invalid UTF-8", "\u00ff" },
    };

    [Theory]
    [MemberData(nameof(BrokenClientData))]
    public void Broken_client_data_is_malformed(string what, string json)
    {
        var response = new SoftAuthenticator().Register(Challenge, "http://localhost", "localhost");
        var bytes = what == "invalid UTF-8" ? new byte[] { 0x7b, 0xff, 0xfe, 0x7d } : Encoding.UTF8.GetBytes(json);
        response["response"]!["clientDataJSON"] = SoftAuthenticator.B64(bytes);
        Assert.Equal(PasskeyChecks.Malformed, Outcome(() => WebAuthnVerifier.VerifyRegistration(Parse(response), Registration, Now)));
    }

    [Theory]
    [InlineData("not base64url!")]
    [InlineData("")]
    public void Fields_that_are_not_base64url_are_malformed(string value)
    {
        var response = new SoftAuthenticator().Register(Challenge, "http://localhost", "localhost");
        response["response"]!["attestationObject"] = value;
        Assert.Equal(PasskeyChecks.Malformed, Outcome(() => WebAuthnVerifier.VerifyRegistration(Parse(response), Registration, Now)));
        Assert.Equal(PasskeyChecks.Malformed, Outcome(() => WebAuthnVerifier.VerifyRegistration(null, Registration, Now)));
    }

    [Theory]
    [InlineData("ftp://files.example.com", null)]
    [InlineData("https://app.example.com/path", null)]
    [InlineData("https://app.example.com", "other.example")]
    [InlineData(null, "https://example.com")]
    public void A_bad_origin_list_or_RP_id_stops_the_start(string? origins, string? rpId)
    {
        var result = new WebAuthnOptionsValidator().Validate(null, new WebAuthnOptions { Origins = origins, RpId = rpId });
        Assert.True(result.Failed);
        Assert.Contains("LATCHKEY_WEBAUTHN", result.FailureMessage);
    }

    /// <summary>Every truncation (shortest first), then every single-bit flip of each byte's lowest and highest bit.</summary>
    private static IEnumerable<byte[]> Mutations(byte[] bytes)
    {
        for (var length = 0; length < bytes.Length; length++)
        {
            yield return bytes[..length];
        }
        for (var i = 0; i < bytes.Length; i++)
        {
            foreach (var bit in new byte[] { 0x01, 0x80 })
            {
                var flipped = (byte[])bytes.Clone();
                flipped[i] ^= bit;
                yield return flipped;
            }
        }
    }

    /// <summary>"verified", or the check that refused it; any other exception fails the test.</summary>
    private static string Outcome(Action verify)
    {
        try
        {
            verify();
            return "verified";
        }
        catch (PasskeyCheckException refused)
        {
            return refused.Check;
        }
    }

    private static PasskeyCredentialJson Parse(JsonObject json) => json.Deserialize<PasskeyCredentialJson>(JsonSerializerOptions.Web)!;
}
