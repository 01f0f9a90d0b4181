using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.CustomRoles;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>
/// An app's audit trail, newest first, in words (who did what to whom, with the handles opened
/// for an admin who may read users' data: <see cref="AuditNames"/>), and whether its hash chain verifies.
/// </summary>
public sealed class AuditModel(AuditNames auditNames) : ConsolePageModel
{
    public const int PageSize = 50;

    [FromRoute] public string AppId { get; set; } = "";
    [BindProperty(SupportsGet = true)] public long? Before { get; set; }
    [BindProperty(SupportsGet = true)] public string? Action { get; set; }
    [BindProperty(SupportsGet = true, Name = "user")] public Guid? TargetUser { get; set; }
    [BindProperty(SupportsGet = true)] public string? Address { get; set; }

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];
    public AuditVerification Chain { get; private set; } = null!;
    public long? NextBefore { get; private set; }
    public IReadOnlyDictionary<Guid, string> Names { get; private set; } = new Dictionary<Guid, string>();

    public async Task OnGetAsync()
    {
        Require(AppId, AdminPermissions.AuditRead);
        await CurrentAppAsync(AppId);
        Chain = await Api.VerifyAuditAsync(AppId, Ct);
        var entries = await Api.AuditAsync(AppId, new AuditQuery(PageSize + 1, Before, Blank(Action), TargetUser, Address: AuditEndpoints.ParseAddress(Address)), Ct);
        Entries = entries.Take(PageSize).ToList();
        NextBefore = entries.Count > PageSize ? Entries[^1].Seq : null;
        Names = await auditNames.ResolveAsync(Admin, Entries.Select(e => new AuditRecord
        {
            AppId = AppId, ActorAppId = e.ActorAppId, Action = e.Action, ActorUserId = e.ActorUserId, TargetUserId = e.TargetUserId,
        }).ToList(), Ct);
    }

    /// <summary>The entry as a sentence, in parts (<see cref="AuditWords.Sentence"/>).</summary>
    public (string Actor, string Verb, string? Target, bool Direct) Words(AuditEntry entry) => AuditWords.Sentence(new AuditRecord
    {
        AppId = AppId, ActorAppId = entry.ActorAppId, Action = entry.Action, ActorUserId = entry.ActorUserId, TargetUserId = entry.TargetUserId,
    }, Names);

    public string PageUrl(long? before)
    {
        var query = new List<string>();
        if (before is { } b)
        {
            query.Add("before=" + b);
        }
        if (!string.IsNullOrWhiteSpace(Action))
        {
            query.Add("action=" + Uri.EscapeDataString(Action));
        }
        if (TargetUser is { } user)
        {
            query.Add("user=" + user);
        }
        if (!string.IsNullOrWhiteSpace(Address))
        {
            query.Add("address=" + Uri.EscapeDataString(Address.Trim()));
        }
        return $"/console/apps/{AppId}/audit" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
    }
}
