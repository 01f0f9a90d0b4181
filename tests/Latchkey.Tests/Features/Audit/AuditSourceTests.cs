using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Latchkey.Tests.Features.AdminConsole;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Audit;

/// <summary>
/// Defect 10 of issue 11: the trail names a client address only by a keyed pseudonym (the key
/// family of the rate-limit counters), per app, never in clear; an admin who knows an address finds
/// its records with <c>?address=</c>. Requests come through a sibling that trusts the in-memory
/// peer as a proxy, so X-Forwarded-For sets the client address.
/// </summary>
public abstract partial class AuditSourceTests(ServerFixture fixture) : AuditTest(fixture)
{
    private static readonly string[] Addresses = ["203.0.113.77", "198.51.100.9"];

    [Fact]
    public async Task Records_hold_a_keyed_pseudonym_of_the_client_address_never_the_address()
    {
        await using var proxy = Factory.Sibling(new Dictionary<string, string?> { ["Latchkey:TrustedProxies"] = "127.0.0.1" });
        using var client = proxy.CreateClient();
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var email = NewEmail();
        await OkJsonAsync(await FromAsync(client, Addresses[0], $"/v1/apps/{app}/signup", new { email, password = GoodPassword }));
        await OkJsonAsync(await FromAsync(client, Addresses[0], $"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
        await OkJsonAsync(await FromAsync(client, Addresses[1], $"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
        await OkJsonAsync(await FromAsync(client, "2001:db8:0:0::5", $"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
        await OkJsonAsync(await FromAsync(client, Addresses[0], $"/v1/apps/{other}/signup", new { email, password = GoodPassword }));

        var signIns = (await TrailAsync(app, "?action=signin")).Select(r => r!.AsObject()).OrderBy(r => r["seq"]!.GetValue<long>()).ToList();
        Assert.Equal(4, signIns.Count);
        var sources = signIns.Select(r => Str(r, "source")).ToList();
        Assert.All(sources, source => Assert.Matches(PseudonymPattern(), source));
        Assert.Equal(sources[0], sources[1]);
        Assert.Equal(3, sources.Distinct().Count());
        // Another app's trail names the same address differently: trails cannot be joined on it.
        var elsewhere = Str((await TrailAsync(other, "?action=signin")).Single(), "source");
        Assert.Matches(PseudonymPattern(), elsewhere);
        Assert.NotEqual(sources[0], elsewhere);

        // The admin who knows an address finds its records (IPv6 in any spelling).
        var byAddress = await TrailAsync(app, "?address=" + Uri.EscapeDataString(Addresses[0]));
        Assert.Equal(2, byAddress.Count);
        Assert.All(byAddress, r => Assert.Equal(sources[0], Str(r, "source")));
        Assert.Equal(sources[3], Str((await TrailAsync(app, "?address=" + Uri.EscapeDataString("2001:DB8::0:5"))).Single(), "source"));
        Assert.Empty(await TrailAsync(app, "?address=192.0.2.1"));
        var bad = await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/audit?address=not-an-address", await AdminTokenAsync()),
            HttpStatusCode.BadRequest, "invalid_request");
        Assert.NotNull(bad["errors"]!["address"]);

        // The console shows the same pseudonyms and finds an address's records the same way.
        using var browser = ConsoleBrowser.Open(Factory);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync("console", LatchkeyFactory.AdminEmail, LatchkeyFactory.AdminPassword, Ct)).Status);
        var page = await browser.GetAsync($"/console/apps/{app}/audit?action=signin&address={Uri.EscapeDataString(Addresses[0])}", Ct);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        var table = page.Html[page.Html.IndexOf("id=\"audit-records\"", StringComparison.Ordinal)..];
        Assert.Equal(2, Regex.Count(table, Regex.Escape(sources[0])));
        Assert.DoesNotContain(sources[2], table);
        Assert.DoesNotContain(Addresses[0], table);

        // What the database holds: no address in clear, in any column of any record of the app.
        var stored = await WithDbAsync(db => db.AuditRecords.AsNoTracking().Where(r => r.AppId == app).ToListAsync(Ct));
        Assert.NotEmpty(stored);
        Assert.All(stored, record =>
        {
            Assert.False(IPAddress.TryParse(record.Source ?? "", out _), $"record {record.Seq} holds the address {record.Source}");
            foreach (var text in new[] { record.Source, record.Detail })
            {
                Assert.DoesNotContain("203.0.113", text ?? "");
                Assert.DoesNotContain("198.51.100", text ?? "");
                Assert.DoesNotContain("2001:db8", text ?? "", StringComparison.OrdinalIgnoreCase);
            }
        });
        AssertValid(await VerifyAsync(app), stored.Count);
    }

    private Task<HttpResponseMessage> FromAsync(HttpClient client, string forwardedFor, string path, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request, Ct);
    }

    [GeneratedRegex("^ip-[0-9a-f]{20}$")]
    private static partial Regex PseudonymPattern();
}

[Collection(SqliteCollection.Name)]
public sealed class AuditSourceTests_Sqlite(SqliteServer server) : AuditSourceTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AuditSourceTests_Postgres(PostgresServer server) : AuditSourceTests(server);
