using System.Net;
using Latchkey.Tests.Features.AdminConsole;
using Latchkey.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Latchkey.Tests.Features.Nodes;

/// <summary>What the node tests share: a second node that has only the master key and the databases, and console sign-ins carried between nodes.</summary>
internal static class Nodes
{
    /// <summary>
    /// Another node on <paramref name="first"/>'s databases, with a keys folder of its own (empty)
    /// and the first node's master key given as LATCHKEY_MASTER_KEY. With SQLite the key store is
    /// a file the nodes share (they run on one machine); with PostgreSQL it is the sibling database.
    /// </summary>
    public static LatchkeyFactory SecondNode(LatchkeyFactory first, out string keysDir)
    {
        keysDir = Directory.CreateTempSubdirectory("latchkey-keys-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Latchkey:KeysDir"] = keysDir,
            ["LATCHKEY_MASTER_KEY"] = File.ReadAllText(Path.Combine(first.Database.KeysDir, "master.key")).Trim(),
        };
        if (first.Database is SqliteTestDatabase)
        {
            settings["Latchkey:KeyStoreDatabase"] = $"Data Source={Path.Combine(first.Database.KeysDir, "datakeys.db")}";
        }
        return first.Sibling(settings);
    }

    /// <summary>A client that keeps no cookies and follows no redirects: the tests carry cookies from node to node themselves.</summary>
    public static HttpClient PlainClient(LatchkeyFactory node) =>
        node.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

    /// <summary>The <c>Cookie</c> header a browser sends back after <paramref name="response"/>.</summary>
    public static string CookiesOf(HttpResponseMessage response) =>
        string.Join("; ", response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

    /// <summary>The console's login page from <paramref name="pageNode"/>, filled in as the super admin and sent to <paramref name="postNode"/>.</summary>
    public static async Task<HttpResponseMessage> SignInAcrossAsync(LatchkeyFactory pageNode, LatchkeyFactory postNode, CancellationToken ct)
    {
        using var pageClient = PlainClient(pageNode);
        var login = await pageClient.GetAsync("/console/login", ct);
        var page = new ConsolePage("/console/login", login, await login.Content.ReadAsStringAsync(ct));
        var form = page.Form().Set("app", "console").Set("handle", LatchkeyFactory.AdminEmail).Set("password", LatchkeyFactory.AdminPassword);
        using var postClient = PlainClient(postNode);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/console/login") { Content = new FormUrlEncodedContent(form.Fields) };
        post.Headers.Add("Cookie", CookiesOf(login));
        return await postClient.SendAsync(post, ct);
    }

    /// <summary>A signed-in console cookie made by <paramref name="node"/>.</summary>
    public static async Task<string> ConsoleCookieAsync(LatchkeyFactory node, CancellationToken ct)
    {
        var signedIn = await SignInAcrossAsync(node, node, ct);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return CookiesOf(signedIn);
    }

    /// <summary>The console's app list on <paramref name="node"/> with <paramref name="cookie"/>.</summary>
    public static async Task<HttpResponseMessage> ConsoleHomeAsync(LatchkeyFactory node, string cookie, CancellationToken ct)
    {
        using var client = PlainClient(node);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/console");
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request, ct);
    }
}
