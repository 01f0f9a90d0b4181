using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Features.Tokens;

namespace Latchkey.Tests.Features.Passkeys;

/// <summary>
/// Collects what the server answered to each passkey response, then has npm
/// @simplewebauthn/server judge the same responses (tests/js/webauthn-verify.mjs, one node run)
/// and asserts that both accepted or both refused, and that the server's verdict is the expected one.
/// </summary>
internal sealed class CrossCheck
{
    private sealed record Case(string Name, bool ExpectAccepted, string? ExpectedCheck, bool Accepted, string? Check, string Answer, JsonObject? Independent);

    private readonly List<Case> _cases = [];

    public int Count => _cases.Count;

    /// <summary>
    /// Records one server answer. <paramref name="independent"/> is the input for simplewebauthn, or
    /// null for checks it leaves to the relying party (ceremony reuse, credential lookup, user handle).
    /// </summary>
    public async Task<JsonObject?> AddAsync(string name, HttpResponseMessage answer, string? expectedCheck, JsonObject? independent)
    {
        var text = await answer.Content.ReadAsStringAsync();
        var body = text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
        var accepted = answer.IsSuccessStatusCode;
        string? check = null;
        if (!accepted)
        {
            check = answer.StatusCode == HttpStatusCode.BadRequest && body?["code"]?.GetValue<string>() == "passkey_invalid"
                ? body["check"]?.GetValue<string>()
                : $"unexpected {(int)answer.StatusCode} {body?["code"]}";
        }
        independent?.Add("name", name);
        _cases.Add(new Case(name, expectedCheck is null, expectedCheck, accepted, check, $"{(int)answer.StatusCode} {text}", independent));
        return accepted ? body : null;
    }

    public async Task AssertAgreeAsync(CancellationToken ct)
    {
        var failures = new List<string>();
        foreach (var c in _cases)
        {
            if (c.Accepted != c.ExpectAccepted || (!c.Accepted && c.Check != c.ExpectedCheck))
            {
                failures.Add($"{c.Name}: expected {(c.ExpectAccepted ? "accepted" : "refused (" + c.ExpectedCheck + ")")}, Latchkey answered {c.Answer}");
            }
        }
        var independent = _cases.Where(c => c.Independent is not null).ToList();
        if (independent.Count > 0)
        {
            var file = Path.Combine(Path.GetTempPath(), $"webauthn-cases-{Guid.NewGuid():N}.json");
            await File.WriteAllTextAsync(file, new JsonArray(independent.Select(c => (JsonNode)c.Independent!.DeepClone()).ToArray()).ToJsonString(), ct);
            try
            {
                var results = JsonNode.Parse(await IndependentVerificationTests.RunNodeAsync("webauthn-verify.mjs", ct, file))!.AsArray();
                Assert.Equal(independent.Count, results.Count);
                foreach (var (c, result) in independent.Zip(results))
                {
                    var verified = result!["verified"]!.GetValue<bool>();
                    if (verified != c.Accepted)
                    {
                        failures.Add($"{c.Name}: simplewebauthn {(verified ? "accepted" : "refused")} ({result["error"]}), Latchkey answered {c.Answer}");
                    }
                }
            }
            finally
            {
                File.Delete(file);
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {_cases.Count} cases disagree:\n" + string.Join("\n", failures));
    }

    public static JsonObject Registration(JsonObject response, string challenge, string origin, string rpId) => new()
    {
        ["kind"] = "registration",
        ["response"] = response.DeepClone(),
        ["expectedChallenge"] = challenge,
        ["expectedOrigin"] = origin,
        ["expectedRPID"] = rpId,
        ["requireUserVerification"] = false,
    };

    public static JsonObject Authentication(JsonObject response, string challenge, string origin, string rpId, bool requireUserVerification,
        SoftAuthenticator credential, long storedCounter) => new()
    {
        ["kind"] = "authentication",
        ["response"] = response.DeepClone(),
        ["expectedChallenge"] = challenge,
        ["expectedOrigin"] = origin,
        ["expectedRPID"] = rpId,
        ["requireUserVerification"] = requireUserVerification,
        ["credential"] = new JsonObject { ["id"] = credential.Id, ["publicKey"] = SoftAuthenticator.B64(credential.CoseKey), ["counter"] = storedCounter },
    };
}
