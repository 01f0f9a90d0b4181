using Latchkey.Server.Features.OidcClients;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>X1: how a presented redirect URI is matched against a client's registered ones (RFC 6749 §3.1.2, RFC 8252 §7.3).</summary>
public sealed class RedirectUriMatchingTests
{
    [Theory]
    [InlineData("https://app.example.com/cb", "https://app.example.com/cb", true)]
    [InlineData("https://app.example.com/cb", "https://APP.example.com/cb", false)]
    [InlineData("https://app.example.com/cb", "https://app.example.com/CB", false)]
    [InlineData("https://app.example.com/cb", "https://app.example.com/cb/", false)]
    [InlineData("https://app.example.com/cb", "https://app.example.com/cb/extra", false)]
    [InlineData("https://app.example.com/cb", "https://app.example.com/cb?x=1", false)]
    [InlineData("https://app.example.com/cb", "https://app.example.com/cb#x", false)]
    [InlineData("https://app.example.com/cb", "https://evil@app.example.com/cb", false)]
    [InlineData("https://app.example.com/cb", "https://app.example.com:8443/cb", false)]
    [InlineData("https://app.example.com/cb", "https://app.example.com.evil.com/cb", false)]
    [InlineData("https://app.example.com/cb", "https://app.example.com/a/../cb", false)]
    [InlineData("com.example.app:/cb", "com.example.app:/cb", true)]
    [InlineData("com.example.app:/cb", "com.example.app://cb", false)]
    [InlineData("http://localhost:3000/cb", "http://localhost:3000/cb", true)]
    [InlineData("http://localhost:3000/cb", "http://localhost:3001/cb", false)]
    // A loopback IP literal accepts any port, and nothing else looser.
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb", true)]
    [InlineData("http://127.0.0.1:8080/cb", "http://127.0.0.1:51234/cb", true)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1/cb", true)]
    [InlineData("http://[::1]/cb", "http://[::1]:60000/cb", true)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb/", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:51234/other", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:0/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:65536/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1.evil.com/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1@evil.com/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:5000@evil.com/cb", false)]
    [InlineData("http://127.0.0.1/cb", "https://127.0.0.1:5000/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://[::1]:5000/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb#x", false)]
    [InlineData("http://127.0.0.1/cb", "http://localhost:5000/cb", false)]
    public void A_presented_uri_matches_only_as_registered(string registered, string presented, bool matches) =>
        Assert.Equal(matches, RedirectUris.Matches([registered], presented));

    [Fact]
    public void Nothing_matches_a_missing_or_oversized_uri()
    {
        Assert.False(RedirectUris.Matches(["https://app.example.com/cb"], null));
        Assert.False(RedirectUris.Matches(["https://app.example.com/cb"], ""));
        var huge = "https://app.example.com/" + new string('a', RedirectUris.MaxLength);
        Assert.False(RedirectUris.Matches([huge], huge));
        Assert.False(RedirectUris.Matches([], "https://app.example.com/cb"));
    }

    [Theory]
    [InlineData("com.example.app:/oauth", "public", true)]
    [InlineData("myapp://callback", "public", true)]
    [InlineData("https://app.example.com/cb", "confidential", true)]
    [InlineData("http://127.0.0.1:8080/cb", "confidential", true)]
    [InlineData("http://[::1]/cb", "public", true)]
    [InlineData("http://localhost/cb", "public", true)]
    [InlineData("com.example.app:/oauth", "confidential", false)]
    [InlineData("http://192.168.1.2/cb", "public", false)]
    [InlineData("file:///etc/passwd", "public", false)]
    [InlineData("vbscript:msgbox", "public", false)]
    [InlineData("https:///cb", "public", false)]
    [InlineData("/cb", "public", false)]
    [InlineData("cb", "public", false)]
    [InlineData("https://app.example.com/cb\u00e9", "public", false)]
    public void A_registration_accepts_native_and_server_redirects_and_refuses_the_rest(string uri, string type, bool accepted) =>
        Assert.Equal(accepted, RedirectUris.Problem(uri, type) is null);
}
