using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Audit;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using B64 = System.Buffers.Text.Base64Url;

namespace Latchkey.Tests.Features.Audit;

/// <summary>
/// The audit trail is tamper-evident (MISSION P5): records are linked in a keyed hash chain per
/// app, and its head is signed and checkpointed in the key store, outside the main database. Each
/// test tampers with a database the way an attacker could and sees verify name the break.
/// </summary>
public abstract class AuditChainTests(ServerFixture fixture) : AuditTest(fixture)
{
    [Fact]
    public async Task An_untouched_chain_verifies_with_every_record_counted_and_a_signed_checkpoint()
    {
        var app = await AppWithRecordsAsync(signUps: 4);

        var verification = await VerifyAsync(app);

        var chain = await ChainAsync(app);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), chain.Select(r => r.Seq!.Value));
        AssertValid(verification, chain.Count);
        Assert.Equal(5, verification["head"]!["seq"]!.GetValue<long>());
        Assert.Equal(Convert.ToHexStringLower(chain[^1].Hash!), Str(verification["head"], "hash"));
        Assert.Equal(5, verification["checkpoint"]!["seq"]!.GetValue<long>());
        Assert.True(verification["checkpoint"]!["signatureValid"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("Detail")]
    [InlineData("Action")]
    public async Task An_edited_record_is_detected_and_pinpointed(string column)
    {
        var app = await AppWithRecordsAsync(signUps: 4);
        var target = (await ChainAsync(app)).Single(r => r.Seq == 3);

        var sql = column == "Detail"
            ? """UPDATE audit_records SET "Detail" = {0} WHERE "AppId" = {1} AND "Seq" = 3"""
            : """UPDATE audit_records SET "Action" = {0} WHERE "AppId" = {1} AND "Seq" = 3""";
        var changed = await WithDbAsync(db => db.Database.ExecuteSqlRawAsync(sql, ["user.read", app], Ct));
        Assert.Equal(1, changed);

        var verification = await VerifyAsync(app);
        AssertBroken(verification, "hash", 3);
        Assert.Equal(target.Id, verification["brokenRecordId"]!.GetValue<long>());
        Assert.Equal(2, verification["checked"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_deleted_record_in_the_middle_is_detected_and_pinpointed()
    {
        var app = await AppWithRecordsAsync(signUps: 4);

        var deleted = await WithDbAsync(db => db.AuditRecords.Where(r => r.AppId == app && r.Seq == 3).ExecuteDeleteAsync(Ct));
        Assert.Equal(1, deleted);

        AssertBroken(await VerifyAsync(app), "missing", 3);
    }

    [Fact]
    public async Task Cutting_off_the_newest_records_and_rolling_the_head_back_is_caught_by_the_checkpoint()
    {
        var app = await AppWithRecordsAsync(signUps: 5);
        var chain = await ChainAsync(app);
        Assert.Equal(6, chain.Count);

        // An attacker who knows SQL: drop seq 5 and 6 and make the head row agree with seq 4.
        await WithDbAsync(async db =>
        {
            await db.AuditRecords.Where(r => r.AppId == app && r.Seq > 4).ExecuteDeleteAsync(Ct);
            return await db.AuditHeads.Where(h => h.AppId == app)
                .ExecuteUpdateAsync(h => h.SetProperty(x => x.Seq, 4L).SetProperty(x => x.Hash, chain[3].Hash!), Ct);
        });

        var verification = await VerifyAsync(app);
        AssertBroken(verification, "truncated", 5);
        // The database alone looks consistent: only the checkpoint outside it tells.
        Assert.Equal(4, verification["checked"]!.GetValue<long>());
        Assert.Equal(4, verification["head"]!["seq"]!.GetValue<long>());
        Assert.Equal(6, verification["checkpoint"]!["seq"]!.GetValue<long>());
        Assert.True(verification["checkpoint"]!["signatureValid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_record_rewritten_with_a_recomputed_unkeyed_chain_is_still_detected()
    {
        var app = await AppWithRecordsAsync(signUps: 4);
        var chain = await ChainAsync(app);

        // Rewrite seq 3 and relink it and everything after with plain SHA-256 (no key), head included.
        chain[2].Detail = "session=00000000-0000-0000-0000-000000000000";
        var prev = chain[1].Hash!;
        foreach (var record in chain.Skip(2))
        {
            var hash = SHA256.HashData([.. prev, .. Encoding.UTF8.GetBytes($"{record.AppId}|{record.Seq}|{record.At:O}|{record.Action}|{record.Detail}")]);
            var (id, detail, link) = (record.Id, record.Detail, prev);
            await WithDbAsync(db => db.AuditRecords.Where(r => r.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Detail, detail).SetProperty(r => r.PrevHash, link).SetProperty(r => r.Hash, hash), Ct));
            prev = hash;
        }
        await WithDbAsync(db => db.AuditHeads.Where(h => h.AppId == app).ExecuteUpdateAsync(h => h.SetProperty(x => x.Hash, prev), Ct));

        var verification = await VerifyAsync(app);
        AssertBroken(verification, "hash", 3);
        Assert.Equal(chain[2].Id, verification["brokenRecordId"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_checkpoint_verifies_outside_Latchkey_and_an_edited_checkpoint_row_is_detected()
    {
        var app = await AppWithRecordsAsync(signUps: 2);
        var key = await OkJsonAsync(await GetAsync("/v1/admin/audit/checkpoint-key", await AdminTokenAsync()));
        AssertValid(await VerifyAsync(app), 3);
        var stored = await StoredCheckpointAsync(app);
        Assert.NotNull(stored);
        Assert.Equal(3, stored.Seq);
        Assert.Equal(Str(key, "keyId"), stored.KeyId);
        Assert.Equal(Str(key["jwk"], "kid"), stored.KeyId);

        // Anyone holding the published public key can check the checkpoint (e.g. in a log pipeline).
        using (var publicKey = ECDsa.Create())
        {
            publicKey.ImportFromPem(Str(key, "publicKeyPem"));
            var payload = string.Join('\n', "latchkey-audit-checkpoint-v1", app, stored.Seq, Convert.ToHexStringLower(stored.Hash), stored.At);
            Assert.True(publicKey.VerifyData(Encoding.UTF8.GetBytes(payload), B64.DecodeFromChars(stored.Signature),
                HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        }

        // Someone with the key store lowers the checkpoint to hide a cut: its signature no longer holds.
        await WithKeyStoreAsync(store => store.AuditCheckpoints.Where(c => c.AppId == app).ExecuteUpdateAsync(c => c.SetProperty(x => x.Seq, 2L), Ct));

        var verification = await VerifyAsync(app);
        AssertBroken(verification, "checkpoint_signature", null);
        Assert.False(verification["checkpoint"]!["signatureValid"]!.GetValue<bool>());
        Assert.Equal(3, verification["checked"]!.GetValue<long>());

        // The evidence stays: new records do not sign over it.
        await SignUpAsync(app);
        AssertBroken(await VerifyAsync(app), "checkpoint_signature", null);
        Assert.Equal(2, (await StoredCheckpointAsync(app))!.Seq);
    }

    [Fact]
    public async Task Twenty_parallel_sign_ins_on_two_nodes_make_one_gap_free_valid_chain()
    {
        var app = await CreateAppAsync();
        // Ten people signing in twice each: one account's parallel attempts beyond the free
        // allowance wait (every attempt is reserved before its check), so the burst is spread.
        var emails = Enumerable.Range(0, 10).Select(_ => NewEmail()).ToList();
        foreach (var email in emails)
        {
            await SignUpAsync(app, email);
        }
        await using var other = Factory.Sibling(new Dictionary<string, string?>());
        using var otherClient = other.CreateClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? LoginAsync(app, emails[i / 2])
            : otherClient.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle = emails[i / 2], password = GoodPassword }, Ct)));
        foreach (var answer in answers)
        {
            await OkJsonAsync(answer);
        }

        var chain = await ChainAsync(app);
        Assert.Equal(Enumerable.Range(1, 31).Select(i => (long)i), chain.Select(r => r.Seq!.Value));
        Assert.Equal(30, chain.Count(r => r.Action == "signin"));
        AssertValid(await VerifyAsync(app), 31);
        // The console's chain takes every admin sign-in of every test running at once, on both nodes.
        var console = await VerifyAsync("console");
        Assert.True(console["valid"]!.GetValue<bool>(), console.ToJsonString());
    }

    [Fact]
    public async Task Records_written_before_the_chain_are_linked_in_at_start()
    {
        var app = await AppWithRecordsAsync(signUps: 1);
        var at = Factory.Clock.GetUtcNow().UtcDateTime;
        await WithDbAsync(async db =>
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO audit_records ("AppId", "ActorAppId", "Action", "Detail", "At") VALUES ({app}, {app}, 'legacy.one', 'written before the chain', {at})
                """, Ct);
            return await db.Database.ExecuteSqlAsync($"""
                INSERT INTO audit_records ("AppId", "ActorAppId", "Action", "At") VALUES ({app}, {AuditRecord.SystemActor}, 'legacy.two', {at.AddTicks(1234567)})
                """, Ct);
        });
        var unchained = await WithDbAsync(db => db.AuditRecords.Where(r => r.AppId == app && r.Seq == null).OrderBy(r => r.Id).Select(r => r.Id).ToListAsync(Ct));
        Assert.Equal(2, unchained.Count);
        var before = await VerifyAsync(app);
        Assert.Equal("unchained", before["reason"]?.GetValue<string>());
        Assert.Equal(unchained[0], before["brokenRecordId"]!.GetValue<long>());

        // What the start-up step does (AuditBackfill), here on demand.
        var linked = await WithDbAsync(db => Factory.Services.GetRequiredService<AuditChain>().LinkUnchainedAsync(db, Ct));

        Assert.Equal(2, linked);
        var chain = await ChainAsync(app);
        Assert.Equal(["legacy.one", "legacy.two"], chain.Skip(2).Select(r => r.Action));
        AssertValid(await VerifyAsync(app), 4);
        // New records go on after them.
        await SignUpAsync(app);
        AssertValid(await VerifyAsync(app), 5);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AuditChainTests_Sqlite(SqliteServer server) : AuditChainTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AuditChainTests_Postgres(PostgresServer server) : AuditChainTests(server);
